"""trtexec's JSON exports (--exportTimes, --exportProfile) in trtexec's own layout, so that tools built for
trtexec files read trtkit's: TensorRT Engine Explorer (trex) takes ``latencyMs`` from every timing record and
keeps the profile records of 4-5 keys (``name``, ``timeMs``, ``averageMs``, ``medianMs``, ``percentage``),
skipping the leading ``{"count": N}``.

A host-timed backend (ONNX Runtime) measures one thing per query: the host time of a blocking run. Its
timing records keep trtexec's keys in trtexec's order so that readers find them, but only the enqueue
stamps and ``latencyMs`` (= ``endEnqMs - startEnqMs``) hold numbers; the H2D, compute and D2H stamps and
durations, which nothing measured, are ``null``, and every record names what produced it in one extra
key, ``"timedBy"`` (e.g. ``"onnxruntime, host clock (time.perf_counter)"``). Device-timed (TensorRT)
records are exactly trtexec's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trtkit.bench.stats import LayerTimes, layer_profile, timings
from trtkit.platform import log
from trtkit.platform.files import write_atomic

if TYPE_CHECKING:
    from trtkit.bench.benchmark import BenchResult
    from trtkit.bench.options import BenchOptions

# trtexec exportJSONTrace keys (TensorRT 8.5 and later), in its order, and the trace field behind each.
TIMES_KEYS = (
    ("startEnqMs", "startEnqMs"),
    ("endEnqMs", "endEnqMs"),
    ("startH2dMs", "startH2DMs"),
    ("endH2dMs", "endH2DMs"),
    ("startComputeMs", "startComputeMs"),
    ("endComputeMs", "endComputeMs"),
    ("startD2hMs", "startD2HMs"),
    ("endD2hMs", "endD2HMs"),
)
DURATION_KEYS = (("h2dMs", "h2d"), ("computeMs", "compute"), ("d2hMs", "d2h"), ("latencyMs", "latency"))


def _json_array(records: list[dict[str, object]]) -> bytes:
    """One record per line, as trtexec writes them (``[``, ``  {..}``, ``, {..}``, ``]``)."""
    lines = ["["]
    for i, record in enumerate(records):
        lines.append(("  " if i == 0 else ", ") + json.dumps(record))
    lines.append("]")
    return ("\n".join(lines) + "\n").encode()


def times_records(trace: np.ndarray) -> list[dict[str, object]]:
    """One trtexec timing record per query, ordered by H2D start as trtexec sorts its trace."""
    ordered = trace[np.argsort(trace["startH2DMs"], kind="stable")]
    durations = timings(ordered)
    columns = [(key, ordered[field].tolist()) for key, field in TIMES_KEYS]
    columns += [(key, durations[metric].tolist()) for key, metric in DURATION_KEYS]
    return [{key: values[i] for key, values in columns} for i in range(len(ordered))]


HOST_CLOCK = "host clock (time.perf_counter)"


def host_times_records(trace: np.ndarray, backend: str) -> list[dict[str, object]]:
    """Timing records of a host-timed run: trtexec's keys, host figures only, device figures null. The latency
    is the query's own host time, call to result (the same as the enqueue span for a blocking run; an
    asynchronous OpenVINO request returns from its start call long before its result)."""
    ordered = trace[np.argsort(trace["startEnqMs"], kind="stable")]
    start, end = ordered["startEnqMs"].tolist(), ordered["endEnqMs"].tolist()
    latency = (ordered["endComputeMs"] - ordered["startComputeMs"]).tolist()
    keys = [key for key, _ in TIMES_KEYS] + [key for key, _ in DURATION_KEYS]
    timed_by = f"{backend}, {HOST_CLOCK}"
    records = []
    for s, e, ms in zip(start, end, latency, strict=True):
        measured = {"startEnqMs": s, "endEnqMs": e, "latencyMs": ms}
        records.append({**{key: measured.get(key) for key in keys}, "timedBy": timed_by})
    return records


def export_times(path: str | os.PathLike[str], trace: np.ndarray, host_backend: str | None = None) -> Path:
    """--exportTimes: the timed queries (warm-up excluded) as trtexec's JSON array; ``host_backend`` names
    the backend of a host-timed run, whose records carry only what the host clock measured."""
    records = times_records(trace) if host_backend is None else host_times_records(trace, host_backend)
    return write_atomic(path, _json_array(records))


def profile_records(layer_times: LayerTimes) -> list[dict[str, object]]:
    """``[{"count": N}, {"name", "timeMs", "averageMs", "medianMs", "percentage"}, ...]`` in layer order."""
    count, rows, _ = layer_profile(layer_times)
    records: list[dict[str, object]] = [{"count": count}]
    records += [
        {"name": r.name, "timeMs": r.time_ms, "averageMs": r.average_ms, "medianMs": r.median_ms,
         "percentage": r.percentage}
        for r in rows
    ]
    return records


def export_profile(path: str | os.PathLike[str], layer_times: LayerTimes) -> Path:
    """--exportProfile: per-layer times as trtexec's JSON array."""
    return write_atomic(path, _json_array(profile_records(layer_times)))


# Layers trex leaves out of its table (engine_plan.py: Constant and NoOp; parser.py: shape_call, signal, wait).
TREX_DROPPED = frozenset({"Constant", "NoOp", "shape_call", "signal", "wait"})


def unjoined_profile_names(layer_info: dict[str, object], profile_names: list[str]) -> list[str]:
    """The --exportProfile layer names that trex would not join to the --exportLayerInfo row of that name.

    trex drops profile records of Constant/NoOp layers, then joins by position when as many records as
    table rows remain, else by name (with a "Partial profiling data" warning); it replaces the separators
    \x1E/\x1F in layer-info names (not in profile names) by "+". Both files of one run name the layers of one
    engine, so this is empty unless TensorRT's profiler and inspector disagree.
    """
    layers = [layer for layer in layer_info.get("Layers", []) if isinstance(layer, dict)]  # type: ignore[union-attr]
    ignored = {layer["Name"] for layer in layers if layer.get("LayerType") in ("Constant", "NoOp")}
    rows = [str(layer["Name"]).replace("\x1e", "+").replace("\x1f", "+")
            for layer in layers if layer.get("LayerType") not in TREX_DROPPED]
    kept = [name for name in profile_names if name not in ignored]
    if len(kept) == len(rows):
        return [name for name, row in zip(kept, rows, strict=True) if name != row]
    return [name for name in kept if name not in set(rows)]


def write_runtime_layer_info(info: dict[str, object], path: Path) -> None:
    """--exportLayerInfo of OpenVINO: its runtime model (after its fusions) in trtexec's layer-info layout
    (TensorRT's comes from the engine inspector on the measured context, in the run)."""
    write_atomic(path, json.dumps(info, indent=2).encode())
    log.info(f"Layer information written to {path}")


def write_exports(result: BenchResult, options: BenchOptions) -> None:
    """--exportTimes, --exportProfile, --exportOutput, --exportLayerInfo and --plot, each written atomically."""
    run = result.run
    if options.export_output is not None and run.outputs is not None:
        from trtkit.data.postprocess import export_outputs

        export_outputs(options.export_output, list(run.outputs.items()))
        log.info(f"Outputs of the last query written to {options.export_output}")
    if options.export_times is not None:
        export_times(options.export_times, run.trace, None if result.device_timed else result.backend)
        log.info(f"Timing trace of {len(run.trace)} queries written to {options.export_times}")
    if options.export_profile is not None:
        if run.layer_times_ms:
            export_profile(options.export_profile, run.layer_times_ms)
            log.info(f"Per-layer profile written to {options.export_profile}")
        else:
            log.warning(f"--exportProfile: the {result.backend} backend recorded no layer times; nothing written")
    if options.export_layer_info is not None and run.layer_info is not None:
        from trtkit.builder.layer_info import write_layer_info

        write_layer_info(options.export_layer_info, run.layer_info)
        log.info(f"Layer information (engine inspector, shapes of the run) written to {options.export_layer_info}")
        if run.layer_times_ms:
            for name in unjoined_profile_names(run.layer_info, list(run.layer_times_ms)):
                log.warning(f"--exportProfile: layer {name!r} is not in --exportLayerInfo; trex will not join it")
    if options.plot is not None:
        from trtkit.bench.plot import save_plot

        save_plot(options.plot, run.trace, result.summary, f"{result.model.name} on {result.backend}")
        log.info(f"Latency plot written to {options.plot}")
