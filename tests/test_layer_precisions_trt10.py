"""Which layers TensorRT 10's per-layer path (trtkit/builder/layer_precisions.py) sets, on a network parsed by
the real TensorRT-RTX parser (the same ONNX parser code as TensorRT 10's: layer names, metadata, types).

TensorRT 10 itself cannot be loaded here. The flavour below is TensorRT10 with its two per-layer calls
recording what they would set; those calls (ILayer.precision, ILayer.set_output_type, the PREFER/OBEY
builder flags) are checked against the real 10.x bindings by ``pytest -m conformance``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from trtkit.builder.layer_precisions import apply
from trtkit.platform.errors import UsageError
from trtkit.platform.flavours import TensorRT10
from trtkit.precision.layers import layer_options

MODEL = Path(__file__).parent / "data" / "models" / "transformer_block.onnx"


class Recording(TensorRT10):
    def __init__(self) -> None:
        super().__init__(SimpleNamespace(__version__="10.13.3.9"))
        self.precisions: dict[str, str] = {}
        self.outputs: dict[str, tuple[str, ...]] = {}
        self.constraints = ""

    def set_layer_precision(self, config: Any, layer: Any, dtype: str, outputs: tuple[str, ...] | None = None) -> None:
        if outputs is None:
            self.precisions[layer.name] = dtype
        else:
            self.outputs[layer.name] = outputs

    def set_precision_constraints(self, config: Any, constraints: str) -> None:
        self.constraints = constraints


@pytest.fixture(scope="module")
def network() -> Iterator[Any]:
    trt = pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")
    logger = trt.Logger(trt.Logger.ERROR)
    builder = trt.Builder(logger)  # held until the module's tests end: the network lives in it
    net = builder.create_network(0)
    parser = trt.OnnxParser(net, logger)
    assert parser.parse(MODEL.read_bytes())
    yield net


def test_exact_names_op_types_and_wildcards_reach_the_right_layers(network: Any) -> None:
    flavour = Recording()
    layers = layer_options("op:MatMul:fp16,/MatMul:fp32,/gelu/*:fp32", "/Div:fp32", "obey")
    line = apply(flavour, network, None, layers, MODEL)
    assert flavour.precisions["/MatMul"] == "fp32"  # exact name beats op:MatMul
    assert flavour.precisions["/q/MatMul"] == flavour.precisions["/fc2/MatMul"] == "fp16"
    assert flavour.precisions["/gelu/Erf"] == flavour.precisions["/gelu/Mul_1"] == "fp32"
    assert "/ln1/LayerNormalization" not in flavour.precisions and flavour.outputs == {"/Div": ("fp32",)}
    assert flavour.constraints == "obey" and "output types on 1" in line


def test_default_constraints_are_prefer_and_bad_output_counts_fail(network: Any) -> None:
    flavour = Recording()
    apply(flavour, network, None, layer_options("/Softmax:fp32", None, None), MODEL)
    assert flavour.precisions == {"/Softmax": "fp32"} and flavour.constraints == "prefer"
    with pytest.raises(UsageError, match="--layerOutputTypes: /Div:fp32\\+fp16 gives 2 types"):
        apply(Recording(), network, None, layer_options(None, "/Div:fp32+fp16", None), MODEL)


def test_wildcards_skip_shape_layers_exact_names_do_not(tmp_path: Path) -> None:
    trt = pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")
    import onnx
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Shape", ["x"], ["s"], name="shape"),
             helper.make_node("Reshape", ["x", "s"], ["r"], name="reshape"),
             helper.make_node("Relu", ["r"], ["y"], name="relu")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])])
    path = tmp_path / "shape.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    logger = trt.Logger(trt.Logger.ERROR)
    builder = trt.Builder(logger)
    net = builder.create_network(0)
    parser = trt.OnnxParser(net, logger)
    assert parser.parse(path.read_bytes())
    wildcard, exact = Recording(), Recording()
    apply(wildcard, net, None, layer_options("*:fp16", None, None), path)
    apply(exact, net, None, layer_options("shape:fp16,relu:fp16", None, None), path)
    assert "relu" in wildcard.precisions and "shape" not in wildcard.precisions  # INT64 shape tensor: skipped
    assert exact.precisions == {"shape": "fp16", "relu": "fp16"}  # the parser's extra layer shape_0 (same ONNX
    # node, INT64 output) is matched through its metadata, so trtexec's heuristics skip it
