"""Tiny reduced-precision graphs built with onnx.helper, for the faithful-execution tests: small enough to
read, each made to show one way FP16/BF16 storage differs from FP32 arithmetic."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OVERFLOW_INPUT = np.full((1, 4), 100.0, dtype=np.float32)


def overflow_model(half: int = TensorProto.FLOAT16) -> onnx.ModelProto:
    """FP32 in and out; inside, an FP16 MatMul whose output (4 * 100 * 300 = 120000) exceeds FP16's 65504,
    then a Mul by 1/100 that brings it back to 1200. Stored in FP16 it is inf; computed in FP32 it is 1200."""
    dtype = np.float16 if half == TensorProto.FLOAT16 else np.float32
    weight = numpy_helper.from_array(np.full((4, 4), 300.0, dtype=dtype), "weight")
    scale = numpy_helper.from_array(np.array(0.01, dtype=dtype), "scale")
    if half == TensorProto.BFLOAT16:
        for tensor in (weight, scale):
            values = numpy_helper.to_array(tensor)
            tensor.CopyFrom(helper.make_tensor(tensor.name, half, values.shape, values.flatten().tolist()))
    nodes = [
        helper.make_node("Cast", ["x"], ["x16"], to=half, name="to_half"),
        helper.make_node("MatMul", ["x16", "weight"], ["big"], name="matmul"),
        helper.make_node("Mul", ["big", "scale"], ["back"], name="rescale"),
        helper.make_node("Cast", ["back"], ["y"], to=TensorProto.FLOAT, name="to_float"),
    ]
    graph = helper.make_graph(
        nodes, "overflow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [weight, scale],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    return model
