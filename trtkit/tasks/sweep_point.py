"""One point of a sweep: build where the backend needs it, bench, accuracy; one row, whatever happens.

A point that cannot run here is a ``skipped`` row saying why (a TensorRT plan on a machine without a usable
GPU is still built, so its build time and plan size are real); a point that fails is an ``error`` row with the
one-line message. Nothing a point does raises out of :func:`run_point`, so no executor loses a point.

What each precision means off TensorRT. ONNX Runtime: the graph strongly typed TensorRT would be given
(FP16/BF16: the converted ONNX graph; INT8: the Q/DQ graph trtkit's calibration writes), benched as ORT runs
it; ORT's CPU provider does not compute FP16 in FP16 (it runs FP16 op chains in FP32), so an FP16/BF16 accuracy
figure comes from the faithful ``reference`` backend (every tensor stored in its declared type), never from
ORT's run. OpenVINO: its own precision hint (FP16/BF16) or the same Q/DQ graph (INT8), judged on OpenVINO.
"""

from __future__ import annotations

import hashlib
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trtkit.backends.loader import BACKEND_CHOICES
from trtkit.platform import log
from trtkit.platform.errors import TrtkitError
from trtkit.tasks.sweep_grid import Point, Settings
from trtkit.tasks.sweep_measure import accuracy_into, bench_into, cpu_name, library, versions

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
    elif point.backend == "openvino":
        _openvino_point(point, settings, scratch, row)
    else:
        _onnx_point(point, settings, scratch, row)


def _precision_options(point: Point, settings: Settings) -> Any:
    from trtkit.precision.layers import layer_options
    from trtkit.precision.options import PrecisionOptions

    flags = {p: point.precision == p for p in ("fp16", "bf16", "int8")}
    calib = Path(point.calib) if point.calib else None
    return PrecisionOptions(**flags, calib=calib, calib_samples=settings.calib_samples,
                            calib_cache=_calib_cache(point, settings),
                            layers=layer_options(point.layers or None, None, None))


def _calib_cache(point: Point, settings: Settings) -> Path | None:
    """INT8 points of one model and one calibration set calibrate once per sweep: the first writes TensorRT's
    table (atomically) into the sweep's scratch folder, the others read it (``--calibCache`` semantics)."""
    if point.precision != "int8" or not settings.calib_cache_dir:
        return None
    folder = Path(settings.calib_cache_dir)
    folder.mkdir(parents=True, exist_ok=True)  # a Ray node other than the driver's has no such folder yet
    source = hashlib.sha256(f"{point.calib}|{settings.calib_samples}".encode()).hexdigest()[:16]
    return folder / f"{point.model_sha256[:16]}-{source}.cache"


def _tensorrt_point(point: Point, settings: Settings, binding: Binding, scratch: Path, row: dict[str, Any]) -> None:
    """Build for real; bench and evaluate the plan where this machine can run it, else a skip with the reason."""
    from trtkit.backends.tensorrt import TensorRTBackend
    from trtkit.builder.builder import BuildOptions, build
    from trtkit.builder.profiles import ProfileSpec

    shapes = _shapes(point)
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
    bench_into(row, plan, "tensorrt", shapes, settings, device=device)
    accuracy_into(row, plan, "tensorrt", Path(point.model), settings, device=device)


def _gpu_name(ordinal: int) -> str:
    from trtkit.platform.cuda import Device

    with Device(ordinal) as gpu:
        return gpu.name


def _onnx_point(point: Point, settings: Settings, scratch: Path, row: dict[str, Any]) -> None:
    """ONNX Runtime: the graph strongly typed TensorRT would get at this precision, benched as ORT runs it."""
    shapes = _shapes(point)
    graph = _written(_graph_for(point, settings, row), point, scratch)
    row.update(flavour=library(point.backend), device=cpu_name())
    try:
        bench_into(row, graph, point.backend, shapes, settings)
    except TrtkitError as e:
        if point.precision == "bf16":
            raise Skip(f"{library(point.backend)} has no BF16 kernels here: {_one_line(str(e))}") from None
        raise
    if point.precision in FLOAT16:
        # ONNX Runtime's CPU provider runs FP16 op chains in FP32, so its top-1 would be an FP32 figure under an
        # FP16 label; the reference backend stores every tensor in its declared type.
        row["note"] += (f"; latency: {point.backend} on this graph as it runs it (its CPU provider computes in FP32);"
                        " accuracy: reference backend")
        accuracy_into(row, graph, "reference", Path(point.model), settings)
        return
    accuracy_into(row, graph, point.backend, Path(point.model), settings)


def _openvino_point(point: Point, settings: Settings, scratch: Path, row: dict[str, Any]) -> None:
    """OpenVINO's own way to each precision, as ``trtkit bench --backend openvino`` takes it: FP16/BF16 are its
    INFERENCE_PRECISION_HINT on the model (it lowers precision per kernel, where it has kernels), INT8 is trtkit's
    Q/DQ graph. Bench and accuracy run the same file at the same hint, so the accuracy is OpenVINO's own."""
    if point.layers:
        raise Skip("--layerPrecisions cannot reach OpenVINO: it takes one precision hint for the whole model")
    hint = _precision_options(point, settings) if point.precision in FLOAT16 else None
    graph = _written(_graph_for(point, settings, row), point, scratch) if point.precision == "int8" else None
    model = graph or Path(point.model)
    row.update(flavour=library(point.backend), device=cpu_name())
    told = bench_into(row, model, point.backend, _shapes(point), settings, precision=hint)
    said = f"OpenVINO INFERENCE_PRECISION_HINT={told.get('INFERENCE_PRECISION_HINT', '?')}"
    row["note"] = f"{row['note']}; {said}" if row["note"] else said
    accuracy_into(row, model, point.backend, Path(point.model), settings, precision=hint)


def _shapes(point: Point) -> dict[str, tuple[int, ...]]:
    from trtkit.builder.profiles import parse_shape_spec

    return parse_shape_spec(point.shapes, "--shapes") if point.shapes else {}


def _written(graph: Path | bytes, point: Point, scratch: Path) -> Path:
    if isinstance(graph, Path):
        return graph
    path = scratch / f"{Path(point.model).stem}.{point.precision}.onnx"
    path.write_bytes(graph)
    return path


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
