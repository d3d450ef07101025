"""What a sweep point measures, on any backend: bench's figures into the row, top-1 accuracy on the labelled
set (loaded once per worker process), and what ran where (libraries, versions, the CPU's name)."""

from __future__ import annotations

import platform
from functools import cache
from pathlib import Path
from typing import Any

from trtkit import __version__
from trtkit.precision.options import PrecisionOptions
from trtkit.tasks.sweep_grid import Settings


def bench_into(row: dict[str, Any], model: Path, backend: str, shapes: dict[str, tuple[int, ...]], settings: Settings,
               *, device: int = 0, precision: PrecisionOptions | None = None) -> dict[str, str]:
    """Bench ``model`` as ``trtkit bench`` does and put its figures in ``row``; the backend's settings as it
    reports them (OpenVINO: the precision hint it was compiled with)."""
    from trtkit.bench.benchmark import ModelOptions, benchmark
    from trtkit.bench.options import BenchOptions

    is_plan = backend == "tensorrt"
    options = ModelOptions(engine=model if is_plan else None, onnx=None if is_plan else model, backend=backend,
                           shapes=shapes, flavor=settings.flavor, device=device, verbosity=settings.verbosity,
                           precision=precision or PrecisionOptions())
    bench = BenchOptions(warm_up_ms=settings.warm_up_ms, iterations=settings.iterations,
                         duration_s=settings.duration_s, progress=False)
    result = benchmark(options, bench)
    summary = result.summary
    latency = summary.results["latency"]
    assert latency is not None  # every backend measures latency
    row.update(throughput_qps=summary.throughput_qps, latency_mean_ms=latency.mean,
               latency_median_ms=latency.median, queries=summary.queries,
               **{f"latency_p{p:g}_ms": v for p, v in zip(summary.percentiles, latency.percentiles, strict=True)})
    compute = summary.results.get("compute")
    row["gpu_compute_mean_ms"] = compute.mean if compute is not None and summary.device else None
    return dict(result.settings)


def accuracy_into(row: dict[str, Any], model: Path, backend: str, original: Path, settings: Settings, *,
                  device: int = 0, precision: PrecisionOptions | None = None) -> None:
    """Top-1 of ``model`` on ``backend`` (with ``precision``'s hint on a CPU backend), when --eval is given."""
    if settings.eval_data is None:
        return
    from trtkit.builder.cpu_model import open_model
    from trtkit.tasks.eval import run_eval

    dataset = _dataset(settings.eval_data, settings.eval_limit)
    gpu = {"gpu": device} if backend == "tensorrt" else {}
    with open_model(model, backend, precision=precision, verbosity=settings.verbosity, **gpu) as opened:
        result = run_eval(opened, original, dataset)
    row.update(accuracy=result.accuracy, accuracy_backend=backend, eval_samples=result.count)


@cache
def _dataset(data: Path, limit: int | None) -> Any:
    """Loaded once per worker process: every point of a sweep is judged on the same samples."""
    from trtkit.data.labelled import load_labelled

    return load_labelled(data, "test", limit)


def library(backend: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    package = {"onnxruntime": "onnxruntime", "openvino": "openvino"}.get(backend, backend)
    label = {"onnxruntime": "ONNX Runtime", "openvino": "OpenVINO"}.get(backend, backend)
    try:
        return f"{label} {version(package)}"
    except PackageNotFoundError:
        return label


def versions(backend: str) -> str:
    """trtkit, Python and the libraries the point used."""
    parts = [f"trtkit {__version__}", f"Python {platform.python_version()}"]
    if backend != "tensorrt":
        parts.append(library(backend))
    return "; ".join(parts)


def cpu_name() -> str:
    """The CPU model where a CPU backend ran (``/proc/cpuinfo`` on Linux, else what Python knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
