"""--exportLayerInfo: trtexec's layer-information JSON.

The engine inspector needs a deserialized engine, hence a CUDA runtime. Where the plan cannot be
deserialized (TensorRT-RTX building on a machine with no GPU), trtkit writes the same layout from the
network definition instead — the layers before fusion — and marks the file's "Source" so nobody mistakes
one for the other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtkit.platform.files import write_atomic

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.platform.flavours import Flavour

ENGINE_SOURCE = "engine inspector"
NETWORK_SOURCE = "network definition (no CUDA runtime could deserialize the plan; layers are before fusion)"


def _tensor(tensor: trt.ITensor) -> dict[str, Any]:
    return {"Name": tensor.name, "Dimensions": list(tensor.shape), "Format/Datatype": tensor.dtype.name}


def _from_network(network: trt.INetworkDefinition) -> dict[str, Any]:
    layers = []
    for i in range(network.num_layers):
        layer: trt.ILayer = network.get_layer(i)
        layers.append({
            "Name": layer.name,
            "LayerType": layer.type.name,
            "Inputs": [_tensor(layer.get_input(j)) for j in range(layer.num_inputs) if layer.get_input(j)],
            "Outputs": [_tensor(layer.get_output(j)) for j in range(layer.num_outputs)],
        })
    io = [network.get_input(i).name for i in range(network.num_inputs)]
    io += [network.get_output(i).name for i in range(network.num_outputs)]
    return {"Layers": layers, "Bindings": io, "Source": NETWORK_SOURCE}


def export_layer_info(flavour: Flavour, plan: bytes, network: trt.INetworkDefinition, path: Path) -> str:
    """Write the layer JSON to ``path``; return which source it came from."""
    trt = flavour.module
    errors: list[str] = []
    runtime: trt.Runtime = trt.Runtime(flavour.make_logger(-2, errors))
    engine: trt.ICudaEngine | None = runtime.deserialize_cuda_engine(plan)
    if engine is not None:
        inspector: trt.EngineInspector = engine.create_engine_inspector()
        info = json.loads(inspector.get_engine_information(trt.LayerInformationFormat.JSON))
        info["Source"] = ENGINE_SOURCE
        source = ENGINE_SOURCE
    else:
        info = _from_network(network)
        source = NETWORK_SOURCE
    write_atomic(path, json.dumps(info, indent=2).encode())
    return source
