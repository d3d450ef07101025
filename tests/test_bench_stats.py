"""trtkit.bench.stats and the printed report against hand-computed values on synthetic traces.

Expected numbers are worked out by hand from trtexec's definitions (sampleReporting.cpp): latency is
H2D + compute + D2H, the median of an even count is the mean of the two middle values, findPercentile drops
int((1 - p/100) * n) values from the top in float32, the coefficient of variation is the population one.
"""

from __future__ import annotations

import numpy as np
import pytest

from trtkit.bench import report
from trtkit.bench.stats import (
    bound_warnings,
    coeff_of_variance,
    find_median,
    find_percentile,
    layer_profile,
    parse_percentiles,
    summarize,
    timings,
    trace_averages,
    walltime_ms,
)
from trtkit.bench.trace import empty_trace
from trtkit.platform.errors import UsageError


def device_trace(enq: list[float], h2d: list[float], compute: list[float], d2h: list[float], period: float = 10.0
                 ) -> np.ndarray:
    """Query i starts at i * period; its phases follow one another with no gaps; enqueue starts with H2D."""
    trace = empty_trace(len(compute))
    for i, (q, a, c, b) in enumerate(zip(enq, h2d, compute, d2h, strict=True)):
        t = i * period
        trace[i] = (0, t, t + q, t, t + a, t + a, t + a + c, t + a + c, t + a + c + b)
    return trace


def host_trace(latency: list[float], period: float = 10.0) -> np.ndarray:
    """What the host loop records: enqueue and compute span the run, H2D and D2H have zero length."""
    trace = empty_trace(len(latency))
    for i, lat in enumerate(latency):
        t = i * period
        trace[i] = (0, t, t + lat, t, t, t, t + lat, t + lat, t + lat)
    return trace


# --- percentile, median, coefficient of variation ---------------------------------------------------


@pytest.mark.parametrize(
    ("percentile", "n", "index"),
    [
        (50, 10, 4),  # exclude int(0.5 * 10) = 5 -> index 10 - 1 - 5
        (90, 10, 8),  # float32: 1 - 0.9f = 0.100000024, * 10 = 1.0000002 -> exclude 1 (double would give 0)
        (99, 100, 99),  # float32: 1 - 0.99f = 0.00999999, * 100 = 0.999999 -> exclude 0: the maximum
        (95, 20, 18),  # exclude int(0.05 * 20) = 1
        (99, 1000, 990),  # exclude int(0.00999999 * 1000) = int(9.99999) = 9
        (0, 10, 0),  # exclude 10 -> index clamped at 0: the minimum
        (100, 10, 9),  # exclude 0: the maximum
    ],
)
def test_find_percentile_follows_trtexec_float32_rule(percentile: float, n: int, index: int) -> None:
    ascending = np.arange(n, dtype=np.float64) * 2.0 + 1.0
    assert find_percentile(percentile, ascending) == ascending[index]


def test_find_percentile_and_median_of_nothing() -> None:
    assert find_percentile(90, np.zeros(0)) == float("inf")
    assert find_median(np.zeros(0)) == float("inf")


def test_median_odd_and_even() -> None:
    assert find_median(np.array([1.0, 2.0, 7.0])) == 2.0
    assert find_median(np.array([1.0, 2.0, 4.0, 7.0])) == 3.0


def test_coefficient_of_variance_is_population_percent() -> None:
    assert coeff_of_variance(np.array([1.0, 3.0]), 2.0) == pytest.approx(50.0)
    assert coeff_of_variance(np.array([1.0, 1.0, 1.0, 1.0, 2.0]), 1.2) == pytest.approx(100 / 3)
    assert coeff_of_variance(np.zeros(0), 0.0) == 0.0
    assert coeff_of_variance(np.array([0.0]), 0.0) == float("inf")


@pytest.mark.parametrize("text", ["abc", "90,,99", "101", "-1", "90;95"])
def test_bad_percentiles_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--percentile"):
        parse_percentiles(text)


def test_percentiles_parse() -> None:
    assert parse_percentiles("90,95,99") == (90.0, 95.0, 99.0)
    assert parse_percentiles(" 99.9") == (99.9,)


# --- the summary ------------------------------------------------------------------------------------


def test_summary_of_a_device_trace() -> None:
    trace = device_trace(
        enq=[0.1, 0.2, 0.3, 0.4],
        h2d=[0.5, 0.5, 0.5, 0.5],
        compute=[1.0, 2.0, 3.0, 4.0],
        d2h=[0.25, 0.25, 0.25, 0.25],
    )
    d = timings(trace)
    np.testing.assert_allclose(d["latency"], [1.75, 2.75, 3.75, 4.75])
    # Walltime: first H2D start (0) to the last query's D2H end (30 + 4.75).
    assert walltime_ms(trace) == pytest.approx(34.75)
    s = summarize(trace, walltime_ms(trace), (50.0, 100.0))
    assert s.queries == 4
    assert s.throughput_qps == pytest.approx(4 / 34.75 * 1000)
    latency = s.results["latency"]
    assert latency is not None
    assert (latency.min, latency.max) == pytest.approx((1.75, 4.75))
    assert latency.mean == pytest.approx(3.25)
    assert latency.median == pytest.approx(3.25)  # (2.75 + 3.75) / 2
    assert latency.percentiles == pytest.approx((2.75, 4.75))  # p50: exclude 2 -> index 1; p100: the maximum
    compute = s.results["compute"]
    assert compute is not None and compute.mean == pytest.approx(2.5)
    assert s.total_gpu_compute_s == pytest.approx(2.5 * 4 / 1000)
    assert s.total_host_walltime_s == pytest.approx(0.03475)


def test_walltime_sorts_by_h2d_start() -> None:
    trace = device_trace([0.1] * 3, [1.0] * 3, [1.0] * 3, [1.0] * 3)[::-1].copy()
    assert walltime_ms(trace) == pytest.approx(23.0)  # 20 + 3 minus 0, whatever the row order


def test_host_timed_summary_has_no_device_figures() -> None:
    s = summarize(host_trace([1.0, 2.0, 3.0]), 23.0, (90.0,), device=False)
    assert s.results["h2d"] is None and s.results["compute"] is None and s.results["d2h"] is None
    assert s.total_gpu_compute_s is None
    latency, enqueue = s.results["latency"], s.results["enqueue"]
    assert latency is not None and enqueue is not None
    assert latency.mean == pytest.approx(2.0) and enqueue.mean == pytest.approx(2.0)
    lines = report.summary_lines(s)
    assert "H2D Latency: n/a" in lines and "GPU Compute Time: n/a" in lines and "Total GPU Compute Time: n/a" in lines


def test_summary_lines_match_trtexec_format() -> None:
    trace = device_trace([0.5] * 4, [0.5] * 4, [1.0, 2.0, 3.0, 4.0], [0.25] * 4)
    lines = report.summary_lines(summarize(trace, 40.0, (90.0, 99.0)))
    assert lines[1] == "=== Performance summary ==="
    assert lines[2] == "Throughput: 100 qps"
    assert lines[6] == (
        "GPU Compute Time: min = 1 ms, max = 4 ms, mean = 2.5 ms, median = 2.5 ms, "
        "percentile(90%) = 4 ms, percentile(99%) = 4 ms"  # p90 of 4: exclude int(0.1 * 4) = 0 -> the maximum
    )
    assert "Total Host Walltime: 0.04 s" in lines
    assert "Total GPU Compute Time: 0.01 s" in lines


def test_trace_averages_group_consecutive_runs_and_drop_the_tail() -> None:
    compute = [float(i) for i in range(1, 26)]  # 25 queries, groups of 10 -> 2 complete groups
    trace = device_trace([0.1] * 25, [0.5] * 25, compute, [0.5] * 25)
    averages = trace_averages(trace, 10)
    assert averages.shape == (2, 3)
    np.testing.assert_allclose(averages[:, 0], [5.5, 15.5])  # GPU latency
    np.testing.assert_allclose(averages[:, 1], [6.5, 16.5])  # host latency = 0.5 + compute + 0.5
    np.testing.assert_allclose(averages[:, 2], [0.1, 0.1])  # enqueue
    lines = report.trace_detail_lines(trace, 10)
    assert lines[3] == "Average on 10 runs - GPU latency: 5.5 ms - Host latency: 6.5 ms (enqueue 0.1 ms)"
    with pytest.raises(UsageError, match="--avgRuns"):
        trace_averages(trace, 0)


# --- warnings -----------------------------------------------------------------------------------------


def test_unstable_gpu_compute_warns_with_trtexec_wording() -> None:
    trace = device_trace([0.1] * 5, [0.1] * 5, [1.0, 1.0, 1.0, 1.0, 2.0], [0.1] * 5)
    warnings = bound_warnings(summarize(trace, 50.0, (99.0,)))
    assert warnings == [
        "* GPU compute time is unstable, with coefficient of variance = 33.3333%.",
        "  If not already in use, locking GPU clock frequency or adding --useSpinWait may improve the stability.",
    ]


def test_stable_trace_has_no_warnings() -> None:
    trace = device_trace([0.1] * 5, [0.1] * 5, [1.0] * 5, [0.1] * 5)
    assert bound_warnings(summarize(trace, 50.0, (99.0,))) == []


def test_enqueue_and_transfer_bound_warnings() -> None:
    # Enqueue median 0.9 > 0.8 * compute median 1.0; H2D and D2H medians >= compute median.
    trace = device_trace([0.9] * 3, [1.0] * 3, [1.0] * 3, [1.5] * 3)
    text = "\n".join(bound_warnings(summarize(trace, 30.0, (99.0,))))
    assert "bound by Enqueue Time" in text and "--useCudaGraph" in text
    assert "bound by host-to-device transfers" in text
    assert "bound by device-to-host transfers" in text
    assert text.count("Add --noDataTransfers flag to disable data transfers.") == 2


def test_host_timed_warns_only_about_stability() -> None:
    unstable = bound_warnings(summarize(host_trace([1.0, 1.0, 1.0, 1.0, 2.0]), 50.0, (99.0,), device=False))
    assert unstable[0] == "* Host latency is unstable, with coefficient of variance = 33.3333%."
    assert bound_warnings(summarize(host_trace([1.0] * 4), 40.0, (99.0,), device=False)) == []


# --- per-layer profile --------------------------------------------------------------------------------


def test_layer_profile_figures() -> None:
    count, rows, total = layer_profile({"conv": np.array([1.0, 3.0, 2.0]), "fc": np.array([0.5, 0.5, 2.0])})
    assert count == 3
    conv, fc = rows
    assert (conv.name, conv.time_ms, conv.average_ms, conv.median_ms) == ("conv", 6.0, 2.0, 2.0)
    assert (fc.time_ms, fc.average_ms, fc.median_ms) == (3.0, 1.0, 0.5)
    assert conv.percentage == pytest.approx(600 / 9) and fc.percentage == pytest.approx(300 / 9)
    # Total: 9 ms over 3 iterations; per-iteration sums 1.5, 3.5, 4.0 -> median 3.5.
    assert (total.time_ms, total.average_ms, total.median_ms, total.percentage) == (9.0, 3.0, 3.5, 100.0)
    lines = report.profile_lines({"conv": np.array([1.0, 3.0, 2.0]), "fc": np.array([0.5, 0.5, 2.0])})
    assert lines[1] == "=== Profile (3 iterations ) ==="
    assert lines[2] == "Layer   Time (ms)   Avg. Time (ms)   Median Time (ms)   Time %"
    assert lines[3] == " conv        6.00           2.0000             2.0000     66.7"
    assert lines[5] == "Total        9.00           3.0000             3.5000    100.0"
