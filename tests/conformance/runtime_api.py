"""The runtime classes the GPU stand-in (tests/standin.py) imitates, cut from a version's surface.

The bindings call the inspector class ``EngineInspector`` (C++: IEngineInspector).
"""

from __future__ import annotations

import json
from typing import Any

RUNTIME_CLASSES = (
    "DataType",
    "Dims",
    "EngineInspector",
    "ICudaEngine",
    "IExecutionContext",
    "IHostMemory",
    "IOutputAllocator",
    "IProfiler",
    "Runtime",
    "TensorFormat",
    "TensorIOMode",
    "TensorLocation",
)
RUNTIME_API_FILES = {
    "tensorrt10": "tests/data/tensorrt10_runtime_api.json",
    "tensorrt11": "tests/data/tensorrt11_runtime_api.json",
}


def runtime_api(surface: dict[str, Any]) -> dict[str, Any]:
    """The runtime classes of ``surface`` with the package and version they come from."""
    classes = {name: surface["classes"][name] for name in RUNTIME_CLASSES}
    return {"package": surface["package"], "version": surface["version"], "classes": classes}


def dumps(api: dict[str, Any]) -> str:
    """Stable, diff-friendly JSON: sorted keys, one member per line."""
    return json.dumps(api, sort_keys=True, indent=1) + "\n"
