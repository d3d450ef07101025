"""The backend interface and the one place that picks a backend for a model file."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trtkit.errors import UsageError

if TYPE_CHECKING:
    from trtkit.bench.options import BenchOptions
    from trtkit.bench.trace import BenchRun

BACKEND_CHOICES = ("auto", "tensorrt", "onnxruntime")
ONNX_SUFFIXES = (".onnx",)


@dataclass(frozen=True)
class TensorInfo:
    """One model input or output as the backend sees it. ``-1`` in ``shape`` marks a dynamic dimension."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def is_dynamic(self) -> bool:
        return any(d < 0 for d in self.shape)


class Backend(abc.ABC):
    """Runs named arrays through a model. Backends own their memory and streams; ``close`` frees them."""

    name: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]

    @abc.abstractmethod
    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run once; ``feeds`` holds every input by name. Returns every output by name (host arrays the
        caller may keep)."""

    def bind(self, feeds: Mapping[str, np.ndarray]) -> Callable[[], object]:
        """A zero-argument callable that runs once on ``feeds`` with all per-call setup done up front:
        what host timing loops call, so that they measure the model and not trtkit."""
        return lambda: self.run(feeds)

    def bench(self, feeds: Mapping[str, np.ndarray], options: BenchOptions) -> BenchRun:
        """trtexec's measurement loop. The default times ``bind(feeds)`` on the host; backends with device
        phases (TensorRT: H2D, compute, D2H on CUDA events) override it."""
        from trtkit.bench.host_loop import measure

        return measure(self, feeds, options)

    def close(self) -> None:  # noqa: B027 - backends without resources need not override
        """Free device memory, streams and sessions deterministically."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_backend(path: str | Path, backend: str = "auto", **options: Any) -> Backend:
    """Open ``path`` with the named backend. auto: ONNX files run on ONNX Runtime, plans on TensorRT."""
    path = Path(path)
    if backend not in BACKEND_CHOICES:
        raise UsageError(f"--backend {backend}: expected one of {', '.join(BACKEND_CHOICES)}")
    is_onnx = path.suffix.lower() in ONNX_SUFFIXES
    if backend == "auto":
        backend = "onnxruntime" if is_onnx else "tensorrt"
    if backend == "onnxruntime":
        if not is_onnx:
            raise UsageError(f"{path}: --backend onnxruntime needs an .onnx model, not a TensorRT plan")
        from trtkit.backends.onnxruntime import OnnxRuntimeBackend

        return OnnxRuntimeBackend(path, **options)
    if is_onnx:
        raise UsageError(
            f"{path}: is an ONNX model; build a plan first (trtkit build --onnx {path} --saveEngine "
            f"{path.with_suffix('.plan').name}) or run it with --backend onnxruntime"
        )
    from trtkit.backends.tensorrt import TensorRTBackend

    return TensorRTBackend(path, **options)
