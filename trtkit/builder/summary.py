"""The build summary: what TensorRT itself holds after trtkit configured it, read back from the real
``IBuilderConfig``, ``IOptimizationProfile`` and ``INetworkDefinition`` objects (never echoed from trtkit's
options, so a flag that was parsed but never reached TensorRT shows up as the default it left behind).

trtexec prints the options it was given; trtkit prints (``--verbose``) and exports (``--exportBuildInfo``)
what TensorRT was left holding. Where flavours differ (strong typing, RTX's missing hardware compatibility
level) the :class:`~trtkit.platform.flavours.Flavour` answers.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtkit.platform.files import write_atomic

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.platform.flavours import Flavour


@dataclass
class TensorInfo:
    name: str
    shape: list[int]  # -1 for a dynamic dimension
    dtype: str  # TensorRT DataType name: FLOAT, HALF, BF16, INT8, INT64, ...


@dataclass
class BuildSummary:
    """One build's configuration as TensorRT reports it (JSON-ready through :meth:`to_dict`)."""

    flavour: str
    parsed: str  # which graph the parser was given: "the original file" or "a converted graph (...)"
    strongly_typed: bool
    num_layers: int
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    layer_precisions: dict[str, int]  # layers per output-0 DataType name (strongly typed: the precision)
    quantize_layers: int
    dequantize_layers: int
    memory_pools: dict[str, int]  # bytes, every MemoryPoolType of this version
    flags: list[str]  # every BuilderFlag that is set
    builder_optimization_level: int
    max_aux_streams: int
    hardware_compatibility_level: str | None  # None where the flavour has none (TensorRT-RTX)
    version_compatible: bool
    profiling_verbosity: str
    config_profiles: int  # IBuilderConfig.num_optimization_profiles
    profiles: list[dict[str, dict[str, list[int]]]]  # per profile: input -> {"min", "opt", "max"}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The summary as log lines, one topic each."""
        mib = {name: f"{size / (1 << 20):g} MiB" for name, size in self.memory_pools.items()}
        out = [
            f"Build summary (read back from {self.flavour}): parsed {self.parsed}",
            f"Network: {self.num_layers} layers, {'strongly' if self.strongly_typed else 'weakly'} typed; "
            f"layer precisions {_counts(self.layer_precisions)}; "
            f"{self.quantize_layers} quantize, {self.dequantize_layers} dequantize layers",
            "Inputs: " + ", ".join(_tensor(t) for t in self.inputs),
            "Outputs: " + ", ".join(_tensor(t) for t in self.outputs),
            "Memory pools: " + ", ".join(f"{name} {size}" for name, size in mib.items()),
            f"Builder flags set: {', '.join(self.flags) or 'none'}",
            f"Builder optimization level {self.builder_optimization_level}; max aux streams {self.max_aux_streams}; "
            f"hardware compatibility {self.hardware_compatibility_level or 'unsupported by this flavour'}; "
            f"version compatible {'yes' if self.version_compatible else 'no'}; "
            f"profiling verbosity {self.profiling_verbosity}",
            f"Optimization profiles in the config: {self.config_profiles}",
        ]
        for i, profile in enumerate(self.profiles):
            shapes = "; ".join(
                f"{name} min {_dims(s['min'])} opt {_dims(s['opt'])} max {_dims(s['max'])}"
                for name, s in profile.items()
            )
            out.append(f"Profile {i}: {shapes}")
        return out

    def export(self, path: Path) -> None:
        """``--exportBuildInfo``: the summary as JSON, written atomically."""
        write_atomic(path, (json.dumps(self.to_dict(), indent=2) + "\n").encode())


def _dims(shape: list[int]) -> str:
    return "x".join(str(d) for d in shape)


def _tensor(t: TensorInfo) -> str:
    return f"{t.name} [{','.join('?' if d < 0 else str(d) for d in t.shape)}] {t.dtype}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "none"


def _tensor_info(tensor: trt.ITensor) -> TensorInfo:
    return TensorInfo(tensor.name, list(tensor.shape), tensor.dtype.name)


def _network(network: trt.INetworkDefinition, flavour: Flavour) -> dict[str, Any]:
    trt = flavour.module
    precisions: Counter[str] = Counter()
    types: Counter[str] = Counter()
    for i in range(network.num_layers):
        layer: trt.ILayer = network.get_layer(i)
        types[layer.type.name] += 1
        if layer.num_outputs:
            output: trt.ITensor = layer.get_output(0)
            precisions[output.dtype.name] += 1
    return {
        "strongly_typed": flavour.strongly_typed(network),
        "num_layers": network.num_layers,
        "inputs": [_tensor_info(network.get_input(i)) for i in range(network.num_inputs)],
        "outputs": [_tensor_info(network.get_output(i)) for i in range(network.num_outputs)],
        "layer_precisions": dict(sorted(precisions.items())),
        "quantize_layers": types[trt.LayerType.QUANTIZE.name],
        "dequantize_layers": types[trt.LayerType.DEQUANTIZE.name],
    }


def _profile(profile: trt.IOptimizationProfile, names: list[str]) -> dict[str, dict[str, list[int]]]:
    shapes = {}
    for name in names:
        low, opt, high = profile.get_shape(name)
        shapes[name] = {"min": list(low), "opt": list(opt), "max": list(high)}
    return shapes


def read_back(flavour: Flavour, network: trt.INetworkDefinition, config: trt.IBuilderConfig,
              profiles: list[trt.IOptimizationProfile], parsed: str) -> BuildSummary:
    """Read the configuration back from TensorRT's objects. ``profiles`` are the profile objects that were
    added to ``config`` (the Python API cannot list a config's profiles; it counts them)."""
    trt = flavour.module
    pools = {name: config.get_memory_pool_limit(pool) for name, pool in trt.MemoryPoolType.__members__.items()}
    flags = [name for name, flag in trt.BuilderFlag.__members__.items() if config.get_flag(flag)]
    dynamic = [
        network.get_input(i).name for i in range(network.num_inputs) if any(d < 0 for d in network.get_input(i).shape)
    ]
    return BuildSummary(
        flavour=str(flavour),
        parsed=parsed,
        **_network(network, flavour),
        memory_pools=pools,
        flags=flags,
        builder_optimization_level=config.builder_optimization_level,
        max_aux_streams=config.max_aux_streams,
        hardware_compatibility_level=flavour.hardware_compatibility_level(config),
        version_compatible=config.get_flag(trt.BuilderFlag.VERSION_COMPATIBLE),
        profiling_verbosity=config.profiling_verbosity.name,
        config_profiles=config.num_optimization_profiles,
        profiles=[_profile(p, dynamic) for p in profiles],
    )
