"""Every figure of trtexec's performance summary, derived from a trace (pure numpy).

The definitions follow trtexec's ``sampleReporting.cpp``: per-query durations (enqueue, H2D, compute, D2H),
latency as the sum H2D + compute + D2H (trtexec's "ideal latency", not endD2H - startH2D, so gaps between
the phases are excluded), the median of the two middle values for even counts, trtexec's
``findPercentile`` (including its float32 arithmetic, which decides the index at the edges), the
population coefficient of variation in percent, and throughput as queries over Total Host Walltime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from trtkit.platform.errors import UsageError
from trtkit.platform.trtexec import TRTEXEC10

LayerTimes = Mapping[str, ArrayLike]
"""Per-layer times (ms) of every profiled iteration, in execution order, as IProfiler reports them; a single
number per layer counts as one iteration."""

METRICS = ("latency", "enqueue", "h2d", "compute", "d2h")
"""Metric keys, in the order trtexec prints them."""
DEVICE_METRICS = frozenset({"h2d", "compute", "d2h"})
"""Figures only a device-timed backend measures; host-timed ones (ONNX Runtime) report them as n/a."""
ENQUEUE_BOUND_THRESHOLD = 0.8  # trtexec kENQUEUE_BOUND_REPORTING_THRESHOLD
UNSTABLE_THRESHOLD_PERCENT = 2.5  # trtexec kUNSTABLE_PERF_REPORTING_THRESHOLD (2.5F in 10.16, 11.0 and 11.1)


@dataclass(frozen=True)
class PerformanceResult:
    """trtexec's PerformanceResult for one metric (ms; ``coeff_var`` in percent)."""

    min: float
    max: float
    mean: float
    median: float
    percentiles: tuple[float, ...]
    coeff_var: float


@dataclass(frozen=True)
class Summary:
    """The performance summary of one run. Device-only figures are None for host-timed backends."""

    queries: int
    walltime_ms: float
    throughput_qps: float
    percentiles: tuple[float, ...]
    results: dict[str, PerformanceResult | None]
    total_gpu_compute_s: float | None
    device: bool

    @property
    def total_host_walltime_s(self) -> float:
        return self.walltime_ms / 1000.0


def parse_percentiles(text: str) -> tuple[float, ...]:
    """``"90,95,99"`` -> (90.0, 95.0, 99.0): trtexec's --percentile=P1,P2,... with 0 <= P <= 100."""
    values = []
    for item in text.split(","):
        try:
            value = float(item)
        except ValueError:
            raise UsageError(
                f"--percentile={text}: {item.strip()!r} is not a number; e.g. --percentile=90,95,99"
            ) from None
        if not 0.0 <= value <= 100.0:
            raise UsageError(f"--percentile={text}: {value:g} is outside 0..100")
        values.append(value)
    return tuple(values)


def timings(trace: np.ndarray) -> dict[str, np.ndarray]:
    """Per-query durations (ms) of a TRACE_DTYPE trace, keyed by :data:`METRICS` (trtexec traceToTiming)."""
    durations = {
        "enqueue": trace["endEnqMs"] - trace["startEnqMs"],
        "h2d": trace["endH2DMs"] - trace["startH2DMs"],
        "compute": trace["endComputeMs"] - trace["startComputeMs"],
        "d2h": trace["endD2HMs"] - trace["startD2HMs"],
    }
    durations["latency"] = durations["h2d"] + durations["compute"] + durations["d2h"]
    return durations


def walltime_ms(trace: np.ndarray) -> float:
    """Total Host Walltime as trtexec defines it: sorted by H2D start, last query's D2H end minus the first
    query's H2D start."""
    ordered = trace[np.argsort(trace["startH2DMs"], kind="stable")]
    return float(ordered["endD2HMs"][-1] - ordered["startH2DMs"][0])


def find_percentile(percentile: float, ascending: np.ndarray) -> float:
    """trtexec's findPercentile: drop int((1 - p/100) * n) values from the top, computed in float32."""
    n = len(ascending)
    if n == 0:
        return float("inf")
    p = np.float32(percentile)
    exclude = int((np.float32(1) - p / np.float32(100)) * np.float32(n))
    return float(ascending[max(n - 1 - exclude, 0)])


def find_median(ascending: np.ndarray) -> float:
    """Middle value, or the mean of the two middle values for an even count."""
    n = len(ascending)
    if n == 0:
        return float("inf")
    m = n // 2
    return float(ascending[m]) if n % 2 else float((ascending[m - 1] + ascending[m]) / 2)


def coeff_of_variance(values: np.ndarray, mean: float) -> float:
    """Population standard deviation over the mean, in percent (trtexec findCoeffOfVariance)."""
    if len(values) == 0:
        return 0.0
    if mean == 0.0:
        return float("inf")
    return float(np.sqrt(np.mean((values - mean) ** 2)) / mean * 100.0)


def performance_result(values: np.ndarray, percentiles: Sequence[float]) -> PerformanceResult:
    """min/max/mean/median/percentiles/CV of one metric (trtexec getPerformanceResult)."""
    if len(values) == 0:
        raise ValueError("no timed queries to summarize")
    ascending = np.sort(values)
    mean = float(np.mean(ascending))
    return PerformanceResult(
        min=float(ascending[0]),
        max=float(ascending[-1]),
        mean=mean,
        median=find_median(ascending),
        percentiles=tuple(find_percentile(p, ascending) for p in percentiles),
        coeff_var=coeff_of_variance(ascending, mean),
    )


def summarize(trace: np.ndarray, walltime: float, percentiles: Sequence[float], device: bool = True) -> Summary:
    """The "=== Performance summary ===" figures. ``walltime`` in ms; ``device=False`` marks a host-timed run.
    A query is one inference whatever its batch size, as trtexec counts for explicit-batch engines."""
    if len(trace) == 0:
        raise ValueError("the trace holds no timed queries")
    durations = timings(trace)
    results = {
        name: performance_result(durations[name], percentiles) if device or name not in DEVICE_METRICS else None
        for name in METRICS
    }
    compute = results["compute"]
    return Summary(
        queries=len(trace),
        walltime_ms=float(walltime),
        throughput_qps=len(trace) / walltime * 1000.0 if walltime > 0 else float("inf"),
        percentiles=tuple(float(p) for p in percentiles),
        results=results,
        total_gpu_compute_s=compute.mean * len(trace) / 1000.0 if compute is not None else None,
        device=device,
    )


def trace_averages(trace: np.ndarray, avg_runs: int) -> np.ndarray:
    """trtexec's "Trace averages of N runs": means of each complete group of ``avg_runs`` consecutive
    queries (an incomplete last group is dropped). Columns: GPU latency (compute), host latency, enqueue."""
    if avg_runs < 1:
        raise UsageError(f"--avgRuns={avg_runs}: must be at least 1")
    durations = timings(trace)
    groups = len(trace) // avg_runs
    names = ("compute", "latency", "enqueue")
    columns = [durations[name][: groups * avg_runs].reshape(groups, avg_runs) for name in names]
    return np.stack([c.mean(axis=1) for c in columns], axis=1) if groups else np.zeros((0, 3))


def bound_warnings(summary: Summary, hints: Mapping[str, str] | None = None) -> list[str]:
    """trtexec's warnings after the summary: enqueue-, H2D- or D2H-bound throughput, unstable timing.
    ``hints`` is the advice of the flavour's trtexec (trtkit.platform.trt.InferenceDefaults.hints; trtexec
    10's by default).

    Host-timed runs have no separate enqueue or transfers, so only the stability check applies to them,
    on their latency and with advice that fits a CPU.
    """
    r = summary.results
    lines: list[str] = []
    if not summary.device:
        latency = r["latency"]
        assert latency is not None
        if latency.coeff_var > UNSTABLE_THRESHOLD_PERCENT:
            lines += [
                f"* Host latency is unstable, with coefficient of variance = {latency.coeff_var:g}%.",
                "  A quieter machine, a fixed CPU frequency or fewer threads may improve the stability.",
            ]
        return lines
    hint = hints or TRTEXEC10.hints
    enqueue, h2d, compute, d2h = r["enqueue"], r["h2d"], r["compute"], r["d2h"]
    assert enqueue is not None and h2d is not None and compute is not None and d2h is not None
    if enqueue.median > ENQUEUE_BOUND_THRESHOLD * compute.median:
        lines += [
            "* Throughput may be bound by Enqueue Time rather than GPU Compute and the GPU may be under-utilized.",
            f"  {hint['enqueue']}",
        ]
    if h2d.median >= compute.median:
        lines += [
            "* Throughput may be bound by host-to-device transfers for the inputs rather than GPU Compute and the "
            "GPU may be under-utilized.",
            f"  {hint['transfers']}",
        ]
    if d2h.median >= compute.median:
        lines += [
            "* Throughput may be bound by device-to-host transfers for the outputs rather than GPU Compute and the "
            "GPU may be under-utilized.",
            f"  {hint['transfers']}",
        ]
    if compute.coeff_var > UNSTABLE_THRESHOLD_PERCENT:
        lines += [
            f"* GPU compute time is unstable, with coefficient of variance = {compute.coeff_var:g}%.",
            f"  {hint['unstable']}",
        ]
    return lines


@dataclass(frozen=True)
class LayerRow:
    """One layer of trtexec's profile: total, average and median time per iteration (ms), share in percent."""

    name: str
    time_ms: float
    average_ms: float
    median_ms: float
    percentage: float


def layer_profile(layer_times: LayerTimes) -> tuple[int, list[LayerRow], LayerRow]:
    """trtexec's Profiler figures from per-iteration layer times (IProfiler reports, in layer order).

    Returns the iteration count, one row per layer and the "Total" row, whose median is the median of the
    per-iteration sums (trtexec getMedianTime).
    """
    series = {name: np.atleast_1d(np.asarray(times, dtype=np.float64)) for name, times in layer_times.items()}
    count = max((len(t) for t in series.values()), default=0)
    total = float(sum(t.sum() for t in series.values()))

    def share(value: float) -> float:
        return value / total * 100.0 if total else 0.0

    rows = [
        LayerRow(name, float(t.sum()), float(t.mean()), float(np.median(t)), share(float(t.sum())))
        for name, t in series.items()
        if len(t)
    ]
    runs = min((len(t) for t in series.values()), default=0)
    per_run = np.sum([t[:runs] for t in series.values()], axis=0) if runs else np.zeros(0)
    total_row = LayerRow(
        "Total", total, total / count if count else 0.0, float(np.median(per_run)) if runs else 0.0, 100.0
    )
    return count, rows, total_row
