"""Labelled sets for eval and calibration alike: MNIST IDX folders (``t10k-images-idx3-ubyte.gz`` + labels;
``--split train`` for the training files) or one folder per class (``DATA/<label>/*.png``), and the
preprocessing and batching that feed them to a model. IDX digits are white on black, so their default
preprocessing is ``p/255`` (the ``unit`` preset), not the inverted preset of the dark-on-light samples.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trtkit.data.datasets import load_mnist, mnist_paths
from trtkit.data.inputs import is_image, load_image
from trtkit.data.preprocess import Pipeline, PreprocessOptions, preprocess, resolve
from trtkit.data.tensors import TensorInfo
from trtkit.platform.errors import TrtkitError, UsageError

SPLITS = ("test", "train")


@dataclass
class LabelledSet:
    """Raw ``uint8`` images with integer labels, and where they came from."""

    images: Sequence[np.ndarray]
    labels: np.ndarray
    classes: tuple[str, ...]
    source: str
    white_on_black: bool  # MNIST IDX: preprocessing defaults to p/255


def image_files(directory: Path) -> list[Path]:
    """Every image below ``directory``, in a stable (sorted) order."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and is_image(p))


def load_mnist_split(directory: Path, split: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST IDX images and labels, with the dataset reader's errors as one trtkit line."""
    if split not in SPLITS:
        raise UsageError(f"--split {split}: expected one of {', '.join(SPLITS)}")
    try:
        images, labels = load_mnist(directory, split)
    except (FileNotFoundError, ValueError) as e:
        raise TrtkitError(str(e)) from None
    return images[:limit], labels[:limit]


def is_mnist_dir(directory: Path, split: str) -> bool:
    return directory.is_dir() and mnist_paths(directory, split)[0].is_file()


def load_labelled(data: Path, split: str = "test", limit: int | None = None) -> LabelledSet:
    """An MNIST IDX folder, or one sub-folder of images per class (named by its label)."""
    if not data.is_dir():
        raise TrtkitError(f"{data}: labelled data must be a folder (MNIST IDX files, or a sub-folder per class)")
    if is_mnist_dir(data, split):
        images, labels = load_mnist_split(data, split, limit)
        classes = tuple(str(d) for d in range(10))
        return LabelledSet(images, labels.astype(np.int64), classes, f"{data} (MNIST {split})", True)
    folders = sorted(p for p in data.iterdir() if p.is_dir())
    if not folders:
        raise TrtkitError(
            f"{data}: neither MNIST IDX files for --split {split} nor class sub-folders (DATA/<label>/*.png)"
        )
    numeric = all(p.name.isdigit() for p in folders)
    if numeric:
        folders.sort(key=_folder_number)
    files: list[tuple[Path, int]] = []
    for index, folder in enumerate(folders):
        label = int(folder.name) if numeric else index
        files.extend((f, label) for f in image_files(folder))
    if not files:
        raise TrtkitError(f"{data}: the class folders hold no images")
    files = files[:limit]
    labels = np.array([lab for _, lab in files], dtype=np.int64)
    classes = tuple(str(i) for i in range(labels.max() + 1)) if numeric else tuple(p.name for p in folders)
    images = [load_image(f) for f, _ in files]
    return LabelledSet(images, labels, classes, str(data), False)


def pipeline_for(target: TensorInfo, options: PreprocessOptions | None, white_on_black: bool) -> Pipeline:
    """Resolve preprocessing; MNIST's white-on-black digits default to p/255 instead of the inverted preset."""
    options = options or PreprocessOptions()
    if white_on_black and options.preset == "auto":
        options = dataclasses.replace(options, preset="unit")
    return resolve(target, options)


def batches_of(
    images: Sequence[np.ndarray], target: TensorInfo, pipe: Pipeline, batch: int
) -> Iterator[tuple[np.ndarray, int]]:
    """Yield ``(tensor, count)``: preprocessed batches of the input's fixed batch size, or of ``batch`` where
    it is dynamic; a short last batch of a fixed size is padded by repeating its last image."""
    fixed = bool(target.shape) and target.shape[0] > 0
    size = target.shape[0] if fixed else batch
    for start in range(0, len(images), size):
        chunk = list(images[start : start + size])
        count = len(chunk)
        if fixed:
            chunk += [chunk[-1]] * (size - count)
        yield preprocess(chunk, target, pipe), count


def _folder_number(folder: Path) -> int:
    """Sort key of numeric class folders (a def, not a lambda: the conformance check refuses untyped parameters)."""
    return int(folder.name)
