"""Input files -> numpy arrays: images (PGM/PPM, PNG, JPEG, ...), .npy/.npz arrays and ONNX TensorProto
``.pb`` files (the ONNX model zoo's ``test_data_set`` format), plus trtexec's ``--loadInputs`` spec.

Every reader names the file in its one-line error, so a bad input never surfaces as a numpy traceback.
Images come back as raw ``uint8`` pixels (HxW grey or HxWx3 RGB); turning them into a tensor is
:mod:`trtkit.data.preprocess`'s job, so that calibration and evaluation reuse exactly the same two steps.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from trtkit.platform import log
from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.platform.files import read_bytes

PNM_SUFFIXES = (".pgm", ".ppm", ".pnm")
IMAGE_SUFFIXES = (*PNM_SUFFIXES, ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
ARRAY_SUFFIXES = (".npy", ".npz", ".pb")

# One header number, preceded by whitespace and comments.
_PNM_TOKEN = re.compile(rb"(?:\s|#[^\n]*\n)+(\d+)")


def is_image(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def is_array(path: str | Path) -> bool:
    return Path(path).suffix.lower() in ARRAY_SUFFIXES


def load_image(path: str | Path) -> np.ndarray:
    """Decode an image file into ``uint8`` pixels: HxW for grey images, HxWx3 for colour (alpha dropped).

    Netpbm (binary P5/P6 and ASCII P2/P3, any maxval) is read here without Pillow, the format of the
    TensorRT samples; PNG, JPEG and the rest go through Pillow.
    """
    path = Path(path)
    data = read_bytes(path, "image")
    if data[:2] in (b"P2", b"P3", b"P5", b"P6"):
        return _read_pnm(path, data)
    return _read_with_pillow(path, data)


def _read_pnm(path: Path, data: bytes) -> np.ndarray:
    """Netpbm grey/colour maps: header ``P5 W H MAXVAL`` (comments allowed), then ASCII or binary samples."""
    magic = data[:2]
    numbers, pos = [], 2
    while len(numbers) < 3:
        m = _PNM_TOKEN.match(data, pos)
        if m is None:
            raise TrtkitError(f"{path}: malformed Netpbm header (expected e.g. 'P5 28 28 255')")
        numbers.append(int(m.group(1)))
        pos = m.end()
    width, height, maxval = numbers
    if not (width > 0 and height > 0 and 0 < maxval < 65536) or not data[pos : pos + 1].isspace():
        raise TrtkitError(f"{path}: Netpbm header gives {width}x{height} maxval {maxval}; not a valid image")
    body = data[pos + 1 :]
    channels = 3 if magic in (b"P3", b"P6") else 1
    count = width * height * channels
    if magic in (b"P2", b"P3"):
        try:
            pixels = np.array(re.sub(rb"#[^\n]*", b" ", body).split(), dtype=np.int64)
        except ValueError:
            raise TrtkitError(f"{path}: ASCII Netpbm samples must be integers") from None
    else:
        dtype = np.dtype(">u2" if maxval > 255 else "u1")
        pixels = np.frombuffer(body, dtype=dtype, count=min(count, len(body) // dtype.itemsize))
    if pixels.size < count:
        raise TrtkitError(f"{path}: truncated Netpbm image: {pixels.size} of {count} samples")
    pixels = pixels[:count]
    if pixels.min(initial=0) < 0 or pixels.max(initial=0) > maxval:
        raise TrtkitError(f"{path}: Netpbm sample outside 0..{maxval} (the header's maxval)")
    shape = (height, width, 3) if channels == 3 else (height, width)
    return _to_uint8(pixels.reshape(shape), maxval)


def _to_uint8(pixels: np.ndarray, maxval: int) -> np.ndarray:
    if maxval == 255:
        return pixels.astype(np.uint8)
    return np.rint(pixels.astype(np.float64) * (255.0 / maxval)).astype(np.uint8)


def _read_with_pillow(path: Path, data: bytes) -> np.ndarray:
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise TrtkitError(f"{path}: reading this image needs Pillow: pip install 'trtkit[images]'") from None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if img.mode in ("I;16", "I;16B", "I;16L", "I"):
                return _to_uint8(np.asarray(img).clip(0, 65535), 65535)
            img = _flatten_alpha(path, img)
            if img.mode in ("1", "L") or (img.mode == "P" and _grey_palette(img)):
                return np.asarray(img.convert("L"), dtype=np.uint8)
            return np.asarray(img.convert("RGB"), dtype=np.uint8)
    except UnidentifiedImageError:
        raise TrtkitError(
            f"{path}: not a readable image (supported: PGM/PPM, PNG, JPEG, BMP, GIF, TIFF, WebP)"
        ) from None
    except (OSError, SyntaxError, ValueError) as e:
        raise TrtkitError(f"{path}: cannot decode image: {e}") from None


def _flatten_alpha(path: Path, img: Any) -> Any:
    """A transparent image composited onto white, the paper background that the presets assume (``invert``
    turns dark-on-white digits into MNIST's white-on-black). Dropping alpha instead loses an image drawn only
    in its alpha channel (black pixels, opaque strokes) and classifies a blank. Said once per file."""
    if img.mode not in ("RGBA", "LA", "PA", "La", "RGBa") and not (img.mode == "P" and "transparency" in img.info):
        return img
    grey = img.mode in ("LA", "La") or (img.mode in ("P", "PA") and _grey_palette(img))
    rgba = img.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"))
    if alpha.min() == 255:
        return img.convert("L" if grey else "RGB")
    from PIL import Image

    log.warning(f"{path}: {int(np.count_nonzero(alpha < 255))} transparent pixels composited onto white")
    flat = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return flat.convert("L" if grey else "RGB")


def _grey_palette(img: object) -> bool:
    """A palette image whose colours are all grey (GIFs of digits) stays one channel."""
    rgb = np.asarray(img.convert("RGB"))  # type: ignore[attr-defined]
    return bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Read an array file into named arrays. ``.npy`` gives one array named ``""`` (unnamed); ``.npz``
    its keys; an ONNX TensorProto ``.pb`` its tensor name (``""`` when it has none)."""
    path = Path(path)
    suffix = path.suffix.lower()
    data = read_bytes(path, "input file")
    if suffix == ".pb":
        return _read_tensor_proto(path, data)
    try:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            arrays = {"": loaded}
        else:
            with loaded:  # members are read here, so a bad member fails inside this try as well
                arrays = {key: loaded[key] for key in loaded.files}
    except ValueError as e:
        if "Object arrays" in str(e):
            raise TrtkitError(f"{path}: holds Python objects (an object array); trtkit reads numeric arrays only "
                              "and never unpickles data") from None
        if "pickled" in str(e):
            raise TrtkitError(f"{path}: not a valid {suffix} file (no numpy array header; trtkit never loads "
                              "pickled data)") from None
        raise TrtkitError(f"{path}: not a valid {suffix} file: {e}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise TrtkitError(f"{path}: not a valid {suffix} file: {e}") from None
    if not arrays:
        raise TrtkitError(f"{path}: the .npz archive holds no arrays")
    for key, array in arrays.items():
        if array.dtype.kind in "OUSMm":
            member = f" member {key!r}" if key else ""
            raise TrtkitError(f"{path}:{member} holds {array.dtype} data; trtkit reads numeric and boolean arrays")
    return arrays


def _read_tensor_proto(path: Path, data: bytes) -> dict[str, np.ndarray]:
    import onnx
    from google.protobuf.message import DecodeError
    from onnx import numpy_helper

    tensor = onnx.TensorProto()
    try:
        tensor.ParseFromString(data)
        if tensor.data_type == onnx.TensorProto.UNDEFINED:
            raise ValueError("it holds no typed tensor")
        array = numpy_helper.to_array(tensor)
    except (DecodeError, ValueError, TypeError) as e:
        raise TrtkitError(f"{path}: not an ONNX TensorProto (.pb) file: {e}") from None
    return {tensor.name: array}


def load_raw(path: str | Path, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """trtexec's own --loadInputs format: raw little-endian bytes of exactly the tensor's shape and type."""
    path = Path(path)
    data = read_bytes(path, "input file")
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        dims = "x".join(map(str, shape))
        raise TrtkitError(
            f"{path}: raw input has {len(data)} bytes, but {dims} {dtype} needs {expected}; "
            "give a .npy/.npz/.pb file to carry the shape, or --shapes for a dynamic input"
        )
    return np.frombuffer(data, dtype=dtype.newbyteorder("<")).reshape(shape).astype(dtype)


def parse_load_inputs(spec: str) -> dict[str, Path]:
    """``"input:a.npy,mask:'b,c.npz'"`` -> ``{"input": Path("a.npy"), "mask": Path("b,c.npz")}`` (trtexec's
    --loadInputs=name:file[,name:file]; single quotes protect names or paths holding ':' or ',')."""
    pairs: dict[str, Path] = {}
    for item in _split_unquoted(spec, ","):
        if not item.strip():
            continue
        name, file = [*_split_unquoted(item, ":", maxsplit=1), ""][:2]
        name, file = name.strip().strip("'"), file.strip().strip("'")
        if not name or not file:
            raise UsageError(f"--loadInputs={spec}: expected name:file, got {item!r}")
        if name in pairs:
            raise UsageError(f"--loadInputs={spec}: input {name!r} is given twice")
        pairs[name] = Path(file)
    if not pairs:
        raise UsageError(f"--loadInputs={spec}: expected name:file[,name:file]")
    return pairs


def _split_unquoted(text: str, sep: str, maxsplit: int = -1) -> list[str]:
    """Split on ``sep`` outside single quotes, at most ``maxsplit`` times (-1: no limit)."""
    parts, current, quoted = [], [], False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if ch == sep and not quoted and maxsplit != 0:
            parts.append("".join(current))
            current = []
            maxsplit -= 1
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts

