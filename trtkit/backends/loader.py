"""The one place that picks a backend for a model file (``--backend``), importing only the one it opens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trtkit.backends.base import Backend
from trtkit.platform.errors import UsageError

BACKEND_CHOICES = ("auto", "tensorrt", "onnxruntime", "reference")
ONNX_SUFFIXES = (".onnx",)


def open_backend(path: str | Path, backend: str = "auto", **options: Any) -> Backend:
    """Open ``path`` with the named backend. auto: ONNX files run on ONNX Runtime, plans on TensorRT.
    reference: an ONNX file with every tensor stored in its declared type (FP16/BF16/INT8 judged faithfully)."""
    path = Path(path)
    if backend not in BACKEND_CHOICES:
        raise UsageError(f"--backend {backend}: expected one of {', '.join(BACKEND_CHOICES)}")
    is_onnx = path.suffix.lower() in ONNX_SUFFIXES
    if backend == "auto":
        backend = "onnxruntime" if is_onnx else "tensorrt"
    if backend in ("onnxruntime", "reference") and not is_onnx:
        raise UsageError(f"{path}: --backend {backend} needs an .onnx model, not a TensorRT plan")
    if backend == "onnxruntime":
        from trtkit.backends.onnxruntime import OnnxRuntimeBackend

        return OnnxRuntimeBackend(path, **options)
    if backend == "reference":
        from trtkit.backends.reference import ReferenceBackend

        return ReferenceBackend(path, **options)
    if is_onnx:
        raise UsageError(
            f"{path}: is an ONNX model; build a plan first (trtkit build --onnx {path} --saveEngine "
            f"{path.with_suffix('.plan').name}) or run it with --backend onnxruntime"
        )
    from trtkit.backends.tensorrt import TensorRTBackend

    return TensorRTBackend(path, **options)
