"""Per-point overhead of `trtkit sweep`'s executors against the sequential path, on the same grid, in one run.

Each point is made tiny (a few queries of MNIST on ONNX Runtime) so that what is left is the executor's own
cost: process start-up and imports, pickling, Ray scheduling and result transfer. For every path it prints
the wall time per point, the time the points themselves measured (``elapsed_s``, inside the worker; a fresh
worker's first point includes importing ONNX Runtime), the overhead per point (wall time minus the in-point
time spread over the workers running side by side) and the ratio of wall time per point to the sequential
path's. Ray's
start-up (``ray.init``) is reported on its own line; "cold" is the first sweep on a fresh instance (workers
start and import trtkit), "warm" a second sweep on the same instance (workers reused).

    PYTHONPATH=. python scripts/bench_sweep.py [--points 8] [--cpus 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trtkit.platform import log  # noqa: E402
from trtkit.tasks.sweep import SweepOptions, run_sweep  # noqa: E402
from trtkit.tasks.sweep_grid import Grid, Settings  # noqa: E402


def sweep_once(grid: Grid, settings: Settings, scratch: Path, name: str, **executor: object) -> tuple[float, float]:
    """(wall seconds, summed in-point seconds) of one sweep into a fresh file."""
    out = scratch / f"{name}.csv"
    start = time.perf_counter()
    outcome = run_sweep(grid, settings, SweepOptions(out=out, progress=False, **executor))  # type: ignore[arg-type]
    wall = time.perf_counter() - start
    assert len(outcome.ran) == len(outcome.rows) and all(r["status"] == "ok" for r in outcome.rows), outcome.rows
    return wall, sum(float(r["elapsed_s"]) for r in outcome.rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=8, help="grid points (batch sizes 1..N of MNIST)")
    parser.add_argument("--cpus", type=int, default=2, help="Ray CPUs and --jobs workers")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every path, alternating; medians shown")
    args = parser.parse_args()
    import ray

    log.set_verbosity(-1)
    grid = Grid(onnx=[REPO / "models" / "mnist.onnx"], shapes=[f"input:{b}x1x28x28" for b in range(1, args.points + 1)])
    settings = Settings(iterations=5, duration_s=0.0, warm_up_ms=0.0)
    results: dict[str, list[tuple[float, float]]] = {}
    inits: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        scratch = Path(tmp)
        for round_ in range(args.rounds):
            def run(name: str, **executor: object) -> None:
                file = f"{name}{round_}".replace(" ", "_")  # noqa: B023 - called within this round only
                results.setdefault(name, []).append(sweep_once(grid, settings, scratch, file, **executor))

            run("sequential")
            run(f"--jobs {args.cpus}", jobs=args.cpus)
            start = time.perf_counter()
            ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
            inits.append(time.perf_counter() - start)
            run("--ray cold", ray="local")
            run("--ray warm", ray="local")
            ray.shutdown()
    n = args.points
    base = statistics.median(w for w, _ in results["sequential"]) / n
    print(f"{n} points (MNIST on ONNX Runtime, 5 queries each), {args.rounds} rounds, medians; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"ray.init: {statistics.median(inits):.2f} s (once per sweep that starts Ray; not in the rows below)")
    print(f"{'path':<14}{'workers':>8}{'wall/point ms':>15}{'in-point ms':>13}{'overhead ms':>13}{'ratio':>8}")
    for name, runs in results.items():
        workers = 1 if name == "sequential" else args.cpus
        wall = statistics.median(w for w, _ in runs) / n
        inside = statistics.median(i for _, i in runs) / n
        overhead = wall - inside / workers
        print(f"{name:<14}{workers:>8}{wall * 1e3:>15.1f}{inside * 1e3:>13.1f}{overhead * 1e3:>13.1f}"
              f"{wall / base:>8.2f}")


if __name__ == "__main__":
    main()
