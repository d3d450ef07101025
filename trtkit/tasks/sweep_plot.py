"""``--plot FILE.png``: median latency against accuracy, one dot per point, the Pareto front joined and marked.

A point is on the front when no other point is both at least as fast and at least as accurate, and strictly
better in one. matplotlib is imported only here, through its object API and the Agg canvas, and the image is
written atomically like every other output.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trtkit.platform import log
from trtkit.platform.files import write_atomic

FORMATS = (".png", ".svg", ".pdf")


def _figures(row: dict[str, Any]) -> tuple[float, float] | None:
    """(latency ms, accuracy %) of an ok row that has both, else None."""
    try:
        latency, accuracy = float(row["latency_median_ms"]), float(row["accuracy"])
    except (KeyError, TypeError, ValueError):
        return None
    return (latency, accuracy) if row.get("status") == "ok" else None


def pareto_front(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows no other row dominates (lower latency, higher accuracy), fastest first."""
    measured = sorted(((f, row) for row in rows if (f := _figures(row)) is not None),
                      key=lambda item: (item[0][0], -item[0][1]))
    front: list[dict[str, Any]] = []
    best = float("-inf")
    for (_, accuracy), row in measured:
        if accuracy > best:
            front.append(row)
            best = accuracy
    return front


def save_plot(path: Path, rows: Sequence[dict[str, Any]]) -> bool:
    """Draw the rows that have both figures; False (and a warning) when none has."""
    measured = [(f, row) for row in rows if (f := _figures(row)) is not None]
    if not measured:
        log.warning(f"--plot {path}: no point has both a latency and an accuracy (add --eval DATA); nothing drawn")
        return False
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    front = pareto_front([row for _, row in measured])
    on_front = {id(row) for row in front}
    for (latency, accuracy), row in measured:
        marked = id(row) in on_front
        axes.plot(latency, accuracy, "o", color="tab:red" if marked else "tab:blue", markersize=7 if marked else 5)
        label = " ".join(str(row.get(k) or "") for k in ("backend", "precision", "shapes")).strip()
        axes.annotate(label, (latency, accuracy), fontsize=7, xytext=(4, 3), textcoords="offset points")
    xs, ys = zip(*(_figures(row) for row in front), strict=True)
    axes.step(xs, ys, where="post", color="tab:red", linewidth=1, label=f"Pareto front ({len(front)} points)")
    axes.set(xlabel="median latency (ms)", ylabel="top-1 accuracy (%)",
             title=f"trtkit sweep: {len(measured)} points with latency and accuracy")
    axes.legend(fontsize="small")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=path.suffix.lower().lstrip("."), dpi=120)
    write_atomic(path, buffer.getvalue())
    return True
