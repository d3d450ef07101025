"""What trtkit's precision flags mean on a CPU backend (ONNX Runtime, OpenVINO), decided before it opens.

--fp16/--bf16 become OpenVINO's INFERENCE_PRECISION_HINT (no graph conversion: OpenVINO lowers precision per
kernel, as TensorRT's weak typing does). --int8 is trtkit's own calibrated Q/DQ graph, the one
:mod:`trtkit.precision.calibration` makes for TensorRT, written to a temporary file: one calibration and one
calibration cache serve TensorRT, ONNX Runtime and OpenVINO, and all three run the same quantized graph.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from trtkit.backends.base import Backend
from trtkit.backends.loader import open_backend, resolve_backend
from trtkit.backends.options import RuntimeOptions
from trtkit.platform import log
from trtkit.platform.errors import UsageError
from trtkit.precision.options import PrecisionOptions, check

if TYPE_CHECKING:
    from trtkit.platform.trt import Flavour


@dataclass(frozen=True)
class _CpuCalibration:
    """What quantization needs of a TensorRT flavour: the version written into a new calibration table's
    header. A table calibrated for a CPU backend says version 0; trtkit's explicit (Q/DQ) INT8 reads any."""

    version: str = "0"


def float_hint(precision: PrecisionOptions) -> str:
    """--fp16/--bf16 as OpenVINO's INFERENCE_PRECISION_HINT (``f32`` without either)."""
    if precision.best:
        raise UsageError("--best picks TensorRT's fastest kernels per layer; on a CPU backend name the precision "
                         "(--bf16, --fp16, --int8 --calib DATA)")
    if precision.fp16 and precision.bf16:
        raise UsageError("--fp16 --bf16: a CPU backend runs one reduced float type; pick one")
    return "bf16" if precision.bf16 else "f16" if precision.fp16 else "f32"


@contextmanager
def cpu_model(path: Path, precision: PrecisionOptions) -> Iterator[Path]:
    """The file the CPU backend opens: ``path`` itself, or with --int8 trtkit's Q/DQ graph of it (calibrated
    from --calib, or from an existing --calibCache) for as long as the context lasts."""
    float_hint(precision)
    if not precision.int8:
        yield path
        return
    check(precision)
    if path.suffix.lower() != ".onnx":
        raise UsageError(f"--int8: trtkit quantizes ONNX models; {path} is not one (give the .onnx it came from)")
    from trtkit.precision.calibration import quantize

    graph, how = quantize(path, precision, cast("Flavour", _CpuCalibration()))
    log.info(f"INT8: trtkit's explicit Q/DQ graph ({how})")
    with tempfile.TemporaryDirectory(prefix="trtkit-int8-") as scratch:
        quantized = Path(scratch) / f"{path.stem}.int8.onnx"
        quantized.write_bytes(graph)
        yield quantized


@contextmanager
def open_model(path: Path, backend: str = "auto", *, precision: PrecisionOptions | None = None, threads: int = 0,
               shapes: dict[str, tuple[int, ...]] | None = None, streams: int = 1, perf_counts: bool = False,
               **options: Any) -> Iterator[Backend]:
    """``open_backend`` with the precision flags and CPU settings applied: what infer, eval, compare and bench
    open. A TensorRT plan takes neither (its precision was fixed when it was built)."""
    precision = precision or PrecisionOptions()
    kind = resolve_backend(Path(path), backend)
    if kind == "tensorrt":
        if threads or any((precision.fp16, precision.bf16, precision.int8, precision.best)):
            raise UsageError(f"{path}: runs on TensorRT, whose plan fixed its precision when it was built; "
                             "--cpuThreads and precision flags apply to ONNX models on onnxruntime or openvino")
        with open_backend(path, kind, **options) as backend:
            yield backend
        return
    runtime = RuntimeOptions(threads=threads, inference_precision=float_hint(precision), streams=streams,
                             shapes=dict(shapes or {}) if kind == "openvino" else {}, profile=perf_counts)
    with cpu_model(Path(path), precision) as runnable, open_backend(runnable, kind, runtime=runtime,
                                                                    **options) as backend:
        yield backend
