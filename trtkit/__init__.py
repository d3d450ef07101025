"""trtkit: trtexec in Python, on TensorRT 10.x, 11.x and TensorRT-RTX 1.x.

The Python API is the same code path as the commands: ``trtkit.build(BuildOptions(...))`` is
``trtkit build``; ``trtkit.open_backend(path)`` gives the runner ``trtkit infer`` uses.
Attributes load lazily so that importing trtkit costs nothing.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "build": "trtkit.builder.builder",
    "BuildOptions": "trtkit.builder.builder",
    "open_backend": "trtkit.backends.loader",
    "Runner": "trtkit.backends.tensorrt",
    "benchmark": "trtkit.bench.benchmark",
    "ModelOptions": "trtkit.bench.benchmark",
    "BenchOptions": "trtkit.bench.options",
    "InferOptions": "trtkit.tasks.infer",
    "run_infer": "trtkit.tasks.infer",
    "CompareOptions": "trtkit.tasks.compare",
    "run_compare": "trtkit.tasks.compare",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'trtkit' has no attribute {name!r}")
