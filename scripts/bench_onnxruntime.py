#!/usr/bin/env python3
"""Does `trtkit bench` measure ONNX Runtime without slowing it down? Throughput of trtkit's benchmark (the
same `benchmark()` call `trtkit bench --onnx` makes) against a bare `session.run` loop, in one process.

Both sides get a fresh session per round, built with the same options and threads, the same inputs
(trtkit's feeds) and the same warm-up time, and alternate A,B / B,A over several rounds so that drift
(other processes, clocks) hits both equally. The bare loop runs a fixed count calibrated to the round's
length and is timed as a whole, its least-overhead form.
PASS when the median per-round ratio trtkit/bare is at least 0.97.

    python scripts/bench_onnxruntime.py [--rounds 21] [--duration 0.5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trtkit.backends.onnxruntime import OnnxRuntimeBackend  # noqa: E402
from trtkit.bench.benchmark import ModelOptions, benchmark, make_feeds  # noqa: E402
from trtkit.bench.options import BenchOptions  # noqa: E402
from trtkit.platform import log  # noqa: E402

TARGET = 0.97
CASES = [
    ("models/mnist.onnx batch 1", REPO / "models" / "mnist.onnx", {"input": (1, 1, 28, 28)}),
    ("models/mnist.onnx batch 64", REPO / "models" / "mnist.onnx", {"input": (64, 1, 28, 28)}),
    ("mnist-8.onnx (zoo) batch 1", REPO.parent / "shared" / "data" / "models" / "mnist-8.onnx", {}),
]


def trtkit_qps(path: Path, shapes: dict[str, tuple[int, ...]], duration_s: float) -> float:
    result = benchmark(ModelOptions(onnx=path, shapes=shapes, verbosity=-1),
                       BenchOptions(duration_s=duration_s, progress=False))
    return result.summary.throughput_qps


def bare_qps(path: Path, feeds: dict[str, object], count: int, warm_up_s: float) -> float:
    """A fresh session, as trtkit's side gets one per round; the same warm-up time; then ``count`` plain
    ``session.run(None, feeds)`` calls timed as a whole."""
    backend = OnnxRuntimeBackend(path)  # the session options trtkit uses, default thread count
    run = backend.session.run
    end = time.perf_counter() + warm_up_s
    while time.perf_counter() < end:
        run(None, feeds)
    start = time.perf_counter()
    for _ in range(count):
        run(None, feeds)
    qps = count / (time.perf_counter() - start)
    backend.close()
    return qps


def measure_case(path: Path, shapes: dict[str, tuple[int, ...]], rounds: int, duration_s: float) -> dict[str, object]:
    with OnnxRuntimeBackend(path) as backend:
        feeds = make_feeds(backend, ModelOptions(onnx=path, shapes=shapes))
    warm_up_s = BenchOptions().warm_up_ms / 1000.0
    count = max(10, int(trtkit_qps(path, shapes, 0.5) * duration_s))  # calibration round, discarded
    ratios, a_values, b_values = [], [], []
    for r in range(rounds):
        order = ("A", "B") if r % 2 == 0 else ("B", "A")
        got = {}
        for side in order:
            if side == "A":
                got["A"] = trtkit_qps(path, shapes, duration_s)
            else:
                got["B"] = bare_qps(path, feeds, count, warm_up_s)
        a_values.append(got["A"])
        b_values.append(got["B"])
        ratios.append(got["A"] / got["B"])
        print(f"  round {r + 1}: trtkit {got['A']:10.1f} qps   bare {got['B']:10.1f} qps   ratio {ratios[-1]:.3f}")
    median = statistics.median(ratios)
    return {"trtkit_qps": a_values, "bare_qps": b_values, "ratios": ratios, "median_ratio": median,
            "pass": median >= TARGET}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--duration", type=float, default=0.5, help="seconds per side per round")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    log.set_verbosity(-1)
    results = {}
    for label, path, shapes in CASES:
        if not path.is_file():
            print(f"{label}: SKIPPED ({path} is absent)")
            continue
        print(f"{label}:")
        results[label] = measure_case(path, shapes, args.rounds, args.duration)
        verdict = "PASS" if results[label]["pass"] else "FAIL"
        print(f"  median ratio {results[label]['median_ratio']:.3f} (target >= {TARGET}) {verdict}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if results and all(r["pass"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
