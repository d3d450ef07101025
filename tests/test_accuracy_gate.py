"""The accuracy gate: what reduced precision costs on the 10,000 MNIST test images, measured on the very
graphs trtkit hands to a strongly typed TensorRT, run by the reference backend (every tensor stored in its
declared FP16/BF16/INT8 type, as TensorRT's kernels store them; a plan cannot run without a GPU), and those
graphs built by the real TensorRT-RTX builder.

FP16 must stay within 0.1 point of FP32 top-1; BF16 (8 bits of mantissa) within 0.3 point; INT8, calibrated
on training images (never test images), within 0.5 point. A build or a measurement that fails fails the gate.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trtkit.platform.errors import TrtkitError
from trtkit.platform.flavours import Flavour
from trtkit.precision.options import PrecisionOptions
from trtkit.precision.prepare import PreparedModel, prepare
from trtkit.tasks.accuracy import compare_precisions

pytest.importorskip("onnxruntime", reason="the gate runs ONNX Runtime (pip install 'trtkit[precision]')")
pytest.importorskip("onnxconverter_common", reason="the gate converts graphs (pip install 'trtkit[precision]')")
pytest.importorskip("tensorrt_rtx", reason="the gate builds with TensorRT-RTX (pip install 'trtkit[rtx]')")

CALIBRATION_IMAGES = 1000  # from train-images-idx3-ubyte: the test images stay unseen
LIMITS = {"fp16": 0.1, "bf16": 0.3, "int8": 0.5}  # points of top-1 accuracy below FP32


@pytest.fixture(params=["model", "zoo_mnist8"])
def onnx_model(request: pytest.FixtureRequest) -> Path:
    """trtkit's own models/mnist.onnx (dynamic batch, opset 13+) and the zoo's mnist-8 (opset 8, batch 1)."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def rtx() -> Flavour:
    from trtkit.platform.trt import load

    return load("rtx")


def build_with_rtx(prepared: PreparedModel, tmp_path: Path, name: str) -> bytes:
    """Build exactly the graph that was evaluated; a refusal by TensorRT-RTX fails the gate."""
    from trtkit.builder.builder import BuildOptions, build

    assert prepared.onnx is not None and prepared.builder_flags == ()
    graph = tmp_path / f"{name}.onnx"
    graph.write_bytes(prepared.onnx)
    try:
        return build(BuildOptions(onnx=graph, flavor="rtx", verbosity=-1)).plan
    except TrtkitError as e:
        pytest.fail(f"TensorRT-RTX does not build the {name} graph: {e}")


@pytest.mark.parametrize("precision", ["fp16", "bf16", "int8"])
def test_reduced_precision_costs_little_accuracy(
    onnx_model: Path, mnist_dir: Path, rtx: Flavour, tmp_path: Path, precision: str
) -> None:
    options = PrecisionOptions(**{precision: True}) if precision != "int8" else PrecisionOptions(
        int8=True, calib=mnist_dir, calib_samples=CALIBRATION_IMAGES
    )
    prepared = prepare(onnx_model, options, rtx, strongly_typed=False)
    comparison = compare_precisions(onnx_model, prepared, mnist_dir)
    print(comparison.summary())
    assert comparison.reference.count == 10_000 and comparison.reduced is not None
    assert comparison.reduced.backend == "reference" and comparison.reduced.count == 10_000
    assert comparison.reference.accuracy > 98.0  # both models are real classifiers (98.9% and 99.5%)
    assert comparison.delta is not None and abs(comparison.delta) <= LIMITS[precision], comparison.summary()
    assert build_with_rtx(prepared, tmp_path, precision)

