"""`trtkit debug precision` on the project's own broken-in-FP16 models (scripts/make_precision_models.py),
run faithfully (the reference runner stores every tensor in its declared type), and the keep list it writes
built with the real TensorRT-RTX builder: the parsed network holds the kept layers in FP32 and the rest in
FP16, and the graph handed to the parser meets the tolerance when run faithfully."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from helpers import cli

from trtkit.precision.convert import convert_float, load_model
from trtkit.tasks.debug_precision import DebugPrecisionOptions, debug_precision
from trtkit.tasks.precision_table import within

pytest.importorskip("onnxconverter_common", reason="graph conversion needs onnxconverter-common")
MODELS = Path(__file__).parent / "data" / "models"
OVERFLOW, BLOCK = MODELS / "fp16_overflow.onnx", MODELS / "transformer_block.onnx"


def test_overflow_graph_names_the_overflowing_layer_and_keeps_three_of_seven(tmp_path: Path) -> None:
    keep = tmp_path / "keep.txt"
    result = debug_precision(DebugPrecisionOptions(OVERFLOW, "fp16", save_layer_precisions=keep, progress=False))
    first = result.first_failing
    assert first is not None and first.layer == "fc1" and first.out_of_range and first.nonfinite > 0
    assert first.max_abs_value > 65504 and first.type_max == 65504
    assert not result.outputs_pass
    assert result.search is not None and result.search.passes
    assert result.search.keep == ["fc1", "fc1_bias", "rescale"]  # every layer touching the >65504 tensor
    assert keep.read_text() == "fc1:fp32\nfc1_bias:fp32\nrescale:fp32\n"


def test_transformer_block_keeps_the_attention_logits_path_and_leaves_the_rest_fp16() -> None:
    result = debug_precision(DebugPrecisionOptions(BLOCK, "fp16", input_range=(-2.0, 2.0), progress=False))
    first = result.first_failing
    assert first is not None and first.layer == "/MatMul" and first.out_of_range  # q.k^T past 65504
    search = result.search
    assert search is not None and search.passes and not search.passes_without_keep
    assert {"/MatMul", "/Div"} <= set(search.keep)
    assert len(search.keep) <= 8 < len(result.rows)
    assert not {"/v/MatMul", "/o/MatMul", "/fc1/MatMul", "/fc2/MatMul"} & set(search.keep)


def test_cli_json_and_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = cli(capsys, "debug", "precision", OVERFLOW, "--fp16", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["first_failing_layer"] == "fc1" and report["keep_fp32"] == ["fc1", "fc1_bias", "rescale"]
    assert report["layers"][0]["out_of_range"] and report["evaluations"] > 2
    code, out, err = cli(capsys, "debug", "precision", OVERFLOW, "--fp16", "--noSearch")
    assert code == 0 and "<< first past tolerance" in out and "fc1" in out and "Keep in FP32" not in out


def test_build_with_the_keep_list_on_tensorrt_rtx_holds_fp16_and_meets_tolerance(tmp_path: Path) -> None:
    trt = pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")
    from trtkit.backends.reference import run_all
    from trtkit.builder.builder import BuildOptions, build
    from trtkit.precision.layers import layer_options
    from trtkit.precision.options import PrecisionOptions

    keep = tmp_path / "keep.txt"
    found = debug_precision(DebugPrecisionOptions(BLOCK, "fp16", input_range=(-2.0, 2.0), progress=False,
                                                  save_layer_precisions=keep)).search
    assert found is not None
    converted, plan = tmp_path / "converted.onnx", tmp_path / "block.plan"
    precision = PrecisionOptions(fp16=True, layers=layer_options(f"@{keep}", None, None))
    result = build(BuildOptions(onnx=BLOCK, save_engine=plan, precision=precision, save_converted_onnx=converted,
                                flavor="rtx", verbosity=-1))
    assert plan.stat().st_size == len(result.plan) > 0
    assert result.prepared is not None and converted.read_bytes() == result.prepared.onnx  # what the parser got

    logger = trt.Logger(trt.Logger.ERROR)
    network = trt.Builder(logger).create_network(0)
    assert trt.OnnxParser(network, logger).parse(converted.read_bytes())
    dtypes = {network.get_layer(i).name: network.get_layer(i).get_output(0).dtype for i in range(network.num_layers)}
    for name in found.keep:
        assert dtypes[name] == trt.DataType.FLOAT, name
    for name in ("/v/MatMul", "/o/MatMul", "/fc1/MatMul", "/fc2/MatMul", "/MatMul_1"):
        assert dtypes[name] == trt.DataType.HALF, name
    assert sum(d == trt.DataType.HALF for d in dtypes.values()) > 10

    model = load_model(BLOCK)
    x = np.random.default_rng(7).uniform(-2, 2, (1, 16, 64)).astype(np.float32)
    reference = run_all(model, {"x": x}, ["y"])["y"]
    got = run_all(onnx.load(str(converted)), {"x": x}, ["y"])["y"]
    assert got.dtype == np.float32 and within(got, reference, 1e-2, 1e-2)
    default = onnx.load_model_from_string(convert_float(model, "fp16"))
    assert not within(run_all(default, {"x": x}, ["y"])["y"], reference, 1e-2, 1e-2)  # without the list: broken


def test_precision_constraints_none_ignores_the_rules(tmp_path: Path) -> None:
    pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed")
    from trtkit.platform.trt import load
    from trtkit.precision.layers import layer_options
    from trtkit.precision.options import PrecisionOptions
    from trtkit.precision.prepare import prepare

    rtx = load("rtx")
    plain = prepare(OVERFLOW, PrecisionOptions(fp16=True), rtx, False).onnx
    def with_rules(spec: str, constraints: str | None) -> bytes | None:
        layers = layer_options(spec, None, constraints)
        return prepare(OVERFLOW, PrecisionOptions(fp16=True, layers=layers), rtx, False).onnx

    ignored, kept = with_rules("fc1:fp32", "none"), with_rules("op:MatMul:fp32", None)
    assert ignored == plain and kept != plain
    graph = onnx.load_model_from_string(kept or b"")
    matmuls = [n for n in graph.graph.node if n.op_type == "MatMul"]
    initializers = {i.name: i.data_type for i in graph.graph.initializer}
    assert len(matmuls) == 2 and all(initializers[n.input[1]] == onnx.TensorProto.FLOAT for n in matmuls)
    assert initializers["b1"] == onnx.TensorProto.FLOAT16  # the Add stays converted


def test_int8_keep_list_leaves_the_node_unquantized_on_strongly_typed_flavours(zoo_mnist12: Path,
                                                                               mnist_dir: Path) -> None:
    pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed")
    from trtkit.platform.trt import load
    from trtkit.precision.layers import layer_options
    from trtkit.precision.options import PrecisionOptions
    from trtkit.precision.prepare import prepare

    options = PrecisionOptions(int8=True, calib=mnist_dir, calib_samples=32,
                               layers=layer_options("op:MatMul:fp32", None, None))
    prepared = prepare(zoo_mnist12, options, load("rtx"), False)
    graph = onnx.load_model_from_string(prepared.onnx or b"")
    producer = {out: node.op_type for node in graph.graph.node for out in node.output}
    inputs = {n.op_type: [producer.get(i, "initializer") for i in n.input] for n in graph.graph.node
              if n.op_type in ("Conv", "MatMul")}
    assert "DequantizeLinear" not in inputs["MatMul"] and "DequantizeLinear" in inputs["Conv"]
    assert "1 nodes kept FP32" in prepared.description


def test_bf16_has_the_range_fp16_lacks() -> None:
    result = debug_precision(DebugPrecisionOptions(OVERFLOW, "bf16", progress=False))
    assert result.outputs_pass and result.first_failing is None
    assert result.search is not None and result.search.passes_without_keep and result.search.keep == []
    assert {r.dtype for r in result.rows[:-1]} == {"bfloat16"} and not any(r.out_of_range for r in result.rows)


def test_eval_target_judges_top1_on_labelled_data(zoo_mnist12: Path, mnist_dir: Path) -> None:
    result = debug_precision(DebugPrecisionOptions(zoo_mnist12, "fp16", eval_data=mnist_dir, eval_samples=200,
                                                   progress=False))
    assert result.outputs_pass and "top-1 on 200 samples" in result.criterion
    assert float(result.criterion.rsplit("FP32's ", 1)[1].rstrip("%")) > 95.0
    assert result.search is not None and result.search.keep == []
