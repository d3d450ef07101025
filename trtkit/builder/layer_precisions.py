"""--layerPrecisions / --layerOutputTypes / --precisionConstraints on a parsed weakly typed network (TensorRT
10), as trtexec's setLayerPrecisions/setLayerOutputTypes do: an exact layer name always applies; a wildcard,
``op:`` or ONNX-node match skips layers that work on shape tensors or non-activation types
(int32/int64/bool/uint8), trtexec's heuristics. A layer answers to its TensorRT name and to the ONNX node
the parser records in its metadata (``[ONNX Layer: name]``), so ONNX node names reach the layers the parser
split a node into."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from trtkit.platform import log
from trtkit.platform.errors import UsageError
from trtkit.precision.layers import NON_ACTIVATION, LayerPrecisions, LayerRule, lookup, node_name

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.platform.flavours import Flavour

TRT_FLAVOURS = ("tensorrt10",)  # only weakly typed networks take per-layer precision through the API
_ONNX_LAYER = re.compile(r"\[ONNX Layer: ([^\]]*)\]")
_NON_ACTIVATION_TRT = ("INT32", "INT64", "BOOL", "UINT8")


def onnx_node_of(layer: trt.ILayer) -> str:
    """The ONNX node a parsed layer came from ('' for helper layers the parser added)."""
    found = _ONNX_LAYER.search(layer.metadata or "")
    return found.group(1) if found else ""


def node_ops(onnx_path: Path) -> dict[str, str]:
    """ONNX node name (the parser's) -> op type, for ``op:OpType`` rules."""
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    return {node_name(n): n.op_type for n in model.graph.node}


def _skipped(layer: trt.ILayer) -> bool:
    """trtexec's reasons not to apply a wildcard match: shape tensors, non-activation types (read from the
    tensors: a layer's default precision is its output's type)."""
    if layer.num_inputs >= 1 and layer.get_input(0) is not None and layer.get_input(0).is_shape_tensor:
        return True
    outputs = [layer.get_output(i) for i in range(layer.num_outputs)]
    return any(t.is_shape_tensor or t.dtype.name in _NON_ACTIVATION_TRT for t in outputs)


def apply(flavour: Flavour, network: trt.INetworkDefinition, config: trt.IBuilderConfig, layers: LayerPrecisions,
          onnx_path: Path) -> str:
    """Set the rules on ``network``/``config``; returns one line for the build log."""
    uses_ops = any(r.op for r in (*layers.precisions, *layers.output_types))
    ops = node_ops(onnx_path) if uses_ops else {}
    used: set[LayerRule] = set()
    counts = [0, 0]
    for i in range(network.num_layers):
        layer: trt.ILayer = network.get_layer(i)
        onnx_name = onnx_node_of(layer)
        names = [layer.name, onnx_name]
        for slot, rules in enumerate((layers.precisions, layers.output_types)):
            rule, exact = lookup(rules, names, ops.get(onnx_name))
            exact = exact and rule is not None and rule.pattern == layer.name  # via the ONNX node: heuristics apply
            if rule is None or (not exact and (_skipped(layer) or set(rule.types) & set(NON_ACTIVATION))):
                continue
            if slot == 1 and len(rule.types) > 1 and len(rule.types) != layer.num_outputs:
                raise UsageError(f"--layerOutputTypes: {rule} gives {len(rule.types)} types, layer {layer.name!r} "
                                 f"has {layer.num_outputs} outputs")
            if slot == 0:
                flavour.set_layer_precision(config, layer, rule.types[0])
            else:
                flavour.set_layer_precision(config, layer, rule.types[0], outputs=rule.types)
            used.add(rule)
            counts[slot] += 1
    for rule in (*layers.precisions, *layers.output_types):
        if rule not in used:
            log.warning(f"per-layer rule {rule} matched no layer of the network")
    flavour.set_precision_constraints(config, layers.effective_constraints)
    return (f"per-layer rules: precision set on {counts[0]} layers, output types on {counts[1]} "
            f"({layers.effective_constraints} precision constraints)")
