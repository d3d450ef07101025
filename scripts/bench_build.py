"""Build wall time of `trtkit build` next to `polygraphy convert` on the same model, and `trtkit --help`
start-up time, measured side by side in one run (interleaved rounds, medians).

Both builders use TensorRT-RTX (POLYGRAPHY_USE_TENSORRT_RTX=1) so the ratio compares the tools, not the
TensorRT flavours. Whole-process wall time is what a user waits for, so each sample is one process.

    python scripts/bench_build.py [--model models/mnist.onnx] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "mnist.onnx")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    polygraphy = shutil.which("polygraphy")
    if polygraphy is None:
        sys.exit("polygraphy is not installed: pip install polygraphy")
    env = {**os.environ, "POLYGRAPHY_USE_TENSORRT_RTX": "1", "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "trtkit build": [sys.executable, "-m", "trtkit", "build", "--onnx", str(args.model),
                             "--saveEngine", f"{tmp}/trtkit.plan", "--skipInference", "--quiet", "--flavor", "rtx"],
            "polygraphy convert": [polygraphy, "convert", str(args.model), "-o", f"{tmp}/polygraphy.plan"],
            "trtkit --help": [sys.executable, "-m", "trtkit", "--help"],
            "python -c pass": [sys.executable, "-c", "pass"],
        }
        for cmd in commands.values():  # warm the page cache and any lazy compilation once
            wall(cmd, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, cmd in commands.items():
                samples[name].append(wall(cmd, env))
        sizes = {name: Path(f"{tmp}/{name.split()[0]}.plan").stat().st_size for name in commands if "help" not in name
                 and "python" not in name}
    median = {name: statistics.median(values) for name, values in samples.items()}
    print(f"model: {args.model} ({args.rounds} interleaved rounds, median wall time per process)")
    for name, value in median.items():
        spread = max(samples[name]) - min(samples[name])
        print(f"  {name:<20} {value * 1000:8.1f} ms   (spread {spread * 1000:.1f} ms)")
    print(f"  plan sizes: trtkit {sizes['trtkit build']} B, polygraphy {sizes['polygraphy convert']} B")
    ratio = median["trtkit build"] / median["polygraphy convert"]
    print(f"ratio trtkit build / polygraphy convert: {ratio:.2f}x (below 1 means trtkit is faster)")
    print(f"trtkit --help: {median['trtkit --help'] * 1000:.0f} ms, of which the bare interpreter "
          f"{median['python -c pass'] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
