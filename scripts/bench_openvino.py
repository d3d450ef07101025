#!/usr/bin/env python3
"""Does `trtkit bench --backend openvino` measure what OpenVINO's own tools measure, and how does OpenVINO
compare with ONNX Runtime? Three comparisons in one run, each as ratios of alternating A,B / B,A rounds so that
drift on a shared machine hits both sides equally:

1. `trtkit bench --backend openvino` against `benchmark_app`, each a fresh process on the same model, hint
   (latency: synchronous; throughput: 2 streams, 2 requests), precision (f32, set on both) and duration:
   throughput ratio trtkit/benchmark_app and median-latency ratio benchmark_app/trtkit (>= 1 means trtkit is
   no slower).
2. trtkit's `benchmark()` against a bare OpenVINO loop (compile, bind the inputs once, ``request.infer()``
   in a loop) in this process, latency hint.
3. OpenVINO against ONNX Runtime through trtkit: FP32 on both, then OpenVINO BF16 against ONNX Runtime FP32
   (ONNX Runtime's CPU provider has no BF16 kernels), threads left to each runtime.

PASS when every ratio of 1 and 2 has a median of at least 0.97.
Models: the bundled MNIST model and a ResNet-50 with random weights (scripts/make_resnet.py, generated into a
temporary folder), batch 1.

    python scripts/bench_openvino.py [--rounds 3] [--duration 2] [--models mnist,resnet50] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from trtkit.bench.benchmark import ModelOptions, benchmark  # noqa: E402
from trtkit.bench.options import BenchOptions  # noqa: E402
from trtkit.platform import log  # noqa: E402
from trtkit.precision.options import PrecisionOptions  # noqa: E402

TARGET = 0.97
WARM_UP_MS = 20.0
Figures = tuple[float, float]  # throughput (qps), median latency (ms)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def trtkit_cli(model: Path, shape: str, streams: int, precision: str, duration: float) -> Figures:
    """`trtkit bench --backend openvino` in a fresh process, as a user runs it."""
    flags = ["--bf16"] if precision == "bf16" else ["--fp16"] if precision == "f16" else []
    out = subprocess.run([sys.executable, "-m", "trtkit", "bench", "--onnx", str(model), "--backend", "openvino",
                          "--shapes", f"input:{shape}", "--infStreams", str(streams), "--duration", str(duration),
                          "--warmUp", str(WARM_UP_MS), "--json", "--quiet", *flags],
                         capture_output=True, text=True, check=True, cwd=REPO).stdout
    doc = json.loads(out)
    return doc["throughputQps"], doc["latencyMs"]["median"]


def benchmark_app(model: Path, shape: str, streams: int, precision: str, duration: float) -> Figures:
    """OpenVINO's benchmark_app with the same model, hint, streams, precision and duration."""
    tool = shutil.which("benchmark_app") or str(Path(sys.executable).with_name("benchmark_app"))
    # benchmark_app refuses -nstreams next to -hint; its throughput hint picks the streams (2 on 2 cores, as
    # trtkit's --infStreams 2 sets them; both reports print NUM_STREAMS).
    hint = ["-hint", "latency"] if streams == 1 else ["-hint", "throughput", "-nireq", str(streams)]
    out = subprocess.run([tool, "-m", str(model), "-d", "CPU", *hint, "-infer_precision", precision,
                          "-t", str(int(duration)), "-shape", f"input[{shape.replace('x', ',')}]"],
                         capture_output=True, text=True, check=True).stdout
    fps = float(re.search(r"Throughput:\s+([\d.]+) FPS", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"Median:\s+([\d.]+) (us|ms)", out).groups()  # type: ignore[union-attr]
    return fps, float(value) / (1000.0 if unit == "us" else 1.0)


def trtkit_api(model: Path, shape: str, backend: str, precision: str, duration: float) -> Figures:
    """trtkit's `benchmark()` in this process (what `trtkit bench` calls)."""
    dims = tuple(int(d) for d in shape.split("x"))
    options = ModelOptions(onnx=model, backend=backend, shapes={"input": dims},
                           precision=PrecisionOptions(bf16=precision == "bf16", fp16=precision == "f16"))
    result = benchmark(options, BenchOptions(duration_s=duration, warm_up_ms=WARM_UP_MS, progress=False))
    latency = result.summary.results["latency"]
    assert latency is not None
    return result.summary.throughput_qps, latency.median


def bare_openvino(model: Path, shape: str, precision: str, duration: float) -> Figures:
    """The least a Python program can do: compile with the latency hint, bind once, ``infer()`` in a loop."""
    import openvino as ov

    core = ov.Core()
    dims = [int(d) for d in shape.split("x")]
    network = core.read_model(str(model))
    network.reshape({network.inputs[0].get_any_name(): dims})
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": precision}
    compiled = core.compile_model(network, "CPU", config)
    request = compiled.create_infer_request()
    data = np.random.default_rng(0).random(dims, dtype=np.float32)
    request.set_input_tensor(ov.Tensor(data, shared_memory=True))
    end = time.perf_counter() + WARM_UP_MS / 1000.0
    while time.perf_counter() < end:
        request.infer()
    latencies = []
    start = time.perf_counter()
    deadline = start + duration
    while True:
        request.infer()
        latencies.append(request.latency)
        if time.perf_counter() >= deadline:
            break
    return len(latencies) / (time.perf_counter() - start), float(np.median(latencies))


def alternate(rounds: int, first: object, second: object) -> tuple[list[Figures], list[Figures]]:
    """A,B then B,A, ... so that drift hits both sides equally."""
    a, b = [], []
    for i in range(rounds):
        if i % 2 == 0:
            a.append(first())  # type: ignore[operator]
            b.append(second())  # type: ignore[operator]
        else:
            b.append(second())  # type: ignore[operator]
            a.append(first())  # type: ignore[operator]
    return a, b


def ratios(ours: list[Figures], theirs: list[Figures]) -> tuple[float, float, Figures, Figures]:
    """Median per-round throughput ratio ours/theirs and latency ratio theirs/ours; medians of each side."""
    tput = statistics.median(o[0] / t[0] for o, t in zip(ours, theirs, strict=True))
    lat = statistics.median(t[1] / o[1] for o, t in zip(ours, theirs, strict=True))
    return tput, lat, _medians(ours), _medians(theirs)


def _medians(figures: list[Figures]) -> Figures:
    return statistics.median(f[0] for f in figures), statistics.median(f[1] for f in figures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per measurement (whole seconds for "
                        "benchmark_app)")
    parser.add_argument("--models", default="mnist,resnet50")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    log.set_verbosity(-1)
    import onnx
    import onnxruntime
    import openvino

    from scripts.make_resnet import make_resnet

    rows: list[dict[str, object]] = []
    print(f"CPU: {cpu_model()}; OpenVINO {openvino.get_version()}, ONNX Runtime {onnxruntime.__version__}; "
          f"{args.rounds} alternating rounds of {args.duration:g} s")
    with tempfile.TemporaryDirectory(prefix="trtkit-bench-ov-") as scratch:
        models = {"mnist": (REPO / "models" / "mnist.onnx", "1x1x28x28")}
        if "resnet50" in args.models:
            path = Path(scratch) / "resnet50.onnx"
            onnx.save(make_resnet(width=1.0), str(path))
            models["resnet50"] = (path, "1x3x224x224")
        d, n = args.duration, args.rounds
        for name in args.models.split(","):
            model, shape = models[name]
            for streams, hint in ((1, "latency"), (2, "throughput")):
                ours, theirs = alternate(n, lambda m=model, s=shape, k=streams: trtkit_cli(m, s, k, "f32", d),
                                         lambda m=model, s=shape, k=streams: benchmark_app(m, s, k, "f32", d))
                rows.append({"model": name, "comparison": f"trtkit bench vs benchmark_app ({hint} hint, f32)",
                             "check": True, **_figures(ours, theirs)})
            ours, theirs = alternate(n, lambda m=model, s=shape: trtkit_api(m, s, "openvino", "f32", d),
                                     lambda m=model, s=shape: bare_openvino(m, s, "f32", d))
            rows.append({"model": name, "comparison": "trtkit benchmark() vs bare OpenVINO loop (latency, f32)",
                         "check": True, **_figures(ours, theirs)})
            for precision in ("f32", "bf16"):
                ov_side, ort_side = alternate(n, lambda m=model, s=shape, p=precision: trtkit_api(m, s, "openvino",
                                                                                                   p, d),
                                              lambda m=model, s=shape: trtkit_api(m, s, "onnxruntime", "f32", d))
                rows.append({"model": name, "comparison": f"OpenVINO {precision} vs ONNX Runtime FP32 (trtkit)",
                             "check": False, **_figures(ov_side, ort_side)})
    print(f"\n{'model':<9} {'comparison':<58} {'tput ratio':>10} {'lat ratio':>9}  A: qps / median ms   "
          "B: qps / median ms")
    for r in rows:
        print(f"{r['model']:<9} {r['comparison']:<58} {r['throughput_ratio']:>10.3f} {r['latency_ratio']:>9.3f}  "
              f"{r['a_qps']:>8.1f} / {r['a_median_ms']:<8.4f}  {r['b_qps']:>8.1f} / {r['b_median_ms']:.4f}")
    checked = [r for r in rows if r["check"]]
    passed = all(min(r["throughput_ratio"], r["latency_ratio"]) >= TARGET for r in checked)  # type: ignore[type-var]
    print(f"\n{'PASS' if passed else 'FAIL'}: trtkit/reference ratios (throughput, and latency as reference/trtkit) "
          f">= {TARGET} on {len(checked)} checked comparisons")
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_model(), "rows": rows}, indent=2))
    return 0 if passed else 1


def _figures(a: list[Figures], b: list[Figures]) -> dict[str, float]:
    tput, lat, (a_qps, a_ms), (b_qps, b_ms) = ratios(a, b)
    return {"throughput_ratio": tput, "latency_ratio": lat, "a_qps": a_qps, "a_median_ms": a_ms, "b_qps": b_qps,
            "b_median_ms": b_ms}


if __name__ == "__main__":
    sys.exit(main())
