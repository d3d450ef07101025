"""--plot FILE: a latency histogram (with median and percentiles) beside a timeline of every query.

matplotlib is an optional extra (``pip install 'trtkit[bench]'``), imported only here and only when asked,
through its object API and the Agg canvas (no pyplot state, no display). The image goes through
write_atomic like every other output; its format follows the file suffix (.png, .svg, .pdf).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from trtkit.bench.stats import Summary, timings
from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.platform.files import write_atomic

FORMATS = (".png", ".svg", ".pdf")


def check_plot_path(path: str | os.PathLike[str]) -> None:
    """Fail before measuring, not after: the suffix must name a format and matplotlib must be importable."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"--plot {path}: the file must end in {', '.join(FORMATS)}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise TrtkitError("--plot needs matplotlib: pip install 'trtkit[bench]' (or pip install matplotlib)") from None


def save_plot(path: str | os.PathLike[str], trace: np.ndarray, summary: Summary, title: str) -> Path:
    """Histogram of latency (left) and latency per query over the run, one colour per stream (right)."""
    check_plot_path(path)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    latency = timings(trace)["latency"]
    result = summary.results["latency"]
    assert result is not None
    figure = Figure(figsize=(11, 4), layout="constrained")
    FigureCanvasAgg(figure)
    histogram, timeline = figure.subplots(1, 2, width_ratios=(1, 2))
    # A few slow outliers would squeeze the histogram into one bar: show it up to a little past the highest
    # requested percentile and count the rest in the title.
    upper = max(*result.percentiles, result.median) * 1.25
    beyond = int(np.count_nonzero(latency > upper))
    histogram.hist(latency, bins=min(100, max(10, len(latency) // 20)), range=(float(latency.min()), upper),
                   color="tab:blue")
    marks = [("median", result.median, "black")]
    marks += [(f"p{p:g}", v, "tab:red") for p, v in zip(summary.percentiles, result.percentiles, strict=True)]
    for label, value, colour in marks:
        histogram.axvline(value, color=colour, linestyle="--", linewidth=1, label=f"{label} {value:.4g} ms")
    histogram.set(xlabel="latency (ms)", ylabel="queries",
                  title=f"Latency ({beyond} slower queries off the right edge)" if beyond else "Latency")
    histogram.legend(fontsize="small")
    for stream in np.unique(trace["stream"]):
        rows = trace["stream"] == stream
        timeline.plot(trace["startH2DMs"][rows] / 1000.0, latency[rows], ".", markersize=2, label=f"stream {stream}")
    timeline.set(xlabel="time since first query (s)", ylabel="latency (ms)",
                 title=f"{summary.queries} queries, {summary.throughput_qps:.6g} qps")
    if latency.max() > 20 * result.median > 0:
        timeline.set_yscale("log")
        timeline.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        # Label the 2s and 5s between the decades, not every minor tick.
        timeline.yaxis.set_minor_formatter(
            FuncFormatter(lambda value, _: f"{value:g}" if f"{value:.0e}"[0] in "25" else "")
        )
    if len(np.unique(trace["stream"])) > 1:
        timeline.legend(fontsize="small")
    figure.suptitle(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=Path(path).suffix.lower().lstrip("."), dpi=120)
    return write_atomic(path, buffer.getvalue())
