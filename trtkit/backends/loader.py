"""The one place that picks a backend for a model file (``--backend``), importing only the one it opens."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from trtkit.backends.base import Backend
from trtkit.backends.options import RuntimeOptions
from trtkit.platform.errors import UsageError

BACKEND_CHOICES = ("auto", "tensorrt", "onnxruntime", "openvino", "reference")
ONNX_SUFFIXES = (".onnx",)
# Files only OpenVINO reads: its IR and its compiled blobs. auto sends them there.
OPENVINO_SUFFIXES = (".xml", ".blob")
LABELS = {"onnxruntime": "ONNX Runtime", "openvino": "OpenVINO", "reference": "the reference backend"}
PLAN_FLAGS = {"version_compatible": "--versionCompatible", "lean_dll_path": "--leanDLLPath"}  # TensorRT-only


def resolve_backend(path: Path, backend: str = "auto") -> str:
    """The backend ``backend`` means for ``path``. auto keeps ONNX on ONNX Runtime (trtkit's numerical reference,
    and what existing scripts and outputs rely on), sends OpenVINO IR and blobs to OpenVINO, and everything else
    to TensorRT; an ONNX model goes to OpenVINO only where ONNX Runtime is not installed and OpenVINO is."""
    if backend not in BACKEND_CHOICES:
        raise UsageError(f"--backend {backend}: expected one of {', '.join(BACKEND_CHOICES)}")
    if backend != "auto":
        return backend
    suffix = path.suffix.lower()
    if suffix in OPENVINO_SUFFIXES:
        return "openvino"
    if suffix in ONNX_SUFFIXES:
        missing = importlib.util.find_spec("onnxruntime") is None
        return "openvino" if missing and importlib.util.find_spec("openvino") is not None else "onnxruntime"
    return "tensorrt"


def open_backend(path: str | Path, backend: str = "auto", *, gpu: int = 0, profile: int | None = None,
                 plugins: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()), runtime: RuntimeOptions | None = None,
                 **options: Any) -> Backend:
    """Open ``path`` with the named backend (see :func:`resolve_backend` for auto). reference: an ONNX file with
    every tensor stored in its declared type (FP16/BF16/INT8 judged faithfully). ``runtime`` carries the CPU
    backends' settings (threads, precision hint, streams, shapes); ``gpu`` (--device), ``profile``
    (--useProfile), ``plugins`` ((--staticPlugins, --dynamicPlugins)) and :data:`PLAN_FLAGS` concern plans."""
    path = Path(path)
    backend = resolve_backend(path, backend)
    is_onnx = path.suffix.lower() in ONNX_SUFFIXES
    runtime = runtime or RuntimeOptions()
    if backend == "tensorrt":
        if is_onnx:
            raise UsageError(
                f"{path}: is an ONNX model; build a plan first (trtkit build --onnx {path} --saveEngine "
                f"{path.with_suffix('.plan').name}) or run it with --backend onnxruntime or openvino"
            )
        if not runtime.is_default():
            raise UsageError(f"{path}: --cpuThreads/--fp16/--bf16 set how a CPU backend runs an ONNX model; a "
                             "TensorRT plan's precision was fixed when it was built")
        from trtkit.backends.tensorrt import TensorRTBackend

        return TensorRTBackend(path, device=gpu, profile=profile, static_plugins=plugins[0],
                               dynamic_plugins=plugins[1], **options)
    plan_flags = [flag for key, flag in PLAN_FLAGS.items() if options.pop(key, None)]
    if plan_flags:
        raise UsageError(f"{plan_flags[0]} applies to TensorRT plans; {path} runs on {LABELS[backend]}")
    if gpu or profile is not None:
        from trtkit.platform import log

        flag = f"--device={gpu}" if gpu else f"--useProfile={profile}"
        log.warning(f"{flag} selects the GPU or profile of a TensorRT plan; it has no effect on {LABELS[backend]}")
    if backend == "openvino":
        from trtkit.backends.openvino import OpenVINOBackend

        return OpenVINOBackend(path, runtime=runtime, **options)
    if not is_onnx:
        raise UsageError(f"{path}: --backend {backend} needs an .onnx model, not a TensorRT plan")
    if runtime.inference_precision != "f32":
        flag = {"f16": "--fp16", "bf16": "--bf16"}[runtime.inference_precision]
        raise UsageError(f"{flag}: ONNX Runtime's CPU provider has no FP16/BF16 kernels (it would run FP32); "
                         "use --backend openvino")
    if backend == "reference":
        from trtkit.backends.reference import ReferenceBackend

        return ReferenceBackend(path, **options)
    from trtkit.backends.onnxruntime import OnnxRuntimeBackend

    return OnnxRuntimeBackend(path, intra_op_threads=runtime.threads, **options)
