"""``trtkit sweep``: the grid, expanded into points; the points not already in the results file, run by the
chosen executor; each row written as it arrives; a progress bar over points; the plot at the end."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trtkit.platform import log
from trtkit.platform.errors import UsageError
from trtkit.tasks.sweep_grid import Grid, Point, Settings, expand
from trtkit.tasks.sweep_results import ResultsFile


@dataclass
class SweepOptions:
    """``trtkit sweep`` flags besides the grid's."""

    out: Path  # --out FILE.csv (FILE.json is written beside it)
    resume: bool = False  # --resume: skip points the file already has
    plot: Path | None = None  # --plot FILE.png
    jobs: int = 1  # --jobs N: local worker processes (CPU backends)
    devices: tuple[int, ...] = ()  # --devices 0,1,...: one worker per GPU, bound to it
    ray: str | None = None  # --ray ADDRESS|local
    gpu_type: str | None = None  # --gpuType: the accelerator type TensorRT points ask Ray for
    retries: int = 2  # --retries: times a point whose worker died runs again
    progress: bool = True  # a bar over points (off with --quiet or without a terminal)


@dataclass
class SweepOutcome:
    """What the sweep did: every row of the file, and which points ran now."""

    rows: list[dict[str, Any]]
    ran: list[str] = field(default_factory=list)  # keys of the points run by this call
    kept: int = 0  # points --resume found done

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r.get("status") == "error"]


def check_options(options: SweepOptions) -> None:
    chosen = [flag for flag, on in (("--jobs", options.jobs > 1), ("--devices", options.devices),
                                    ("--ray", options.ray)) if on]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)}: choose one way to run the points")
    if options.jobs < 1 or options.retries < 0:
        raise UsageError("--jobs must be at least 1 and --retries at least 0")
    if options.gpu_type and not options.ray:
        raise UsageError("--gpuType asks Ray for a GPU type: use it with --ray")
    if len(set(options.devices)) != len(options.devices):
        raise UsageError(f"--devices {','.join(map(str, options.devices))}: each GPU once")
    if options.plot is not None:
        from trtkit.bench.plot import check_plot_path
        from trtkit.platform.files import check_writable

        check_plot_path(options.plot)
        check_writable(("--plot", options.plot))


def _rows(points: list[Point], settings: Settings, options: SweepOptions) -> Iterator[dict[str, Any]]:
    if options.ray:
        from trtkit.tasks.sweep_ray import run_ray

        return run_ray(points, settings, options.ray, options.retries, options.gpu_type)
    if options.devices or options.jobs > 1:
        from trtkit.tasks.sweep_exec import run_local

        if not options.devices and any(p.backend == "tensorrt" for p in points):
            log.warning("--jobs runs TensorRT points side by side on one GPU; their timings disturb each other "
                        "(--devices gives each GPU one worker)")
        slots = list(options.devices) or [None] * options.jobs
        return run_local(points, settings, slots, options.retries)
    from trtkit.tasks.sweep_exec import run_sequential

    return run_sequential(points, settings)


def run_sweep(grid: Grid, settings: Settings, options: SweepOptions) -> SweepOutcome:
    """Run the points the results file lacks; every row reaches the file as soon as it arrives."""
    check_options(options)
    points = expand(grid, settings)
    results = ResultsFile(options.out, options.resume)
    done = results.done_keys()
    todo = [p for p in points if p.key not in done]
    outcome = SweepOutcome(results.rows, kept=len(points) - len(todo))
    if outcome.kept:
        log.info(f"--resume: {outcome.kept} of {len(points)} points are in {results.csv_path} already")
    with tempfile.TemporaryDirectory(prefix="trtkit-sweep-calib-") as calib_cache, \
            _progress(len(todo), options.progress) as bar:
        for row in _rows(todo, replace(settings, calib_cache_dir=calib_cache), options):
            results.add(row)
            outcome.ran.append(row["key"])
            if row["status"] != "ok":
                log.warning(f"{_label(row)}: {row['status']}: {row['error']}")
            bar.update(1)
    outcome.rows = results.rows
    if options.plot is not None:
        from trtkit.tasks.sweep_plot import save_plot

        if save_plot(options.plot, outcome.rows):
            log.info(f"Latency against accuracy plotted to {options.plot}")
    return outcome


def _label(row: dict[str, Any]) -> str:
    level = row.get("opt_level")
    parts = [row.get("model"), row.get("backend"), row.get("precision"), row.get("shapes"),
             None if level in (None, "") else f"O{level}"]
    return " ".join(str(p) for p in parts if p)


class _NoBar:
    def update(self, n: int) -> None:
        """No bar: nothing to draw."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _progress(total: int, enabled: bool) -> Any:
    """A tqdm bar over points on stderr, where there is a terminal and tqdm is installed."""
    if not (enabled and total and sys.stderr.isatty()):
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc="sweep", unit="point", file=sys.stderr)
