"""--exportLayerInfo: trtexec's layer-information JSON, ``{"Layers": [...], "Bindings": [...]}``.

trtexec writes the engine inspector's JSON with an execution context attached (unless --skipInference), so
that dynamic dimensions appear as the shapes the context runs, not -1. trtkit does the same wherever a
runtime can deserialize the plan, with the first optimization profile's opt shapes set on the context (the
shapes trtexec infers with when --shapes is not given). Where none can (TensorRT-RTX building on a machine
with no GPU), :mod:`trtkit.builder.network_layers` writes the same layout from the network definition, and
the file's extra top-level ``"Source"`` key says which of the two it is (trex ignores keys it does not read).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtkit.builder.network_layers import network_layers
from trtkit.platform.files import write_atomic

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.builder.profiles import ProfileSpec
    from trtkit.platform.flavours import Flavour

ENGINE_SOURCE = "engine inspector"
NETWORK_SOURCE = "network definition (no CUDA runtime could deserialize the plan; layers are before fusion)"


def inspect_engine(flavour: Flavour, engine: trt.ICudaEngine, context: trt.IExecutionContext | None) -> dict[str, Any]:
    """The inspector's JSON for ``engine``; with ``context`` attached, its dimensions are the context's."""
    trt = flavour.module
    inspector: trt.EngineInspector = engine.create_engine_inspector()
    if context is not None:
        inspector.execution_context = context
    info = json.loads(inspector.get_engine_information(trt.LayerInformationFormat.JSON))
    info["Source"] = ENGINE_SOURCE
    return info


def _context_at_opt(flavour: Flavour, engine: trt.ICudaEngine,
                    profile: ProfileSpec | None) -> trt.IExecutionContext | None:
    """An execution context with the first profile's opt shapes set, as trtexec's inference would set them;
    None where TensorRT cannot make one (the inspector then reports the engine's declared dimensions)."""
    context: trt.IExecutionContext | None = engine.create_execution_context()
    if context is None or profile is None:
        return context
    for name, shape in profile.opt.items():
        if not context.set_input_shape(name, shape):
            return None
    return context


def network_info(flavour: Flavour, network: trt.INetworkDefinition, profiles: list[ProfileSpec]) -> dict[str, Any]:
    """The inspector's layout written from the network definition, at the first profile's opt shapes."""
    opt = dict(profiles[0].opt) if profiles else {}
    layers = network_layers(flavour.module, network, opt)
    io = [network.get_input(i).name for i in range(network.num_inputs)]
    io += [network.get_output(i).name for i in range(network.num_outputs)]
    return {"Layers": layers, "Bindings": io, "Source": NETWORK_SOURCE}


def export_layer_info(flavour: Flavour, plan: bytes, network: trt.INetworkDefinition, path: Path,
                      profiles: list[ProfileSpec] | None = None) -> str:
    """Write the layer JSON to ``path``; return which source it came from."""
    trt = flavour.module
    errors: list[str] = []
    runtime: trt.Runtime = trt.Runtime(flavour.make_logger(-2, errors))
    engine: trt.ICudaEngine | None = runtime.deserialize_cuda_engine(plan)
    if engine is not None:
        context = _context_at_opt(flavour, engine, profiles[0] if profiles else None)
        info = inspect_engine(flavour, engine, context)
    else:
        info = network_info(flavour, network, profiles or [])
    write_layer_info(path, info)
    return str(info["Source"])


def write_layer_info(path: Path, info: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(info, indent=2).encode())
