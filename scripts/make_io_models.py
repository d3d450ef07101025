"""Write the ONNX models whose I/O TensorRT can only size at run time (tests/data/models/*.onnx).

    python scripts/make_io_models.py [OUT_DIR]

- nonzero.onnx: NonZero of x[16] -> idx[1, n] (int64), a data-dependent output (n is known only after the
  engine ran; TensorRT sizes it through an output allocator).
- topk_computed_k.onnx: TopK of x[N, C] with k = C // 2 computed from x's shape -> values, indices [N, k];
  and topk_k_input.onnx: k = ReduceMax(k_in), k_in an int64[3] input that TensorRT reads as a shape tensor.
- reshape_shape_input.onnx: Reshape(data[12], shape[2]) with ``shape`` a graph input: a shape tensor
  TensorRT reads from host memory, whose values make the output's shape.

The models are a few hundred bytes each; tests/test_io_models.py builds them with the TensorRT-RTX builder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[1]
OPSET = 17


def _model(graph: onnx.GraphProto) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="trtkit")
    onnx.checker.check_model(model, full_check=True)
    return model


def nonzero() -> onnx.ModelProto:
    return _model(helper.make_graph(
        [helper.make_node("NonZero", ["x"], ["idx"], name="nonzero")], "nonzero",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [16])],
        [helper.make_tensor_value_info("idx", TensorProto.INT64, [1, "n"])],
    ))


def topk_computed_k() -> onnx.ModelProto:
    nodes = [
        helper.make_node("Shape", ["x"], ["channels"], name="channels", start=1, end=2),
        helper.make_node("Div", ["channels", "two"], ["k"], name="half"),
        helper.make_node("TopK", ["x", "k"], ["values", "indices"], name="topk", axis=1),
    ]
    return _model(helper.make_graph(
        nodes, "topk_computed_k",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "C"])],
        [helper.make_tensor_value_info("values", TensorProto.FLOAT, ["N", "K"]),
         helper.make_tensor_value_info("indices", TensorProto.INT64, ["N", "K"])],
        [numpy_helper.from_array(np.array([2], np.int64), "two")],
    ))


def topk_k_input() -> onnx.ModelProto:
    nodes = [
        helper.make_node("ReduceMax", ["k_in"], ["k"], name="k", keepdims=1),
        helper.make_node("TopK", ["x", "k"], ["values", "indices"], name="topk", axis=0),
    ]
    return _model(helper.make_graph(
        nodes, "topk_k_input",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [16]),
         helper.make_tensor_value_info("k_in", TensorProto.INT64, [3])],
        [helper.make_tensor_value_info("values", TensorProto.FLOAT, ["K"]),
         helper.make_tensor_value_info("indices", TensorProto.INT64, ["K"])],
    ))


def reshape_shape_input() -> onnx.ModelProto:
    return _model(helper.make_graph(
        [helper.make_node("Reshape", ["data", "shape"], ["y"], name="reshape")], "reshape_shape_input",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [12]),
         helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["A", "B"])],
    ))


MODELS = {
    "nonzero.onnx": nonzero,
    "topk_computed_k.onnx": topk_computed_k,
    "topk_k_input.onnx": topk_k_input,
    "reshape_shape_input.onnx": reshape_shape_input,
}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, make in MODELS.items():
        onnx.save(make(), out / name)
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "tests" / "data" / "models")
