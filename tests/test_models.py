"""The committed MNIST models, the sample digits and the IDX reader (trtkit.data.datasets).

The model tests run the ONNX files through onnxruntime exactly as a user would,
on the real MNIST test set and on the samples with their inverted preprocessing.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from trtkit.data.datasets import load_idx, load_mnist, mnist_paths

STATIC_MODEL = Path(__file__).resolve().parents[1] / "models" / "mnist_static.onnx"
TRT_FRIENDLY_OPS = {"Conv", "Relu", "MaxPool", "Flatten", "Gemm", "MatMul", "Add", "Reshape"}


def _session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _mnist_input(images: np.ndarray) -> np.ndarray:
    """MNIST uint8 N x 28 x 28 (white on black) -> the models' float32 N x 1 x 28 x 28 in [0, 1]."""
    return (images.astype(np.float32) / 255.0)[:, None]


def _softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def _read_pgm(path: Path) -> np.ndarray:
    """Strict binary PGM reader: 'P5', width, height, maxval, one whitespace, exactly w*h bytes."""
    data = path.read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert header, f"{path}: not a binary (P5) PGM"
    width, height, maxval = (int(g) for g in header.groups())
    assert (width, height, maxval) == (28, 28, 255), f"{path}: {width}x{height} maxval {maxval}"
    pixels = data[header.end() :]
    assert len(pixels) == width * height, f"{path}: {len(pixels)} pixel bytes"
    return np.frombuffer(pixels, dtype=np.uint8).reshape(height, width)


def _write_idx(path: Path, array: np.ndarray, type_code: int = 0x08) -> bytes:
    """Write ``array`` as an uncompressed IDX file and return its bytes."""
    header = bytes([0, 0, type_code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    content = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(content)
    return content


# --- the models ---------------------------------------------------------------------------------


def test_model_io_contract(model: Path) -> None:
    for path, batch in ((model, "batch"), (STATIC_MODEL, 1)):
        proto = onnx.load(str(path))
        onnx.checker.check_model(proto, full_check=True)
        assert max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) >= 13
        assert {n.op_type for n in proto.graph.node} <= TRT_FRIENDLY_OPS
        assert path.stat().st_size < 1_000_000
        session = _session(path)
        [inp], [out] = session.get_inputs(), session.get_outputs()
        assert (inp.name, inp.type, inp.shape) == ("input", "tensor(float)", [batch, 1, 28, 28])
        assert (out.name, out.type, out.shape) == ("scores", "tensor(float)", [batch, 10])


def test_model_accuracy_on_mnist_test_set(mnist_dir: Path, model: Path) -> None:
    images, labels = load_mnist(mnist_dir, "test")
    session = _session(model)
    x = _mnist_input(images)
    scores = np.concatenate([session.run(["scores"], {"input": x[i : i + 1000]})[0] for i in range(0, len(x), 1000)])
    assert scores.shape == (10_000, 10)
    accuracy = float((scores.argmax(axis=1) == labels).mean())
    assert accuracy >= 0.99, f"top-1 accuracy {accuracy:.4f} on the 10,000 test images"


def test_static_model_agrees_with_dynamic_batch(mnist_dir: Path, model: Path) -> None:
    images, _ = load_mnist(mnist_dir, "test")
    x = _mnist_input(images[:200])
    batched = _session(model).run(["scores"], {"input": x})[0]
    static = _session(STATIC_MODEL)
    one_by_one = np.concatenate([static.run(["scores"], {"input": x[i : i + 1]})[0] for i in range(len(x))])
    np.testing.assert_allclose(one_by_one, batched, rtol=1e-4, atol=1e-4)
    assert (one_by_one.argmax(axis=1) == batched.argmax(axis=1)).all()


@pytest.mark.parametrize("which", ["dynamic", "static"])
def test_samples_classified_confidently(which: str, model: Path, samples: list[Path]) -> None:
    session = _session(model if which == "dynamic" else STATIC_MODEL)
    for digit, path in enumerate(samples):
        x = (1.0 - _read_pgm(path).astype(np.float32) / 255.0)[None, None]  # dark-on-light -> MNIST
        probabilities = _softmax(session.run(["scores"], {"input": x})[0][0])
        top = int(probabilities.argmax())
        assert top == digit, f"{path.name} classified as {top} ({probabilities[top]:.3f})"
        assert probabilities[top] >= 0.8, f"{path.name}: top-1 probability {probabilities[top]:.3f}"


def test_samples_follow_the_dark_on_light_mnist_layout(samples: list[Path]) -> None:
    for path in samples:
        pixels = _read_pgm(path)
        border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
        assert border.mean() > 200, f"{path.name}: background is not light"
        assert pixels.min() < 50, f"{path.name}: no dark digit"
        ink = 255.0 - pixels
        # MNIST layout: the digit fits a 20x20 box and its centre of mass is the image centre.
        height, width = (int(np.ptp(axis)) + 1 for axis in np.nonzero(ink))
        assert max(height, width) in (19, 20) and min(height, width) <= 20, f"{path.name}: {height}x{width}"
        rows, cols = np.indices(ink.shape) + 0.5
        centre = np.array([(rows * ink).sum(), (cols * ink).sum()]) / ink.sum()
        assert np.allclose(centre, 14.0, atol=1.0), f"{path.name}: centre of mass {centre}"


# --- trtkit.data.datasets ----------------------------------------------------------------------------


@pytest.mark.parametrize(("split", "count"), [("train", 60_000), ("test", 10_000)])
def test_load_mnist_reads_the_real_files(mnist_dir: Path, split: str, count: int) -> None:
    images, labels = load_mnist(mnist_dir, split)
    assert images.shape == (count, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (count,) and labels.dtype == np.uint8
    assert set(np.unique(labels)) == set(range(10))
    assert images.max() == 255 and images.min() == 0
    assert np.median(images) == 0  # white digit on a black background


def test_load_idx_reads_raw_and_gzip_files(tmp_path: Path) -> None:
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    content = _write_idx(tmp_path / "raw-idx3-ubyte", images)
    (tmp_path / "packed-idx3-ubyte.gz").write_bytes(gzip.compress(content))
    np.testing.assert_array_equal(load_idx(tmp_path / "raw-idx3-ubyte"), images)
    np.testing.assert_array_equal(load_idx(tmp_path / "packed-idx3-ubyte.gz"), images)
    floats = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    _write_idx(tmp_path / "floats", floats, type_code=0x0D)
    np.testing.assert_array_equal(load_idx(tmp_path / "floats"), floats)


def test_load_mnist_uses_uncompressed_files_when_no_gz(tmp_path: Path) -> None:
    images = np.zeros((4, 28, 28), dtype=np.uint8)
    labels = np.array([0, 9, 3, 3], dtype=np.uint8)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", images)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    assert mnist_paths(tmp_path, "test")[0].name == "t10k-images-idx3-ubyte"
    got_images, got_labels = load_mnist(tmp_path, "test")
    np.testing.assert_array_equal(got_labels, labels)
    assert got_images.shape == (4, 28, 28)


def test_load_idx_rejects_a_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "short-idx3-ubyte"
    content = _write_idx(path, np.zeros((3, 28, 28), dtype=np.uint8))
    path.write_bytes(content[:-1])
    with pytest.raises(ValueError, match=r"short-idx3-ubyte.*\(3, 28, 28\)"):
        load_idx(path)
    path.write_bytes(content[:10])  # ends inside the dimension sizes
    with pytest.raises(ValueError, match=r"short-idx3-ubyte"):
        load_idx(path)


def test_load_idx_rejects_a_truncated_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "cut-labels-idx1-ubyte.gz"
    packed = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 100]) + bytes(100))
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError, match=r"cut-labels-idx1-ubyte.gz.*gzip"):
        load_idx(path)


def test_load_idx_rejects_a_wrong_magic_number(tmp_path: Path) -> None:
    path = tmp_path / "labels-idx1-ubyte"
    content = _write_idx(path, np.zeros(5, dtype=np.uint8))
    path.write_bytes(b"\x00\x00\x07" + content[3:])  # 0x07 is no IDX type code
    with pytest.raises(ValueError, match=r"labels-idx1-ubyte.*magic"):
        load_idx(path)
    path.write_bytes(b"PK\x03\x04" + content[4:])
    with pytest.raises(ValueError, match=r"labels-idx1-ubyte.*magic"):
        load_idx(path)


def test_load_mnist_rejects_missing_and_inconsistent_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"t10k-images-idx3-ubyte.gz"):
        load_mnist(tmp_path, "test")
    _write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 28, 28), dtype=np.uint8))
    _write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 2, 3], dtype=np.uint8))
    with pytest.raises(ValueError, match=r"2 images.*3 labels"):
        load_mnist(tmp_path, "train")
    _write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 12], dtype=np.uint8))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte.*label 12"):
        load_mnist(tmp_path, "train")
    _write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 32, 32), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.*28 x 28"):
        load_mnist(tmp_path, "train")
    with pytest.raises(ValueError, match=r"split"):
        load_mnist(tmp_path, "validation")  # type: ignore[arg-type]
