"""Soak check of the ONNX Runtime backend: resident memory and open file descriptors stay flat over 100k
inferences, 20 evals of the MNIST test set (200k samples) and 200 opens of the model.

Prints RSS (after garbage collection and glibc's malloc_trim) and the open descriptor count at the start,
middle and end of each phase; exits 1 if either grew between a phase's middle and end beyond the tolerance
(the start includes one-time allocations: ONNX Runtime's arena, imported modules).

    PYTHONPATH=. python scripts/soak_onnxruntime.py [--runs 100000] [--evals 20] [--opens 200]

Linux only (reads /proc/self). Not a test: it takes a minute or two and its figures belong in the docs.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "mnist.onnx"
MNIST = REPO.parent / "shared" / "data" / "mnist"
RSS_TOLERANCE_MIB = 2.0
FD_TOLERANCE = 0


def _settle() -> None:
    """Collect garbage and hand glibc's freed-but-kept pages back, so that RSS measures what is live rather
    than how the allocator happened to pool freed memory (which swings by tens of MiB between evals)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the figures then include pooled free memory
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def resident_mib() -> float:
    _settle()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def phase(name: str, count: int, step: Callable[[int], None]) -> tuple[float, int, float, int]:
    """Run ``step(i)`` ``count`` times; print and return (RSS, fds) at the middle and the end."""
    start = (resident_mib(), open_fds())
    began = time.perf_counter()
    middle = start
    for i in range(count):
        step(i)
        if i == count // 2:
            middle = (resident_mib(), open_fds())
    end = (resident_mib(), open_fds())
    print(f"{name:<34} {count:>7}  RSS MiB start {start[0]:7.1f} middle {middle[0]:7.1f} end {end[0]:7.1f}   "
          f"fds {start[1]:3d} {middle[1]:3d} {end[1]:3d}   {time.perf_counter() - began:6.1f} s", flush=True)
    return (*middle, *end)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--evals", type=int, default=20, help="evals of the 10000 MNIST test images")
    parser.add_argument("--opens", type=int, default=200)
    args = parser.parse_args()

    from trtkit.backends.onnxruntime import OnnxRuntimeBackend
    from trtkit.data.preprocess import PreprocessOptions
    from trtkit.platform import log
    from trtkit.tasks.eval import EvalOptions, evaluate

    log.set_verbosity(-1)
    feeds = {"input": np.random.default_rng(0).random((1, 1, 28, 28), dtype=np.float32)}
    backend = OnnxRuntimeBackend(MODEL)
    backend.run(feeds)
    results = []
    results.append(phase("inferences (backend.run, batch 1)", args.runs, lambda _: backend.run(feeds)))
    backend.close()
    options = EvalOptions(MODEL, MNIST, split="test", batch=100, preprocess=PreprocessOptions(), verbosity=-1)
    accuracies: list[float] = []
    results.append(phase("eval of 10000 MNIST test images", args.evals,
                         lambda _: accuracies.append(evaluate(options).accuracy)))
    results.append(phase("open + run + close the model", args.opens,
                         lambda _: OnnxRuntimeBackend(MODEL).run(feeds)))
    print(f"eval top-1: {min(accuracies):.2f}% to {max(accuracies):.2f}% over {len(accuracies)} evals")
    grew = [(rss_end - rss_mid, fd_end - fd_mid) for rss_mid, fd_mid, rss_end, fd_end in results]
    flat = all(rss <= RSS_TOLERANCE_MIB and fds <= FD_TOLERANCE for rss, fds in grew)
    print(f"middle -> end growth per phase: {', '.join(f'{rss:+.1f} MiB / {fds:+d} fds' for rss, fds in grew)}: "
          f"{'flat' if flat else 'GROWING'} (tolerance {RSS_TOLERANCE_MIB} MiB, {FD_TOLERANCE} fds)")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
