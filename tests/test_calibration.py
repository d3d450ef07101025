"""INT8 calibration from real data (ONNX Runtime's calibrator), TensorRT's calibration-table format, the
cache round trip, and the Q/DQ graph built by the real TensorRT-RTX builder."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from trtkit.data.tensors import TensorInfo
from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.platform.flavours import Flavour
from trtkit.precision.calibration import CalibrationTable, batches, load_calibration_data, version_code
from trtkit.precision.options import PrecisionOptions
from trtkit.precision.prepare import prepare

pytest.importorskip("onnxruntime", reason="calibration runs ONNX Runtime (pip install 'trtkit[precision]')")

MNIST_INPUT = TensorInfo("Input3", (1, 1, 28, 28), np.dtype(np.float32))


@pytest.fixture
def rtx() -> Flavour:
    pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")
    from trtkit.platform.trt import load

    return load("rtx")


def int8(calib: Path | None = None, cache: Path | None = None, **kwargs: str) -> PrecisionOptions:
    """--int8 with 100 calibration samples (enough for MNIST, fast)."""
    return PrecisionOptions(int8=True, calib=calib, calib_cache=cache, calib_samples=100, **kwargs)


def test_table_is_tensorrts_calibration_cache_text() -> None:
    """The format TensorRT's calibrators write: header, then big-endian hex of the float32 scale amax/127."""
    sample = b"TRT-7000-EntropyCalibration2\ndata: 3c008912\nconv1: 3c88edfc\n"
    table = CalibrationTable.parse(sample, "sample")
    assert (table.version, table.algorithm, table.algo) == (7000, "EntropyCalibration2", "entropy")
    assert table.amax["data"] == pytest.approx(struct.unpack(">f", bytes.fromhex("3c008912"))[0] * 127)
    assert CalibrationTable.parse(table.to_bytes(), "again").amax == table.amax
    written = CalibrationTable("MinMaxCalibration", {"x": 127.0}, 101303).to_bytes()
    assert written == b"TRT-101303-MinMaxCalibration\nx: 3f800000\n"  # scale 1.0
    assert version_code("10.13.3.9") == 101303 and version_code("1.7.1.116") == 10701


@pytest.mark.parametrize("text", [b"not a cache\n", b"TRT-8601-EntropyCalibration2\nconv: zz\n", b""])
def test_a_broken_cache_is_named_in_one_line(text: bytes) -> None:
    with pytest.raises(TrtkitError, match=r"^my\.cache: "):
        CalibrationTable.parse(text, "my.cache")


def test_mnist_idx_calibration_data_is_training_images_over_255(mnist_dir: Path) -> None:
    from trtkit.data.datasets import load_mnist

    samples = load_calibration_data(mnist_dir, MNIST_INPUT, 20)
    train, _ = load_mnist(mnist_dir, "train")
    assert samples.shape == (20, 1, 28, 28) and samples.dtype == np.float32
    np.testing.assert_allclose(samples[:, 0], train[:20] / np.float32(255), rtol=1e-6)


def test_image_folder_uses_infer_preprocessing(samples: list[Path]) -> None:
    """The samples are dark on light: the default (invert) preset makes them white on black, like MNIST."""
    data = load_calibration_data(samples[0].parent, MNIST_INPUT, 100)
    assert data.shape == (10, 1, 28, 28)
    assert data.mean() < 0.5 and data.max() == pytest.approx(1.0)


def test_array_files_are_checked_against_the_input(tmp_path: Path) -> None:
    good = tmp_path / "batch.npy"
    np.save(good, np.zeros((8, 1, 28, 28), np.float64))
    data = load_calibration_data(good, MNIST_INPUT, 5)
    assert data.shape == (5, 1, 28, 28) and data.dtype == np.float32
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, a=np.zeros((2, 3)), b=np.zeros((2, 3)))
    with pytest.raises(TrtkitError, match="none is named 'Input3'"):
        load_calibration_data(wrong, MNIST_INPUT, 5)
    np.save(tmp_path / "shape.npy", np.zeros((2, 3, 28, 28), np.float32))
    with pytest.raises(TrtkitError, match=r"does not fit input 'Input3' \(Nx1x28x28\)"):
        load_calibration_data(tmp_path / "shape.npy", MNIST_INPUT, 5)


def test_batches_have_one_shape() -> None:
    dynamic = TensorInfo("x", (-1, 1, 28, 28), np.dtype(np.float32))
    assert [len(b) for b in batches(np.zeros((500, 1, 28, 28)), dynamic)] == [25] * 20
    assert [len(b) for b in batches(np.zeros((3, 1, 28, 28)), MNIST_INPUT)] == [1, 1, 1]
    fixed4 = TensorInfo("x", (4, 1, 28, 28), np.dtype(np.float32))
    assert [len(b) for b in batches(np.zeros((10, 1, 28, 28)), fixed4)] == [4, 4]


def test_int8_graph_is_per_channel_symmetric_qdq(rtx: Flavour, zoo_mnist8: Path, mnist_dir: Path) -> None:
    prepared = prepare(zoo_mnist8, int8(mnist_dir), rtx, strongly_typed=False)
    model = onnx.load_model_from_string(prepared.onnx or b"")
    initializers = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    dequantize = [n for n in model.graph.node if n.op_type == "DequantizeLinear"]
    conv_weights = [n for n in dequantize if initializers.get(n.input[0], np.zeros(0)).ndim == 4]
    assert len(conv_weights) == 2  # both convolutions' weights, one scale per output channel
    for node in conv_weights:
        assert len(initializers[node.input[1]]) == initializers[node.input[0]].shape[0]
        assert initializers[node.input[0]].dtype == np.int8
    zero_points = [initializers[n.input[2]] for n in dequantize if len(n.input) > 2]
    assert zero_points and all(not z.any() and z.dtype == np.int8 for z in zero_points)
    assert "entropy calibration on 100 samples" in prepared.description


def test_cache_is_written_once_and_a_rerun_gives_the_identical_graph(
    rtx: Flavour, zoo_mnist8: Path, mnist_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "mnist8.cache"
    first = prepare(zoo_mnist8, int8(mnist_dir, cache, calib_algo="minmax"), rtx, strongly_typed=False)
    assert os.listdir(tmp_path) == ["mnist8.cache"]  # written atomically: no temporary file left
    table = CalibrationTable.parse(cache.read_bytes(), cache)
    assert table.algorithm == "MinMaxCalibration" and table.version == version_code(rtx.version)
    assert "Input3" in table.amax and table.amax["Input3"] == pytest.approx(1.0, rel=1e-6)
    stamp = cache.stat().st_mtime_ns
    again = prepare(zoo_mnist8, int8(cache=cache), rtx, strongly_typed=False)  # no data: the cache is enough
    assert again.onnx == first.onnx and cache.stat().st_mtime_ns == stamp
    assert "from cache" in again.description
    trtexec_style = prepare(zoo_mnist8, int8(calib=cache), rtx, strongly_typed=False)  # trtexec's --calib=CACHE
    assert trtexec_style.onnx == first.onnx
    with pytest.raises(UsageError, match="holds MinMaxCalibration ranges"):
        prepare(zoo_mnist8, int8(cache=cache, calib_algo="entropy"), rtx, strongly_typed=False)


@pytest.mark.parametrize("algo", ["entropy", "minmax", "percentile"])
def test_int8_graph_builds_with_the_real_rtx_builder(rtx: Flavour, model: Path, mnist_dir: Path, algo: str) -> None:
    from trtkit.builder.builder import BuildOptions, build

    options = int8(mnist_dir, calib_algo=algo)
    result = build(BuildOptions(onnx=model, precision=options, flavor="rtx", verbosity=-1))
    assert result.plan and result.precision.startswith(f"INT8 (explicit Q/DQ, {algo} calibration")


@pytest.mark.gpu
def test_tensorrt10_implicit_calibrator_builds_and_shares_the_cache(
    zoo_mnist8: Path, mnist_dir: Path, tmp_path: Path
) -> None:
    """The legacy IInt8EntropyCalibrator2 path: needs TensorRT 10, pycuda and a GPU."""
    pytest.importorskip("pycuda.driver", reason="pycuda is not installed")
    from trtkit.builder.builder import BuildOptions, build
    from trtkit.platform.trt import load

    try:
        flavour = load("tensorrt")
    except TrtkitError as e:
        pytest.skip(str(e))
    if flavour.key != "tensorrt10":
        pytest.skip(f"implicit calibration needs TensorRT 10, not {flavour}")
    cache = tmp_path / "implicit.cache"
    options = int8(mnist_dir, cache, calib_mode="implicit")
    result = build(BuildOptions(onnx=zoo_mnist8, precision=options, flavor="tensorrt", verbosity=-1))
    assert result.plan and result.precision.startswith("INT8 (implicit")
    table = CalibrationTable.parse(cache.read_bytes(), cache)
    assert table.algorithm == "EntropyCalibration2" and "Input3" in table.amax
    explicit = prepare(zoo_mnist8, int8(cache=cache), flavour, strongly_typed=False)
    assert explicit.onnx is not None and "from cache" in explicit.description
