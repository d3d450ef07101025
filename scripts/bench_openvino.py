#!/usr/bin/env python3
"""Does `trtkit bench --backend openvino` measure what OpenVINO's own tools measure, and how does OpenVINO
compare with ONNX Runtime? Three comparisons in one run, each as ratios of alternating A,B / B,A rounds so that
drift on a shared machine hits both sides equally:

1. `trtkit bench --backend openvino` against `benchmark_app`, each a fresh process on the same model, hint
   (latency: synchronous; throughput: 2 streams, 2 requests), precision (f32, set on both) and duration:
   throughput ratio trtkit/benchmark_app and median-latency ratio benchmark_app/trtkit (>= 1 means trtkit is
   no slower). Then the loops alone: trtkit's OpenVINO loop against benchmark_app's own ``Benchmark.main_loop``
   on one compiled model in this process, in three times as many rounds of a quarter of the duration (finer
   interleaving, no process start-up or compile: less of a shared machine's noise).
2. trtkit's `benchmark()` against a bare OpenVINO loop (compile, bind the inputs once, ``request.infer()``
   in a loop) in this process, latency hint.
3. OpenVINO against ONNX Runtime through trtkit: FP32 on both, then OpenVINO BF16 against ONNX Runtime FP32
   (ONNX Runtime's CPU provider has no BF16 kernels), threads left to each runtime.

PASS when every ratio of 1 and 2 has a median of at least 0.97.
Models: the bundled MNIST model and a ResNet-50 with random weights (scripts/make_resnet.py, generated into a
temporary folder), batch 1.

    python scripts/bench_openvino.py [--rounds 7] [--duration 1] [--models mnist,resnet50] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
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


def trtkit_cli(model: Path, shape: str, streams: int, precision: str, duration: int) -> Figures:
    """`trtkit bench --backend openvino` in a fresh process, as a user runs it."""
    flags = ["--bf16"] if precision == "bf16" else ["--fp16"] if precision == "f16" else []
    out = subprocess.run([sys.executable, "-m", "trtkit", "bench", "--onnx", str(model), "--backend", "openvino",
                          "--shapes", f"input:{shape}", "--infStreams", str(streams), "--duration", str(duration),
                          "--warmUp", str(WARM_UP_MS), "--json", "--quiet", *flags],
                         capture_output=True, text=True, check=True, cwd=REPO).stdout
    doc = json.loads(out)
    return doc["throughputQps"], doc["latencyMs"]["median"]


def benchmark_app(model: Path, shape: str, streams: int, precision: str, duration: int) -> Figures:
    """OpenVINO's benchmark_app with the same model, hint, streams, precision and duration."""
    tool = shutil.which("benchmark_app") or str(Path(sys.executable).with_name("benchmark_app"))
    # benchmark_app refuses -nstreams next to -hint; its throughput hint picks the streams (2 on 2 cores, as
    # trtkit's --infStreams 2 sets them; both reports print NUM_STREAMS).
    hint = ["-hint", "latency"] if streams == 1 else ["-hint", "throughput", "-nireq", str(streams)]
    out = subprocess.run([tool, "-m", str(model), "-d", "CPU", *hint, "-infer_precision", precision,
                          "-t", str(duration), "-shape", f"input[{shape.replace('x', ',')}]"],
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


class _NoData:
    """benchmark_app's data queue in inference-only mode: inputs stay bound, one sample per query."""

    @staticmethod
    def get_next_batch_size() -> int:
        return 1


def loop_pair(model: Path, shape: str, streams: int, duration: float) -> tuple[Callable[[], Figures],
                                                                             Callable[[], Figures]]:
    """trtkit's OpenVINO loop and benchmark_app's own (its ``Benchmark`` class from openvino.tools.benchmark: its
    requests, first inference and ``main_loop``, inputs bound once as in its inference-only mode) on ONE compiled
    model in this process: only the loops differ, and rounds can be short and finely interleaved."""
    import openvino as ov
    from openvino.tools.benchmark.benchmark import Benchmark

    from trtkit.backends.openvino import OpenVINOBackend
    from trtkit.backends.options import RuntimeOptions
    from trtkit.bench.openvino_loop import measure
    from trtkit.bench.stats import summarize

    dims = tuple(int(d) for d in shape.split("x"))
    backend = OpenVINOBackend(model, runtime=RuntimeOptions(streams=streams, shapes={"input": dims}))
    data = np.random.default_rng(0).random(dims, dtype=np.float32)
    options = BenchOptions(duration_s=duration, warm_up_ms=0, iterations=1, inf_streams=streams, progress=False)
    tool = Benchmark("CPU", number_infer_requests=streams, duration_seconds=duration,
                     api_type="sync" if streams == 1 else "async", inference_only=True)
    requests = tool.create_infer_requests(backend.compiled)
    for request in requests:
        request.set_input_tensor(ov.Tensor(data, shared_memory=True))
    tool.first_infer(requests)

    def ours() -> Figures:
        run = measure(backend, {"input": data}, options)
        summary = summarize(run.trace, run.walltime_ms, (50.0,), device=False)
        return summary.throughput_qps, summary.results["latency"].median  # type: ignore[union-attr]

    def theirs() -> Figures:
        fps, median_ms, *_ = tool.main_loop(requests, _NoData(), [1], 50, False)
        return fps, median_ms

    return ours, theirs


def bare_openvino(model: Path, shape: str, precision: str, duration: int) -> Figures:
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


def alternate(rounds: int, first: Callable[[], Figures], second: Callable[[], Figures]
              ) -> tuple[list[Figures], list[Figures]]:
    """A,B then B,A, ... so that drift hits both sides equally."""
    a: list[Figures] = []
    b: list[Figures] = []
    for i in range(rounds):
        if i % 2 == 0:
            a.append(first())
            b.append(second())
        else:
            b.append(second())
            a.append(first())
    return a, b


def _figures(a: list[Figures], b: list[Figures]) -> dict[str, object]:
    """Median per-round throughput ratio a/b and latency ratio b/a (>= 1: a is no slower), their spread over the
    rounds, and each side's medians."""
    tput = [x[0] / y[0] for x, y in zip(a, b, strict=True)]
    lat = [y[1] / x[1] for x, y in zip(a, b, strict=True)]
    (a_qps, a_ms), (b_qps, b_ms) = _medians(a), _medians(b)
    return {"throughput_ratio": statistics.median(tput), "latency_ratio": statistics.median(lat),
            "throughput_ratio_range": [min(tput), max(tput)], "latency_ratio_range": [min(lat), max(lat)],
            "a_qps": a_qps, "a_median_ms": a_ms, "b_qps": b_qps, "b_median_ms": b_ms}


def _medians(figures: list[Figures]) -> Figures:
    return statistics.median(f[0] for f in figures), statistics.median(f[1] for f in figures)


def compare_model(name: str, model: Path, shape: str, rounds: int, duration: int) -> list[dict[str, object]]:
    """The comparisons on one model."""
    rows: list[dict[str, object]] = []
    for streams, hint in ((1, "latency"), (2, "throughput")):
        ours, theirs = alternate(rounds, partial(trtkit_cli, model, shape, streams, "f32", duration),
                                 partial(benchmark_app, model, shape, streams, "f32", duration))
        rows.append({"model": name, "comparison": f"trtkit bench vs benchmark_app ({hint} hint, f32)", "check": True,
                     **_figures(ours, theirs)})
        short = duration / 4
        ours, theirs = alternate(rounds * 3, *loop_pair(model, shape, streams, short))
        rows.append({"model": name, "comparison": f"  loops only, one compiled model: {rounds * 3} x {short:g} s",
                     "check": True, **_figures(ours, theirs)})
    ours, theirs = alternate(rounds, partial(trtkit_api, model, shape, "openvino", "f32", duration),
                             partial(bare_openvino, model, shape, "f32", duration))
    rows.append({"model": name, "comparison": "trtkit benchmark() vs bare OpenVINO loop (latency, f32)",
                 "check": True, **_figures(ours, theirs)})
    for precision in ("f32", "bf16"):
        ov_side, ort_side = alternate(rounds, partial(trtkit_api, model, shape, "openvino", precision, duration),
                                      partial(trtkit_api, model, shape, "onnxruntime", "f32", duration))
        rows.append({"model": name, "comparison": f"OpenVINO {precision} vs ONNX Runtime FP32 (trtkit)",
                     "check": False, **_figures(ov_side, ort_side)})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds per comparison")
    parser.add_argument("--duration", type=int, default=1, help="seconds per measurement on MNIST, twice that on "
                        "ResNet-50 (whole seconds: benchmark_app's -t)")
    parser.add_argument("--models", default="mnist,resnet50")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    log.set_verbosity(-1)
    import onnx
    import onnxruntime
    import openvino

    from scripts.make_resnet import make_resnet

    rows: list[dict[str, object]] = []
    print(f"CPU: {cpu_model()} x {os.cpu_count()}; OpenVINO {openvino.get_version()}, ONNX Runtime "
          f"{onnxruntime.__version__}; {args.rounds} alternating rounds; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="trtkit-bench-ov-") as scratch:
        models = {"mnist": (REPO / "models" / "mnist.onnx", "1x1x28x28")}
        if "resnet50" in args.models:
            path = Path(scratch) / "resnet50.onnx"
            onnx.save(make_resnet(width=1.0), str(path))
            models["resnet50"] = (path, "1x3x224x224")
        for name in args.models.split(","):
            model, shape = models[name]
            rows += compare_model(name, model, shape, args.rounds, args.duration * (2 if name == "resnet50" else 1))
    print(f"\n{'model':<9} {'comparison (A vs B)':<58} {'tput A/B':>8} {'lat B/A':>8}  A qps / median ms  "
          f"B qps / median ms  (ratio ranges over rounds)")
    for r in rows:
        t_lo, t_hi = r["throughput_ratio_range"]  # type: ignore[misc]
        l_lo, l_hi = r["latency_ratio_range"]  # type: ignore[misc]
        print(f"{r['model']:<9} {r['comparison']:<58} {r['throughput_ratio']:>8.3f} {r['latency_ratio']:>8.3f}  "
              f"{r['a_qps']:>7.1f} / {r['a_median_ms']:<8.4f}  {r['b_qps']:>7.1f} / {r['b_median_ms']:<8.4f}  "
              f"({t_lo:.2f}-{t_hi:.2f}, {l_lo:.2f}-{l_hi:.2f})")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    checked = [r for r in rows if r["check"]]
    passed = all(min(r["throughput_ratio"], r["latency_ratio"]) >= TARGET for r in checked)  # type: ignore[type-var]
    print(f"\n{'PASS' if passed else 'FAIL'}: trtkit/reference ratios (throughput, and latency as reference/trtkit) "
          f">= {TARGET} on {len(checked)} checked comparisons")
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_model(), "rows": rows}, indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
