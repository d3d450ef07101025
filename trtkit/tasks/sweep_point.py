"""One point of a sweep: build where the backend needs it, bench, accuracy; one row, whatever happens.

A point that cannot run here is a ``skipped`` row saying why (a TensorRT plan on a machine without a usable
GPU is still built, so its build time and plan size are real); a point that fails is an ``error`` row with the
one-line message. Nothing a point does raises out of :func:`run_point`, so no executor loses a point.

What each precision means off TensorRT: the graph TensorRT would be given (FP16/BF16: the converted ONNX
graph; INT8: the Q/DQ graph trtkit's calibration writes) is benched on that backend as it is. ONNX Runtime's
CPU provider does not compute FP16 in FP16 (it runs FP16 op chains in FP32), so an FP16/BF16 accuracy figure
comes from the faithful ``reference`` backend (every tensor stored in its declared type), never from ORT's run.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from trtkit import __version__
from trtkit.backends.loader import BACKEND_CHOICES
from trtkit.platform import log
from trtkit.platform.errors import TrtkitError
from trtkit.tasks.sweep_grid import Point, Settings

CRASH_ONCE = "TRTKIT_SWEEP_CRASH_ONCE"
"""Test hook: a folder; a worker dies (os._exit) on the first attempt of each point, leaving a marker there,
so the tests can prove a dead worker's point is retried and written once. Never set outside the tests."""
FLOAT16 = ("fp16", "bf16")


class Skip(Exception):
    """The point cannot run here; the message says why."""


@dataclass(frozen=True)
class Binding:
    """The GPU a worker process is bound to (--devices), made current before any other CUDA work."""

    ordinal: int | None = None
    name: str = ""


def run_point(point: Point, settings: Settings, binding: Binding | None = None) -> dict[str, Any]:
    """The point's row: its config, what ran where, the figures, and ``status`` ok/skipped/error."""
    _crash_once_for_tests(point)
    binding = binding or Binding()
    row: dict[str, Any] = {**point.config(), "status": "ok", "error": "", "note": "", "gpu": binding.ordinal,
                           "gpu_name": binding.name, "attempts": 1,
                           "host": platform.node(), "pid": os.getpid()}
    start = time.perf_counter()
    level = log.verbosity()
    log.set_verbosity(settings.verbosity)
    try:
        with tempfile.TemporaryDirectory(prefix="trtkit-sweep-") as scratch:
            _execute(point, settings, binding, Path(scratch), row)
    except Skip as e:
        row.update(status="skipped", error=str(e))
    except TrtkitError as e:
        row.update(status="error", error=_one_line(str(e)))
    except Exception as e:  # a point's failure is its row, never the sweep's end
        row.update(status="error", error=_one_line(f"{type(e).__name__}: {e}"))
    finally:
        log.set_verbosity(level)
    row["elapsed_s"] = round(time.perf_counter() - start, 3)
    row["versions"] = versions(point.backend)
    return row


def unrun_row(point: Point, message: str, attempts: int | None, status: str = "error") -> dict[str, Any]:
    """The row of a point no worker returned a row for: it died on every attempt (error), or the point could
    not be placed at all (skipped)."""
    return {**point.config(), "status": status, "error": _one_line(message), "attempts": attempts,
            "versions": versions(point.backend)}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _crash_once_for_tests(point: Point) -> None:
    folder = os.environ.get(CRASH_ONCE)
    if not folder:
        return
    marker = Path(folder) / point.key.replace("|", "_").replace("/", "_")
    if not marker.exists():
        marker.touch()
        os._exit(17)


def _execute(point: Point, settings: Settings, binding: Binding, scratch: Path, row: dict[str, Any]) -> None:
    if point.backend not in BACKEND_CHOICES:
        raise Skip(f"this trtkit has no {point.backend} backend (it has {', '.join(BACKEND_CHOICES[1:])})")
    if point.backend == "tensorrt":
        _tensorrt_point(point, settings, binding, scratch, row)
    else:
        _onnx_point(point, settings, scratch, row)


def _precision_options(point: Point, settings: Settings) -> Any:
    from trtkit.precision.layers import layer_options
    from trtkit.precision.options import PrecisionOptions

    flags = {p: point.precision == p for p in ("fp16", "bf16", "int8")}
    calib = Path(point.calib) if point.calib else None
    return PrecisionOptions(**flags, calib=calib, calib_samples=settings.calib_samples,
                            layers=layer_options(point.layers or None, None, None))


def _tensorrt_point(point: Point, settings: Settings, binding: Binding, scratch: Path, row: dict[str, Any]) -> None:
    """Build for real; bench and evaluate the plan where this machine can run it, else a skip with the reason."""
    from trtkit.backends.tensorrt import TensorRTBackend
    from trtkit.builder.builder import BuildOptions, build
    from trtkit.builder.profiles import ProfileSpec, parse_shape_spec

    shapes = parse_shape_spec(point.shapes, "--shapes") if point.shapes else {}
    device = binding.ordinal or 0
    profiles = [ProfileSpec(dict(shapes), dict(shapes), dict(shapes))] if shapes else []
    result = build(BuildOptions(onnx=Path(point.model), precision=_precision_options(point, settings),
                                profiles=profiles, builder_optimization_level=point.opt_level, flavor=settings.flavor,
                                device=device, verbosity=settings.verbosity))
    row.update(flavour=result.flavour, plan_bytes=len(result.plan), build_s=round(result.build_time_s, 3),
               note=result.precision)
    plan = scratch / "point.plan"
    plan.write_bytes(result.plan)
    try:
        TensorRTBackend(plan, flavor=settings.flavor, verbosity=-2, device=device).close()
    except TrtkitError as e:
        raise Skip(f"built; cannot run here: {_one_line(str(e).removeprefix(f'{plan}: '))}") from None
    row["device"] = binding.name or _gpu_name(device)
    _bench(plan, "tensorrt", shapes, settings, device, row)
    _accuracy(plan, "tensorrt", point, settings, device, row)


def _gpu_name(ordinal: int) -> str:
    from trtkit.platform.cuda import Device

    with Device(ordinal) as gpu:
        return gpu.name


def _onnx_point(point: Point, settings: Settings, scratch: Path, row: dict[str, Any]) -> None:
    """The graph TensorRT would get at this precision, benched and evaluated on an ONNX backend as it is."""
    from trtkit.builder.profiles import parse_shape_spec

    shapes = parse_shape_spec(point.shapes, "--shapes") if point.shapes else {}
    graph = _graph_for(point, settings, row)
    if isinstance(graph, bytes):
        path = scratch / f"{Path(point.model).stem}.{point.precision}.onnx"
        path.write_bytes(graph)
        graph = path
    row.update(flavour=_library(point.backend), device=cpu_name())
    try:
        _bench(graph, point.backend, shapes, settings, 0, row)
    except TrtkitError as e:
        if point.precision == "bf16":
            raise Skip(f"{_library(point.backend)} has no BF16 kernels here: {_one_line(str(e))}") from None
        raise
    if point.precision in FLOAT16:
        # ONNX Runtime's CPU provider runs FP16 op chains in FP32, so its top-1 would be an FP32 figure under an
        # FP16 label; the reference backend stores every tensor in its declared type.
        row["note"] += (f"; latency: {point.backend} on this graph as it runs it (its CPU provider computes in FP32);"
                        " accuracy: reference backend")
        _accuracy(graph, "reference", point, settings, 0, row)
        return
    _accuracy(graph, point.backend, point, settings, 0, row)


def _graph_for(point: Point, settings: Settings, row: dict[str, Any]) -> Path | bytes:
    """The model, or the graph a strongly typed TensorRT (11.x, RTX) gets at this precision: converted FP16/BF16
    or calibrated Q/DQ INT8, with the per-layer rules, made by the same code that ``trtkit build`` runs."""
    if point.precision == "fp32":
        return Path(point.model)
    from trtkit.platform.trt import load
    from trtkit.precision.prepare import prepare

    prepared = prepare(Path(point.model), _precision_options(point, settings), load(settings.flavor), True)
    row["note"] = f"the graph strongly typed TensorRT gets: {prepared.description}"
    return Path(point.model) if prepared.onnx is None else prepared.onnx


def _bench(model: Path, backend: str, shapes: dict[str, tuple[int, ...]], settings: Settings, device: int,
           row: dict[str, Any]) -> None:
    from trtkit.bench.benchmark import ModelOptions, benchmark
    from trtkit.bench.options import BenchOptions

    is_plan = backend == "tensorrt"
    options = ModelOptions(engine=model if is_plan else None, onnx=None if is_plan else model, backend=backend,
                           shapes=shapes, flavor=settings.flavor, device=device, verbosity=settings.verbosity)
    bench = BenchOptions(warm_up_ms=settings.warm_up_ms, iterations=settings.iterations,
                         duration_s=settings.duration_s, progress=False)
    summary = benchmark(options, bench).summary
    latency = summary.results["latency"]
    assert latency is not None  # every backend measures latency
    row.update(throughput_qps=summary.throughput_qps, latency_mean_ms=latency.mean,
               latency_median_ms=latency.median, queries=summary.queries,
               **{f"latency_p{p:g}_ms": v for p, v in zip(summary.percentiles, latency.percentiles, strict=True)})
    compute = summary.results.get("compute")
    row["gpu_compute_mean_ms"] = compute.mean if compute is not None and summary.device else None


def _accuracy(model: Path, backend: str, point: Point, settings: Settings, device: int, row: dict[str, Any]) -> None:
    if settings.eval_data is None:
        return
    from trtkit.backends.loader import open_backend
    from trtkit.tasks.eval import run_eval

    dataset = _dataset(settings.eval_data, settings.eval_limit)
    gpu = {"gpu": device} if backend == "tensorrt" else {}
    with open_backend(model, backend, verbosity=settings.verbosity, **gpu) as opened:
        result = run_eval(opened, Path(point.model), dataset)
    row.update(accuracy=result.accuracy, accuracy_backend=backend, eval_samples=result.count)


@cache
def _dataset(data: Path, limit: int | None) -> Any:
    """Loaded once per worker process: every point of a sweep is judged on the same samples."""
    from trtkit.data.labelled import load_labelled

    return load_labelled(data, "test", limit)


def _library(backend: str) -> str:
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
        parts.append(_library(backend))
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
