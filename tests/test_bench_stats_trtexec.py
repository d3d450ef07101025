"""trtkit's statistics on skewed, asymmetric data, against trtexec's own definitions (sampleReporting.cpp of
TensorRT 10.16/11.0/11.1, identical there): getPerformanceResult sorts a copy by each metric, findMedian takes
the middle value or the mean of the two middle ones, findPercentile drops int((1 - p/100) * n) values from the
top in float arithmetic, findCoeffOfVariance is the population standard deviation over the mean in percent,
and the "unstable" warning fires above kUNSTABLE_PERF_REPORTING_THRESHOLD = 2.5 percent.

The data are chosen so that mean, median, percentile(50) and every other percentile are different numbers and
numpy's default (interpolating) percentile gives other numbers, so a rule swapped for a look-alike fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_bench_stats import device_trace, host_trace

from trtkit.bench.stats import UNSTABLE_THRESHOLD_PERCENT, bound_warnings, performance_result, summarize

# Right-skewed: a long tail of slow queries, as real latencies have. Given shuffled; sorted it is
#   index  0-7: 1 | 8, 9: 2 | 10, 11: 3 | 12: 4, 13: 5, 14: 6, 15: 7, 16: 8, 17: 12, 18: 20, 19: 50
RIGHT = [3, 1, 50, 1, 2, 8, 1, 12, 4, 1, 6, 1, 20, 3, 1, 5, 1, 7, 2, 1]
PERCENTILES = (0.0, 50.0, 90.0, 95.0, 99.0, 100.0)


def test_right_skewed_figures_follow_trtexec() -> None:
    r = performance_result(np.array(RIGHT, dtype=np.float64), PERCENTILES)
    assert (r.min, r.max) == (1.0, 50.0)
    assert r.mean == pytest.approx(6.5)  # 130 / 20: pulled up by the tail
    assert r.median == 2.5  # (s[9] + s[10]) / 2 = (2 + 3) / 2: a value the data do not hold
    # exclude = int((1 - p/100) * 20) in float32: p0 -> 20 (index max(-1, 0) = 0), p50 -> 10 (index 9: 2, not
    # the median), p90 -> int(2.0000005) = 2 (index 17), p95 -> 1 (index 18), p99 -> int(0.19999) = 0, p100 -> 0.
    assert r.percentiles == (1.0, 2.0, 12.0, 20.0, 50.0, 50.0)
    assert r.coeff_var == pytest.approx(math.sqrt(2423 / 20) / 6.5 * 100)  # sum of squared deviations 2423
    linear = np.percentile(RIGHT, [50, 90, 95, 99])  # numpy's default interpolates: 2.5, 12.8, 21.5, 44.3
    assert all(a != b for a, b in zip(linear, r.percentiles[1:5], strict=True))


def test_left_skewed_figures_follow_trtexec() -> None:
    """The mirror image (50 - x): a few fast outliers, the mean below the median, the top percentiles equal."""
    left = [50 - v for v in RIGHT]
    r = performance_result(np.array(left, dtype=np.float64), PERCENTILES)
    assert (r.min, r.max) == (0.0, 49.0)
    assert r.mean == pytest.approx(43.5)
    assert r.median == 47.5  # (47 + 48) / 2
    assert r.percentiles == (0.0, 47.0, 49.0, 49.0, 49.0, 49.0)
    assert r.mean < r.median  # the skew is on the other side
    assert r.coeff_var == pytest.approx(math.sqrt(2423 / 20) / 43.5 * 100)


def test_odd_count_median_is_the_middle_value() -> None:
    r = performance_result(np.array([9.0, 1.0, 2.0, 100.0, 3.0]), (50.0, 90.0))
    assert r.median == 3.0 and r.mean == pytest.approx(23.0)
    # p50: int(0.5 * 5) = 2 dropped -> index 2 (3.0); p90: int(0.1 * 5) = int(0.50000012) = 0 -> the maximum
    assert r.percentiles == (3.0, 100.0)


def test_each_metric_is_sorted_on_its_own() -> None:
    """getPerformanceResult sorts a copy per metric: compute rises where enqueue falls, so reading one metric in
    another's order would swap their tails."""
    n = len(RIGHT)
    left = [50 - v for v in RIGHT]
    trace = device_trace(enq=[v / 100 for v in left], h2d=[0.5] * n, compute=[float(v) for v in RIGHT],
                         d2h=[0.25] * n, period=100.0)
    s = summarize(trace, 2000.0, PERCENTILES)
    compute, enqueue, latency = s.results["compute"], s.results["enqueue"], s.results["latency"]
    assert compute is not None and enqueue is not None and latency is not None
    assert compute.percentiles == (1.0, 2.0, 12.0, 20.0, 50.0, 50.0)
    assert enqueue.percentiles == pytest.approx((0.0, 0.47, 0.49, 0.49, 0.49, 0.49))
    assert enqueue.median == pytest.approx(0.475)
    assert latency.median == pytest.approx(2.5 + 0.75)  # latency = H2D + compute + D2H, sorted by itself
    assert latency.percentiles == pytest.approx(tuple(p + 0.75 for p in compute.percentiles))


@pytest.mark.parametrize(("spread", "warns"), [(0.02, False), (0.024, False), (0.026, True), (0.03, True)])
def test_unstable_warning_threshold_is_trtexecs(spread: float, warns: bool) -> None:
    """Two values 1 - a and 1 + a have a coefficient of variation of exactly 100a percent; trtexec warns above
    2.5 percent (a deviating 1.0 would warn at 2 percent)."""
    assert UNSTABLE_THRESHOLD_PERCENT == 2.5
    compute = [1 - spread, 1 + spread] * 5
    trace = device_trace([0.1] * 10, [0.1] * 10, compute, [0.1] * 10)
    summary = summarize(trace, 100.0, (99.0,))
    assert summary.results["compute"] is not None
    assert summary.results["compute"].coeff_var == pytest.approx(spread * 100)
    warned = any("GPU compute time is unstable" in line for line in bound_warnings(summary))
    assert warned is warns
    host = summarize(host_trace(compute), 100.0, (99.0,), device=False)
    assert any("Host latency is unstable" in line for line in bound_warnings(host)) is warns
