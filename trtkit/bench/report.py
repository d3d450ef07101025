"""The printed report, line for line as trtexec prints it (``=== Performance summary ===``, the trace
averages, the per-layer profile, the output dump), plus a summary dict for ``--json``.

Numbers use C++ iostream's default formatting (6 significant digits, ``%g``), as trtexec's do. Figures a
host-timed backend cannot measure (H2D, GPU compute, D2H) print as ``n/a``, so ONNX Runtime and TensorRT
runs compare in one table; in trtexec's log format (--logTimestamps, --exportLog) they are left out, since
log readers parse a number after each key. Lines go through trtkit.platform.log, which stamps and keeps them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from trtkit.bench.options import BenchOptions
from trtkit.bench.stats import LayerTimes, PerformanceResult, Summary, bound_warnings, layer_profile, trace_averages
from trtkit.platform import log

if TYPE_CHECKING:
    from trtkit.bench.benchmark import BenchResult

LABELS = {
    "latency": "Latency",
    "enqueue": "Enqueue Time",
    "h2d": "H2D Latency",
    "compute": "GPU Compute Time",
    "d2h": "D2H Latency",
}

EXPLANATIONS = (
    "=== Explanations of the performance metrics ===",
    "Total Host Walltime: the host walltime from when the first query (after warmups) is enqueued to when the "
    "last query is completed.",
    "GPU Compute Time: the GPU latency to execute the kernels for a query.",
    "Total GPU Compute Time: the summation of the GPU Compute Time of all the queries. If this is significantly "
    "shorter than Total Host Walltime, the GPU may be under-utilized because of host-side overheads or data "
    "transfers.",
    "Throughput: the observed throughput computed by dividing the number of queries by the Total Host Walltime. "
    "If this is significantly lower than the reciprocal of GPU Compute Time, the GPU may be under-utilized "
    "because of host-side overheads or data transfers.",
    "Enqueue Time: the host latency to enqueue a query. If this is longer than GPU Compute Time, the GPU may be "
    "under-utilized.",
    "H2D Latency: the latency for host-to-device data transfers for input tensors of a single query.",
    "D2H Latency: the latency for device-to-host data transfers for output tensors of a single query.",
    "Latency: the summation of H2D Latency, GPU Compute Time, and D2H Latency. This is the latency to infer a "
    "single query.",
    "For host-timed backends (ONNX Runtime) Latency and Enqueue Time are the host time of one blocking run; "
    "H2D, GPU Compute and D2H are n/a.",
    "On OpenVINO Latency is OpenVINO's own per-request latency (as benchmark_app reports it) and Enqueue Time the "
    "host time of the infer/start_async call.",
)


def _perf(result: PerformanceResult | None, percentiles: tuple[float, ...]) -> str:
    if result is None:
        return "n/a"
    text = (
        f"min = {result.min:g} ms, max = {result.max:g} ms, mean = {result.mean:g} ms, median = {result.median:g} ms"
    )
    pairs = zip(percentiles, result.percentiles, strict=True)
    return text + "".join(f", percentile({p:g}%) = {v:g} ms" for p, v in pairs)


def prolog_lines(summary: Summary) -> list[str]:
    return [f"Timing trace has {summary.queries} queries over {summary.total_host_walltime_s:g} s"]


def settings_line(backend: str, settings: Mapping[str, str]) -> str:
    """What the backend ran with (threads, precision hint, streams...), so that two reports compare."""
    return f"Backend {backend}: " + ", ".join(f"{key}={value}" for key, value in settings.items())


def summary_lines(summary: Summary, trtexec_format: bool = False) -> list[str]:
    """The "=== Performance summary ===" block.

    ``trtexec_format`` (--logTimestamps, --exportLog) leaves out the figures a host-timed run did not
    measure instead of printing ``n/a``: readers of trtexec logs parse a number after each key (trex fails
    on ``n/a``), and a missing key is what they handle. A line without ``key:`` says what was left out.
    """
    lines = ["", "=== Performance summary ===", f"Throughput: {summary.throughput_qps:g} qps"]
    measured = {key: label for key, label in LABELS.items() if summary.results[key] is not None or not trtexec_format}
    lines += [f"{label}: {_perf(summary.results[key], summary.percentiles)}" for key, label in measured.items()]
    lines.append(f"Total Host Walltime: {summary.total_host_walltime_s:g} s")
    gpu = summary.total_gpu_compute_s
    if gpu is not None or not trtexec_format:
        lines.append(f"Total GPU Compute Time: {'n/a' if gpu is None else f'{gpu:g} s'}")
    if len(measured) < len(LABELS):
        lines.append("(host-timed run; H2D Latency, GPU Compute Time and D2H Latency were not measured)")
    lines.append("Explanations of the performance metrics are printed in the verbose logs.")
    return lines


def trace_detail_lines(trace: np.ndarray, avg_runs: int, device: bool = True) -> list[str]:
    """trtexec's "=== Trace details ===": one line per ``avg_runs`` consecutive queries."""
    lines = ["", "=== Trace details ===", f"Trace averages of {avg_runs} runs:"]
    for gpu, host, enqueue in trace_averages(trace, avg_runs):
        gpu_text = f"{gpu:g} ms" if device else "n/a"
        lines.append(
            f"Average on {avg_runs} runs - GPU latency: {gpu_text} - Host latency: {host:g} ms (enqueue {enqueue:g} ms)"
        )
    return lines


def profile_lines(layer_times: LayerTimes) -> list[str]:
    """trtexec's per-layer table (--dumpProfile): total, average and median ms and share of each layer."""
    count, rows, total = layer_profile(layer_times)
    headers = ("Layer", "   Time (ms)", "   Avg. Time (ms)", "   Median Time (ms)", "   Time %")
    width = max([len(r.name) + 1 for r in rows] + [len(headers[0])])
    w_time, w_avg, w_med, w_pct = (len(h) for h in headers[1:])
    lines = ["", f"=== Profile ({count} iterations ) ===", f"{headers[0]:>{width}}" + "".join(headers[1:])]
    for r in [*(r for r in rows if r.time_ms != 0.0), total]:
        lines.append(
            f"{r.name:>{width}}{r.time_ms:>{w_time}.2f}{r.average_ms:>{w_avg}.4f}{r.median_ms:>{w_med}.4f}"
            f"{r.percentage:>{w_pct}.1f}"
        )
    return [*lines, ""]


def output_lines(outputs: Mapping[str, np.ndarray] | Sequence[tuple[str, np.ndarray]]) -> list[str]:
    """--dumpOutput: each output (bench: of the last iteration; infer: of all runs), dimensions and values."""
    lines = ["Output Tensors:"]
    for name, value in outputs.items() if isinstance(outputs, Mapping) else outputs:
        array = np.asarray(value)
        dims = "x".join(map(str, array.shape)) or "scalar"
        lines.append(f"{name}: ({dims})")
        lines.append(np.array2string(array.ravel(), max_line_width=120, threshold=1000, separator=" "))
    return lines


def _result_dict(result: PerformanceResult | None, percentiles: tuple[float, ...]) -> dict[str, object] | None:
    if result is None:
        return None
    return {
        "min": result.min,
        "max": result.max,
        "mean": result.mean,
        "median": result.median,
        "percentiles": {f"{p:g}": v for p, v in zip(percentiles, result.percentiles, strict=True)},
        "coeffVarPercent": result.coeff_var,
    }


def summary_dict(summary: Summary) -> dict[str, object]:
    """The summary as plain JSON types (``--json``); device-only figures are null for host-timed runs."""
    return {
        "queries": summary.queries,
        "throughputQps": summary.throughput_qps,
        **{f"{key}Ms": _result_dict(summary.results[key], summary.percentiles) for key in LABELS},
        "totalHostWalltimeS": summary.total_host_walltime_s,
        "totalGpuComputeTimeS": summary.total_gpu_compute_s,
        "deviceTimed": summary.device,
    }


def inference_dict(options: BenchOptions, generation: int | None) -> dict[str, object]:
    """The switches as run (null where a host-timed backend has none) and whose trtexec defaults they follow."""
    device = generation is not None
    return {"trtexecGeneration": generation,
            "cudaGraph": options.use_cuda_graph if device else None,
            "dataTransfers": (not options.no_data_transfers) if device else None,
            "spinWait": options.use_spin_wait if device else None,
            "separateProfileRun": options.separate_profile_run if device else None,
            "infStreams": options.inf_streams, "sleepTimeMs": options.sleep_time_ms,
            "idleTimeMs": options.idle_time_ms}


def print_report(result: BenchResult, options: BenchOptions, level: int, as_json: bool) -> None:
    """The trtexec-style report on stdout (on stderr with --json, whose summary then owns stdout)."""
    out = sys.stderr if as_json else sys.stdout
    summary, run = result.summary, result.run
    lines = [("I", line) for line in result.banner]
    lines += [("I", line) for line in prolog_lines(summary)]
    if result.settings:
        lines.append(("I", settings_line(result.backend, result.settings)))
    if level >= 2:
        lines += [("V", line) for line in trace_detail_lines(run.trace, options.avg_runs, result.device_timed)]
    lines += [("I", line) for line in summary_lines(summary, log.trtexec_format())]
    warnings = bound_warnings(summary, result.hints)
    lines += [("W", line) for line in warnings]
    if level >= 2:
        lines += [("V", line) for line in ("", *EXPLANATIONS)]
    if options.dump_profile and run.layer_times_ms:
        lines += [("I", line) for line in profile_lines(run.layer_times_ms)]
    if options.dump_output and run.outputs:
        lines += [("I", line) for line in output_lines(run.outputs)]
    for letter, line in lines:
        log.emit(letter, line, shown=not (as_json and level < 0), stream=out)
    if as_json:
        document = {
            "model": str(result.model),
            "backend": result.backend,
            "settings": result.settings,
            "inputs": {name: list(shape) for name, shape in result.input_shapes.items()},
            "inferenceOptions": inference_dict(result.options, result.generation),
            **summary_dict(summary),
            "warnings": [w.strip() for w in warnings if w.startswith("*")],
        }
        print(json.dumps(document, indent=2))
