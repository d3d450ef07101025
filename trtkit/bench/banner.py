"""The options trtexec prints before it runs (``=== System Options ===``, ``=== Inference Options ===``),
with trtexec's labels, filled with what trtkit's run actually used.

Labels and order follow ``operator<<`` for SystemOptions and InferenceOptions in trtexec's
sampleOptions.cpp: 10.16 prints ``Data transfers`` from ``!skipTransfers`` and a ``Separate profiling`` line,
11.x prints ``Data transfers`` from ``includeTransfers`` and no such line (the profile run is always
separate). Lines for switches a host-timed backend (ONNX Runtime) does not have read ``n/a``. The options
trtkit has no flag for print trtexec's defaults, which is what trtkit does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from trtkit.data.tensors import format_shape

if TYPE_CHECKING:
    from trtkit.bench.options import BenchOptions


def _enabled(value: bool | None) -> str:
    """trtexec's boolToEnabled; None (a switch the backend does not have) is n/a."""
    return "n/a" if value is None else ("Enabled" if value else "Disabled")


def _number(value: float) -> str:
    """C++ iostream's default float output (``3``, ``200``, ``0.5``)."""
    return f"{value:g}"


def system_lines(device: int) -> list[str]:
    """``=== System Options ===``: the GPU ordinal and the (unsupported, so empty) DLA and plugin lines."""
    return ["=== System Options ===", f"Device: {device}", "DLACore: ", "setPluginsToSerialize:", "dynamicPlugins:",
            "ignoreParsedPluginLibs: 0", ""]


def inference_lines(options: BenchOptions, generation: int | None, shapes: Mapping[str, tuple[int, ...]],
                    load_inputs: Mapping[str, Path], use_profile: int | None = None,
                    time_deserialize: bool = False) -> list[str]:
    """``=== Inference Options ===`` for ``options`` as run (resolved: switches None only where the backend
    has none); ``generation`` is the trtexec major version whose layout to follow (None: host-timed)."""
    device = generation is not None
    transfers = (not options.no_data_transfers) if device else None
    graph, spin = (options.use_cuda_graph, options.use_spin_wait) if device else (None, None)
    separate = options.separate_profile_run if device else None
    lines = ["=== Inference Options ===", "Batch: Explicit"]
    if shapes:
        lines += [f"Input inference shape : {name}={format_shape(shape)}" for name, shape in shapes.items()]
    else:
        lines.append("Input inference shapes: model")
    host_threads = not device and options.inf_streams > 1
    lines += [
        f"Iterations: {options.iterations}",
        f"Duration: {_number(options.duration_s)}s (+ {_number(options.warm_up_ms)}ms warm up)",
        f"Sleep time: {_number(options.sleep_time_ms)}ms",
        f"Idle time: {_number(options.idle_time_ms)}ms",
        f"Inference Streams: {options.inf_streams}",
        "ExposeDMA: Disabled",
        f"Data transfers: {_enabled(transfers)}",
        f"Spin-wait: {_enabled(spin)}",
        f"Multithreading: {_enabled(host_threads)}",
        f"CUDA Graph: {_enabled(graph)}",
    ]
    if generation != 11:
        lines.append(f"Separate profiling: {_enabled(separate)}")
    lines += [
        f"Time Deserialize: {_enabled(time_deserialize)}",
        "Time Refit: Disabled",
        "NVTX verbosity: 0",
        "Persistent Cache Ratio: 0",
        f"Optimization Profile Index: {use_profile or 0}",
        "Weight Streaming Budget: Disabled",
        "Inputs:",
        *(f"{name}<-{path}" for name, path in load_inputs.items()),
        "Debug Tensor Save Destinations:",
        "Dump All Debug Tensor in Formats: ",
    ]
    return lines
