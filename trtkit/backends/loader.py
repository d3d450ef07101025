"""The one place that picks a backend for a model file (``--backend``), importing only the one it opens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trtkit.backends.base import Backend
from trtkit.platform.errors import UsageError

BACKEND_CHOICES = ("auto", "tensorrt", "onnxruntime", "reference")
ONNX_SUFFIXES = (".onnx",)
LABELS = {"onnxruntime": "ONNX Runtime", "reference": "the reference backend"}
PLAN_FLAGS = {"version_compatible": "--versionCompatible", "lean_dll_path": "--leanDLLPath"}  # TensorRT-only


def open_backend(path: str | Path, backend: str = "auto", *, gpu: int = 0, profile: int | None = None,
                 plugins: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()), **options: Any) -> Backend:
    """Open ``path`` with the named backend. auto: ONNX files run on ONNX Runtime, plans on TensorRT.
    reference: an ONNX file with every tensor stored in its declared type (FP16/BF16/INT8 judged faithfully).
    ``gpu`` (--device), ``profile`` (--useProfile), ``plugins`` ((--staticPlugins, --dynamicPlugins)) and
    :data:`PLAN_FLAGS` concern plans only."""
    path = Path(path)
    if backend not in BACKEND_CHOICES:
        raise UsageError(f"--backend {backend}: expected one of {', '.join(BACKEND_CHOICES)}")
    is_onnx = path.suffix.lower() in ONNX_SUFFIXES
    if backend == "auto":
        backend = "onnxruntime" if is_onnx else "tensorrt"
    if backend != "tensorrt":
        if not is_onnx:
            raise UsageError(f"{path}: --backend {backend} needs an .onnx model, not a TensorRT plan")
        plan_flags = [flag for key, flag in PLAN_FLAGS.items() if options.pop(key, None)]
        if plan_flags:
            raise UsageError(f"{plan_flags[0]} applies to TensorRT plans; {path} runs on {LABELS[backend]}")
        if gpu or profile is not None:
            from trtkit.platform import log

            flag = f"--device={gpu}" if gpu else f"--useProfile={profile}"
            log.warning(f"{flag} selects the GPU or profile of a TensorRT plan; it has no effect on {LABELS[backend]}")
        if backend == "reference":
            from trtkit.backends.reference import ReferenceBackend

            return ReferenceBackend(path, **options)
        from trtkit.backends.onnxruntime import OnnxRuntimeBackend

        return OnnxRuntimeBackend(path, **options)
    if is_onnx:
        raise UsageError(
            f"{path}: is an ONNX model; build a plan first (trtkit build --onnx {path} --saveEngine "
            f"{path.with_suffix('.plan').name}) or run it with --backend onnxruntime"
        )
    from trtkit.backends.tensorrt import TensorRTBackend

    return TensorRTBackend(path, device=gpu, profile=profile, static_plugins=plugins[0], dynamic_plugins=plugins[1],
                           **options)
