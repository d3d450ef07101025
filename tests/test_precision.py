"""--fp16/--bf16/--best/--int8 -> what the builder gets: builder flags on TensorRT 10's weak typing, a
converted ONNX graph on strongly typed flavours; the converted graphs are built with the real TensorRT-RTX
builder.

TensorRT 10 cannot be installed here. Where a test needs its *decision* (which builder flags), it uses a
TensorRT10 flavour record around a version string: prepare() reads only its typing and version, and the
flag calls themselves are checked against the real 10.x bindings by the conformance tests.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from trtkit.platform.errors import UsageError
from trtkit.platform.flavours import Flavour, TensorRT10
from trtkit.precision.convert import KEEP_FP32_OPS
from trtkit.precision.options import PrecisionOptions
from trtkit.precision.prepare import prepare

pytest.importorskip("onnxconverter_common", reason="graph conversion needs onnxconverter-common")


@pytest.fixture
def rtx() -> Flavour:
    pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")
    from trtkit.platform.trt import load

    return load("rtx")


@pytest.fixture
def trt10() -> Flavour:
    """A TensorRT 10 flavour record (weak typing) without the library; see the module docstring."""
    return TensorRT10(SimpleNamespace(__version__="10.13.3.9"))


def _elem_types(model: onnx.ModelProto) -> set[int]:
    return {t.data_type for t in model.graph.initializer} | {
        v.type.tensor_type.elem_type for v in (*model.graph.value_info, *model.graph.input, *model.graph.output)
    }


def test_no_precision_flag_parses_the_original_file(rtx: Flavour, zoo_mnist8: Path) -> None:
    prepared = prepare(zoo_mnist8, PrecisionOptions(), rtx, strongly_typed=False)
    assert (prepared.onnx, prepared.builder_flags, prepared.calibrator) == (None, (), None)
    assert prepared.description == "FP32"


def test_weak_typing_sets_builder_flags_and_leaves_the_graph(trt10: Flavour, zoo_mnist8: Path) -> None:
    prepared = prepare(zoo_mnist8, PrecisionOptions(fp16=True, bf16=True), trt10, strongly_typed=False)
    assert prepared.onnx is None and prepared.builder_flags == ("fp16", "bf16")
    assert "builder flags" in prepared.description


def test_strongly_typed_tensorrt10_converts_like_tensorrt11(trt10: Flavour, zoo_mnist8: Path) -> None:
    prepared = prepare(zoo_mnist8, PrecisionOptions(fp16=True), trt10, strongly_typed=True)
    assert prepared.builder_flags == () and prepared.onnx is not None


def test_fp16_conversion_keeps_io_fp32_and_upgrades_opset8(rtx: Flavour, zoo_mnist8: Path) -> None:
    prepared = prepare(zoo_mnist8, PrecisionOptions(fp16=True), rtx, strongly_typed=False)
    assert prepared.builder_flags == () and prepared.onnx is not None
    model = onnx.load_model_from_string(prepared.onnx)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version >= 13
    assert [i.name for i in model.graph.input] == ["Input3"]  # the IR-3 initializer inputs are gone
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT
    assert model.graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT
    weights = [t for t in model.graph.initializer if t.data_type != TensorProto.INT64]
    assert weights and all(t.data_type == TensorProto.FLOAT16 for t in weights)


def test_fp16_keeps_numerically_sensitive_ops_in_fp32(rtx: Flavour, tmp_path: Path) -> None:
    """MatMul goes to FP16; Softmax (and the reductions/exponentials in KEEP_FP32_OPS) are fed FP32."""
    assert {"Softmax", "ReduceMean", "Exp", "LayerNormalization"} <= set(KEEP_FP32_OPS)
    weights = numpy_helper.from_array(np.eye(4, dtype=np.float32), "W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["mm"]), helper.make_node("Softmax", ["mm"], ["y"], axis=-1)],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [weights],
    )
    path = tmp_path / "softmax.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    model = onnx.load_model_from_string(prepare(path, PrecisionOptions(fp16=True), rtx, False).onnx or b"")
    producers = {out: node for node in model.graph.node for out in node.output}
    softmax = next(n for n in model.graph.node if n.op_type == "Softmax")
    cast = producers[softmax.input[0]]
    assert cast.op_type == "Cast" and cast.attribute[0].i == TensorProto.FLOAT
    assert next(t for t in model.graph.initializer if t.name == "W").data_type == TensorProto.FLOAT16


def test_bf16_is_the_fp16_graph_relabelled_with_weights_rounded_from_fp32(rtx: Flavour, zoo_mnist8: Path) -> None:
    prepared = prepare(zoo_mnist8, PrecisionOptions(bf16=True), rtx, strongly_typed=False)
    model = onnx.load_model_from_string(prepared.onnx or b"")
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version >= 22  # the first opset whose Conv/Gemm/pooling take bfloat16
    assert TensorProto.BFLOAT16 in _elem_types(model) and TensorProto.FLOAT16 not in _elem_types(model)
    original = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(zoo_mnist8)).graph.initializer}
    converted = next(t for t in model.graph.initializer if t.name == "Parameter5")
    expected = original["Parameter5"].astype(ml_dtypes.bfloat16)
    assert np.array_equal(numpy_helper.to_array(converted).view(np.uint16), expected.view(np.uint16))


def test_best_without_calibration_data(trt10: Flavour, rtx: Flavour, zoo_mnist8: Path) -> None:
    weak = prepare(zoo_mnist8, PrecisionOptions(best=True), trt10, strongly_typed=False)
    assert weak.builder_flags == ("fp16", "bf16") and weak.onnx is None
    strong = prepare(zoo_mnist8, PrecisionOptions(best=True), rtx, strongly_typed=False)
    assert strong.description.startswith("FP16") and strong.onnx is not None


def test_best_with_calibration_data_adds_int8(trt10: Flavour, rtx: Flavour, zoo_mnist8: Path, mnist_dir: Path) -> None:
    pytest.importorskip("onnxruntime")
    options = PrecisionOptions(best=True, calib=mnist_dir, calib_samples=64)
    weak = prepare(zoo_mnist8, options, trt10, strongly_typed=False)
    assert weak.builder_flags == ("int8", "fp16", "bf16") and weak.onnx is not None
    assert weak.description.startswith("INT8 (explicit Q/DQ") and "FP16+BF16 builder flags" in weak.description
    strong = prepare(zoo_mnist8, options, rtx, strongly_typed=False)
    assert strong.builder_flags == () and strong.description.startswith("INT8 (explicit Q/DQ")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (PrecisionOptions(int8=True), "--int8 needs calibration data"),
        (PrecisionOptions(int8=True, calib_cache=Path("missing.cache")), "does not exist yet"),
        (PrecisionOptions(fp16=True, calib=Path("data")), "--calib is for INT8"),
        (PrecisionOptions(fp16=True, bf16=True), "pick one"),
        (PrecisionOptions(int8=True, calib=Path("d"), calib_mode="implicit"), "needs TensorRT 10"),
        (PrecisionOptions(int8=True, calib=Path("d"), calib_algo="kl"), "--calibAlgo=kl"),
        (PrecisionOptions(int8=True, calib=Path("d"), calib_mode="both"), "--calibMode=both"),
        (PrecisionOptions(int8=True, calib=Path("d"), calib_samples=0), "--calibSamples=0"),
    ],
)
def test_bad_flag_combinations_say_what_to_do(
    rtx: Flavour, zoo_mnist8: Path, options: PrecisionOptions, message: str
) -> None:
    with pytest.raises(UsageError, match=message.replace("+", r"\+")):
        prepare(zoo_mnist8, options, rtx, strongly_typed=False)


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_converted_graphs_build_with_the_real_rtx_builder(rtx: Flavour, zoo_mnist8: Path, precision: str) -> None:
    from trtkit.builder.builder import BuildOptions, build

    options = PrecisionOptions(**{precision: True})
    result = build(BuildOptions(onnx=zoo_mnist8, precision=options, flavor="rtx", verbosity=-1))
    assert result.plan and result.precision.startswith(precision.upper())
