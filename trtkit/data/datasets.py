"""Readers for the MNIST IDX files (gzip-compressed or raw).

Used by ``trtkit eval``, INT8 calibration and ``scripts/train_mnist.py``, so it
depends on numpy and the standard library only. Every failure names the file
and says what is wrong with it: a bad data file should never surface as an
obscure reshape error deep inside an evaluation run.

IDX format (http://yann.lecun.com/exdb/mnist/): a big-endian header of two zero
bytes, one type-code byte, one byte giving the number of dimensions, then one
big-endian uint32 per dimension, followed by the data in C order.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Literal

import numpy as np

__all__ = ["MNIST_SHAPE", "Split", "load_idx", "load_mnist", "mnist_paths"]

Split = Literal["train", "test"]

#: Height and width of an MNIST image.
MNIST_SHAPE = (28, 28)

# IDX type code -> big-endian numpy dtype.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_FILE_PREFIX: dict[str, str] = {"train": "train", "test": "t10k"}


def _read_bytes(path: Path) -> bytes:
    """Return the file's content, decompressed when it is gzip (detected by content, not name)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: IDX file not found")
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from exc


def load_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file into an array of its declared shape and native-endian dtype.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the header is not IDX, or the data length disagrees with the header.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    zero0, zero1, type_code, ndim = data[:4]
    if zero0 or zero1 or type_code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(f"{path}: bad IDX magic number 0x{data[:4].hex()}")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(f"{path}: header declares {ndim} dimensions but the file ends inside it")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header_len
    if actual != expected:
        raise ValueError(
            f"{path}: header declares shape {shape} ({expected} data bytes) but the file holds {actual} data bytes"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def mnist_paths(directory: str | Path, split: Split = "test") -> tuple[Path, Path]:
    """Return the (images, labels) paths of a split, preferring ``.gz`` over raw files.

    The standard names are ``train-*`` and ``t10k-*``; when neither form exists the
    ``.gz`` path is returned so that the error names the file people usually have.
    """
    if split not in _FILE_PREFIX:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    directory = Path(directory)
    prefix = _FILE_PREFIX[split]
    found = []
    for stem in (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"):
        gz = directory / f"{stem}.gz"
        raw = directory / stem
        found.append(raw if raw.is_file() and not gz.is_file() else gz)
    return found[0], found[1]


def load_mnist(directory: str | Path, split: Split = "test") -> tuple[np.ndarray, np.ndarray]:
    """Load an MNIST split as ``(images, labels)``.

    Returns images as uint8 ``N x 28 x 28`` (white digit on black, 0-255) and labels
    as uint8 ``N`` in 0..9. Raises ``FileNotFoundError`` or ``ValueError`` (naming
    the file) when a file is missing, malformed, or the two files disagree.
    """
    image_path, label_path = mnist_paths(directory, split)
    images = load_idx(image_path)
    labels = load_idx(label_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != MNIST_SHAPE:
        raise ValueError(f"{image_path}: expected uint8 N x 28 x 28 images, got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{label_path}: expected uint8 N labels, got {labels.dtype} {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{label_path}: label {int(labels.max())} is outside 0..9")
    return images, labels
