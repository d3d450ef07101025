"""The graph rewrite behind the ``reference`` backend: an FP16/BF16 ONNX graph becomes an FP32 graph in which
every tensor declared FP16 or BF16 is rounded through an explicit ``Cast(to=declared) -> Cast(to=FLOAT)`` pair
right where it is produced.

Why: ONNX Runtime's CPU provider has no FP16 kernels for most ops and runs whole FP16 chains in FP32, so an
overflow past 65504 in the middle of a graph vanishes. TensorRT's reduced-precision kernels read and write
their tensors in the declared type (they accumulate GEMM/convolution in FP32 and store FP16 or BF16). With the
rounding pair after every producer, each op computes in FP32 on inputs that hold exactly the declared type's
values, and its output is stored in that type: overflow to inf, underflow to zero and rounding happen where
TensorRT's would. The pair cannot be optimized away because the session runs with graph optimizations off
(``scripts/bench_faithful.py`` checks that overflow survives). INT8 Q/DQ nodes are left as they are: ONNX
Runtime runs QuantizeLinear/DequantizeLinear exactly as the ONNX spec says once nothing fuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trtkit.platform.errors import TrtkitError

if TYPE_CHECKING:
    import onnx

ROUNDED_SUFFIX = "/trtkit_fp32"  # the unrounded FP32 value of tensor T is called T + this suffix


def reduced_types() -> dict[int, np.dtype]:
    """The float types stored narrower than FP32 that the rewrite rounds into (ONNX enum -> numpy)."""
    import ml_dtypes
    from onnx import TensorProto

    return {TensorProto.FLOAT16: np.dtype(np.float16), TensorProto.BFLOAT16: np.dtype(ml_dtypes.bfloat16)}


@dataclass
class FaithfulGraph:
    """The rewritten FP32 model and the declared ONNX element type of every tensor that has one."""

    model: onnx.ModelProto
    declared: dict[str, int]  # tensor name -> TensorProto element type as the original graph declares it

    def is_reduced(self, name: str) -> bool:
        return self.declared.get(name) in reduced_types()


def declared_types(model: onnx.ModelProto) -> dict[str, int]:
    """Every tensor's element type: graph I/O, initializers and what ONNX shape inference derives."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except Exception as e:  # onnx raises InferenceError/ValidationError with no common base beyond Exception
        raise TrtkitError(f"ONNX shape inference fails on the model, so tensor types are unknown: {e}") from None
    graph = inferred.graph
    types = {v.name: v.type.tensor_type.elem_type for v in (*graph.input, *graph.value_info, *graph.output)}
    types.update({i.name: i.data_type for i in graph.initializer})
    return {name: t for name, t in types.items() if t}


def has_reduced_floats(model: onnx.ModelProto) -> bool:
    """Whether any tensor of ``model`` is declared FP16 or BF16: the graphs ONNX Runtime would not run faithfully."""
    reduced = reduced_types()
    return any(t in reduced for t in declared_types(model).values())


def faithful_graph(model: onnx.ModelProto) -> FaithfulGraph:
    """The FP32 rewrite of ``model`` described in the module docstring; ``model`` itself is not changed."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    declared = declared_types(model)
    reduced = reduced_types()
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    subgraphs = (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
    control_flow = any(a.type in subgraphs for n in graph.node for a in n.attribute)
    if control_flow and any(t in reduced for t in declared.values()):
        raise TrtkitError(
            "the reference backend does not round inside control-flow subgraphs (If/Loop/Scan) of an FP16/BF16 "
            "graph; run it with --backend onnxruntime (FP32 arithmetic) instead"
        )
    for tensor in graph.initializer:
        if tensor.data_type in reduced:
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float32), tensor.name))
    for value in (*graph.input, *graph.output):
        if value.type.tensor_type.elem_type in reduced:
            value.type.tensor_type.elem_type = TensorProto.FLOAT
    del graph.value_info[:]  # stale FP16 types would contradict the rewrite; ONNX Runtime infers its own

    nodes = []
    for node in graph.node:
        _retype_attributes(node, reduced)
        nodes.append(node)
        for i, name in enumerate(node.output):
            target = declared.get(name)
            if not name or target not in reduced:
                continue
            raw = name + ROUNDED_SUFFIX
            node.output[i] = raw
            if node.op_type == "Cast":  # Cast(to=FP16) already rounds: widen its output back to FP32 only
                nodes.append(helper.make_node("Cast", [raw], [name], to=TensorProto.FLOAT, name=raw + "/widen"))
                continue
            narrow = raw + "/narrow"
            nodes.append(helper.make_node("Cast", [raw], [narrow], to=target, name=narrow))
            nodes.append(helper.make_node("Cast", [narrow], [name], to=TensorProto.FLOAT, name=raw + "/widen"))
    del graph.node[:]
    graph.node.extend(nodes)
    return FaithfulGraph(out, declared)


def _retype_attributes(node: onnx.NodeProto, reduced: dict[int, np.dtype]) -> None:
    """Reduced-precision types named in attributes become FP32 (``to``/``dtype``, constant tensors): the rewrite
    computes in FP32 and rounds each output after the node. Cast(to=FP16) is kept (it is the rounding)."""
    from onnx import AttributeProto, TensorProto, numpy_helper

    for attribute in node.attribute:
        if attribute.type == AttributeProto.INT and attribute.name in ("to", "dtype") and attribute.i in reduced:
            if node.op_type != "Cast":
                attribute.i = TensorProto.FLOAT
        elif attribute.type == AttributeProto.TENSOR and attribute.t.data_type in reduced:
            values = numpy_helper.to_array(attribute.t).astype(np.float32)
            attribute.t.CopyFrom(numpy_helper.from_array(values, attribute.t.name))


def needs_reference(path: str | Path) -> bool:
    """Whether an ONNX file is a reduced-precision graph that only the reference backend runs faithfully: a
    tensor declared FP16/BF16 (initializers, Cast/Constant attributes, graph I/O, value_info) or Q/DQ nodes,
    which ONNX Runtime's optimizer would otherwise fuse into its own integer kernels. A cheap scan, no inference."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # not loadable: the backend that opens it reports the error in its own words
        return False
    reduced = reduced_types()
    graph = model.graph
    if any(t.data_type in reduced for t in graph.initializer):
        return True
    values = (*graph.input, *graph.output, *graph.value_info)
    if any(v.type.tensor_type.elem_type in reduced for v in values):
        return True
    for node in graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            return True
        for a in node.attribute:
            if (a.name in ("to", "dtype") and a.i in reduced) or (a.HasField("t") and a.t.data_type in reduced):
                return True
    return False


def choose_backend(path: str | Path, backend: str) -> str:
    """``auto`` on a reduced-precision ONNX graph means ``reference`` for the commands that judge numbers
    (infer, eval, compare): ONNX Runtime alone would report FP32 arithmetic as FP16/BF16 accuracy."""
    import importlib.util

    from trtkit.platform import log

    if any(importlib.util.find_spec(m) is None for m in ("onnx", "onnxruntime", "ml_dtypes")):
        return backend  # no precision extra: ONNX Runtime as before (its own errors name the model)
    if backend != "auto" or Path(path).suffix.lower() != ".onnx" or not Path(path).is_file():
        return backend
    if not needs_reference(path):
        return backend
    log.info(f"{Path(path).name}: FP16/BF16/INT8 graph: running on the reference backend (each tensor stored in its "
             "declared type); --backend onnxruntime for ONNX Runtime's FP32 arithmetic")
    return "reference"
