"""Shared test fixtures: paths to ../shared data (skipped when absent) and the project's model."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MNIST_DIR = SHARED / "data" / "mnist"
ZOO_DIR = SHARED / "data" / "models"
MODEL = REPO / "models" / "mnist.onnx"
SAMPLES = REPO / "samples"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (shared data lives beside the repository)")
    return path


@pytest.fixture
def mnist_dir() -> Path:
    """The MNIST IDX files in ../shared/data/mnist."""
    return _need(MNIST_DIR / "t10k-images-idx3-ubyte.gz").parent


@pytest.fixture
def zoo_mnist8() -> Path:
    """The ONNX model zoo's mnist-8 (opset 8, input Input3, output Plus214_Output_0)."""
    return _need(ZOO_DIR / "mnist-8.onnx")


@pytest.fixture
def zoo_mnist12() -> Path:
    return _need(ZOO_DIR / "mnist-12.onnx")


@pytest.fixture
def zoo_test_data() -> Path:
    """The zoo's input_0.pb / output_0.pb pair for mnist-8."""
    return _need(ZOO_DIR / "mnist-8_test_data_set_0")


@pytest.fixture
def model() -> Path:
    """The project's own MNIST model (models/mnist.onnx, dynamic batch)."""
    return _need(MODEL)


@pytest.fixture
def samples() -> list[Path]:
    """samples/0.pgm ... 9.pgm, in digit order."""
    paths = [SAMPLES / f"{d}.pgm" for d in range(10)]
    for p in paths:
        _need(p)
    return paths
