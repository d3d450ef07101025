"""Loading a plan: the runtime that deserializes it (trtexec's --versionCompatible and --leanDLLPath at load
time), and one line saying why TensorRT refused a plan.

A version-compatible plan (``trtkit build --versionCompatible``) embeds a lean TensorRT runtime unless it
was built with --excludeLeanRuntime: deserializing it runs code from the plan file. As trtexec does, trtkit
allows that only when --versionCompatible is given where the plan is loaded
(``Runtime.engine_host_code_allowed``), never by default. A plan built with --excludeLeanRuntime needs the
lean runtime library named with --leanDLLPath (``Runtime.load_runtime``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtkit.platform.errors import TrtkitError
from trtkit.platform.files import read_bytes
from trtkit.platform.flavours import Flavour
from trtkit.platform.trt import load

if TYPE_CHECKING:
    import tensorrt as trt

REBUILD = "rebuild it on this machine with trtkit build"
NEED_GPU = (
    "run it on a machine with an NVIDIA GPU and a driver recent enough for this TensorRT, or run the ONNX model "
    "here instead (trtkit infer/bench MODEL.onnx runs it on ONNX Runtime)"
)
HOST_CODE_REFUSED = "getEngineHostCodeAllowed"  # TensorRT: "Cannot deserialize engine with lean runtime since
# IRuntime::getEngineHostCodeAllowed() is false." (the same words in TensorRT 10, 11 and TensorRT-RTX)
# Substrings of TensorRT's deserialization errors -> what they mean for the user, and what to do.
_PLAN_PROBLEMS = (
    ("magicTag", "is not a TensorRT plan, or was built by another TensorRT version or flavour", REBUILD),
    ("serialization version", "was built by another TensorRT version or flavour", REBUILD),
    ("blobSize", "is truncated or corrupt", REBUILD),
    ("minBufferSize", "is truncated or corrupt (too short to be a plan)", REBUILD),
    ("compute capability", "was built for another GPU", REBUILD),
    ("not compatible with this device", "was built for another GPU", REBUILD),
    ("cudaError 35", "cannot run here: the NVIDIA driver is missing or too old", NEED_GPU),
    ("cudaError 100", "cannot run here: no CUDA GPU is visible", NEED_GPU),
    (HOST_CODE_REFUSED, "embeds a lean TensorRT runtime (a --versionCompatible build), which runs code from the "
     "plan file, and trtkit runs such code only when asked", "if you trust the file, load it with --versionCompatible"),
    ("Serialization", "is truncated or corrupt", REBUILD),  # any other failed check of the plan's contents
)


@dataclass(frozen=True)
class PlanLoading:
    """How plans are loaded, one field per trtexec flag (load side)."""

    version_compatible: bool = False  # --versionCompatible: allow the lean runtime a plan embeds to run
    lean_dll_path: Path | None = None  # --leanDLLPath: the lean runtime for plans built with --excludeLeanRuntime

    def kwargs(self) -> dict[str, Any]:
        """The TensorRTBackend keywords that differ from the defaults (none: any backend takes them)."""
        return {k: v for k, v in vars(self).items() if v}


def plan_error(path: Path, flavour: Flavour, errors: Sequence[str]) -> TrtkitError:
    """One line for a plan TensorRT refused: the file, the cause TensorRT's first error names, what to do,
    and that error in its own words. Only the first: once deserialization failed, TensorRT's clean-up logs
    follow-on errors (a missing CUDA driver on a machine without a GPU) that say nothing about the plan."""
    said = errors[0] if errors else "no error was logged"
    causes = ((meaning, todo) for key, meaning, todo in _PLAN_PROBLEMS if key in said)
    meaning, todo = next(causes, ("cannot be deserialized", REBUILD))
    return TrtkitError(f"{path}: this plan {meaning}; {todo} ({flavour}: {said})")


def make_runtime(flavour: Flavour, logger: trt.ILogger, errors: list[str], *, version_compatible: bool = False,
                 lean_dll_path: str | Path | None = None) -> tuple[trt.Runtime, trt.Runtime | None]:
    """(runtime, parent): trtexec's load-time runtime. With ``lean_dll_path`` the plan is deserialized by
    the lean runtime loaded from that library (the parent must outlive it); host code is allowed only with
    ``version_compatible``."""
    trt = flavour.module
    runtime: trt.Runtime = trt.Runtime(logger)
    parent: trt.Runtime | None = None
    if lean_dll_path is not None:
        if not Path(lean_dll_path).is_file():
            raise TrtkitError(f"--leanDLLPath={lean_dll_path}: no such file (the lean runtime library, "
                              "libnvinfer_lean.so or nvinfer_lean.dll of the TensorRT that built the plan)")
        loaded: trt.Runtime | None = runtime.load_runtime(str(lean_dll_path))
        if loaded is None:
            said = errors[-1] if errors else "no error was logged"
            raise TrtkitError(f"--leanDLLPath={lean_dll_path}: TensorRT could not load it as a lean runtime: {said}")
        parent, runtime = runtime, loaded
    runtime.engine_host_code_allowed = version_compatible
    return runtime, parent


def lean_runtime_embedded(path: str | Path, flavor: str | None = None) -> bool | None:
    """Whether the plan at ``path`` embeds a lean runtime, as far as the API tells without running it:
    True when TensorRT refuses it for host code alone (the plan's code never runs: host code stays
    disallowed), False when it deserializes without host code, None when this machine cannot tell
    (TensorRT could not deserialize it for another reason: no GPU, another version...)."""
    flavour = load(flavor)
    errors: list[str] = []
    runtime, _parent = make_runtime(flavour, flavour.make_logger(-2, errors), errors)
    engine: trt.ICudaEngine | None = runtime.deserialize_cuda_engine(read_bytes(Path(path), "TensorRT plan"))
    if engine is not None:
        return False
    return True if any(HOST_CODE_REFUSED in e for e in errors) else None
