"""Make the FP16/BF16 converter's FP32 nodes store their outputs in FP32.

onnxconverter-common's ``convert_float_to_float16`` computes a blocked node in FP32 but casts every output
back to FP16 right after it (``<node>_output_cast<i>``), and drops a cast pair only between two blocked
nodes. So a MatMul kept in FP32 whose output exceeds 65504 still overflows in the cast after it, and a
graph whose last node is blocked gets an FP16 output despite ``keep_io_types`` (the output's type is
rewritten before the I/O casts are added). TensorRT's layer precision keeps the output in FP32; this pass
does the same: the output cast goes, the tensor keeps its name in FP32, and only its FP16 consumers read it
through one new cast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnx


def keep_fp32_storage(model: onnx.ModelProto, blocked: set[str], half: int) -> onnx.ModelProto:
    """Rewire the output casts of the ``blocked`` nodes (in place); ``half`` is the 16-bit TensorProto type."""
    from onnx import TensorProto, helper
    from onnxconverter_common.float16 import sort_topology

    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    casts = [n for n in graph.node if n.op_type == "Cast" and _to(n) == half
             and n.input[0] in producer and producer[n.input[0]].name in blocked]
    types = {v.name: v for v in (*graph.value_info, *graph.output)}
    outputs = {o.name for o in graph.output}
    for cast in casts:
        source, name = cast.input[0], cast.output[0]
        node = producer[source]
        graph.node.remove(cast)
        node.output[list(node.output).index(source)] = name
        narrowed = f"{name}_fp16"
        needs_cast = False
        for consumer in [n for n in graph.node if name in n.input or source in n.input]:
            if consumer.op_type == "Cast" and _to(consumer) == TensorProto.FLOAT and consumer.output[0] not in outputs:
                _bypass(graph, consumer, name)
                continue
            for i, value in enumerate(consumer.input):
                if value == source or (value == name and consumer.name not in blocked):
                    consumer.input[i] = name if value == source and consumer.name in blocked else narrowed
                    needs_cast = needs_cast or consumer.input[i] == narrowed
        if needs_cast:
            graph.node.append(helper.make_node("Cast", [name], [narrowed], to=half, name=f"{name}_cast_fp16"))
        if name in types:
            types[name].type.tensor_type.elem_type = TensorProto.FLOAT
    sort_topology(graph)
    return model


def _to(node: onnx.NodeProto) -> int:
    return next((a.i for a in node.attribute if a.name == "to"), -1)


def _bypass(graph: onnx.GraphProto, cast: onnx.NodeProto, value: str) -> None:
    """Remove an FP32 cast of a tensor that is FP32 now, feeding its consumers ``value`` directly."""
    graph.node.remove(cast)
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == cast.output[0]:
                node.input[i] = value
