"""The ONNX Runtime backend: runs an .onnx model on any machine (CPU by default, CUDA when asked).

It is trtkit's embedded default and the numerical reference of ``trtkit compare``. ONNX Runtime's own
errors ("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : ...") are turned into one line naming the model or
the input.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trtkit.backends.base import Backend
from trtkit.data.feeds import check_feeds
from trtkit.data.models import check_onnx_model
from trtkit.data.tensors import TensorInfo
from trtkit.platform.errors import TrtkitError, UsageError

if TYPE_CHECKING:
    import onnxruntime

PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}
# ONNX type strings (NodeArg.type) -> numpy; bfloat16 and float8 through ml_dtypes.
_DTYPES = {
    "tensor(float)": "float32",
    "tensor(float16)": "float16",
    "tensor(double)": "float64",
    "tensor(int8)": "int8",
    "tensor(int16)": "int16",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(uint8)": "uint8",
    "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32",
    "tensor(uint64)": "uint64",
    "tensor(bool)": "bool",
    "tensor(string)": "object",
}
# "/onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:360 void* onnxruntime::BFCArena::Alloc...(size_t, bool) "
_SOURCE_LOCATION = re.compile(r"/\S*onnxruntime_src/\S+:\d+ [^(]*\(.*?\) ")
_ML_DTYPES = {"tensor(bfloat16)": "bfloat16", "tensor(float8e4m3fn)": "float8_e4m3fn"}
# --verbose/--quiet -> ORT's log severity (0 verbose, 1 info, 2 warning, 3 error, 4 fatal). Its errors
# (multi-line, coloured) repeat what the exception says, which trtkit turns into one line: shown with --verbose.
SEVERITY = {-2: 4, -1: 4, 0: 4, 1: 2, 2: 1}


def numpy_dtype(onnx_type: str, where: str) -> np.dtype:
    """numpy's spelling of an ONNX Runtime type string such as ``tensor(float)``."""
    if onnx_type in _DTYPES:
        return np.dtype(_DTYPES[onnx_type])
    if onnx_type in _ML_DTYPES:
        import ml_dtypes

        return np.dtype(getattr(ml_dtypes, _ML_DTYPES[onnx_type]))
    raise TrtkitError(f"{where} has type {onnx_type}; trtkit runs models whose inputs and outputs are tensors")


def ort_message(error: Exception) -> str:
    """``[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model ... failed`` -> its last part, one line, without
    the C++ source location and function signature ONNX Runtime puts before its words."""
    text = " ".join(str(error).split())
    text = text.rsplit(" : ", 1)[-1] if text.startswith("[ONNXRuntimeError]") else text
    return _SOURCE_LOCATION.sub("", text)


def _hint(error: Exception, feeds: Mapping[str, np.ndarray]) -> str:
    """What to change when ONNX Runtime ran out of memory: the batch the feeds asked for."""
    if "allocat" not in str(error).lower():
        return ""
    shapes = ", ".join(f"{name} {'x'.join(map(str, np.shape(a)))}" for name, a in feeds.items())
    return f" (inputs {shapes}; lower the batch in --shapes)"


class OnnxRuntimeBackend(Backend):
    """An ``onnxruntime.InferenceSession`` behind trtkit's Backend interface.

    ``flavor`` is accepted so that callers pass one set of options to whichever backend ``open_backend``
    picks; ONNX Runtime needs no TensorRT and ignores it. ``intra_op_threads`` 0 lets ONNX Runtime choose.
    """

    name = "onnxruntime"

    def __init__(
        self,
        path: str | Path,
        *,
        device: str = "cpu",
        intra_op_threads: int = 0,
        verbosity: int = 0,
        flavor: str | None = None,
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        check_onnx_model(self.path)  # readable, an opset onnx knows, external data present
        if device not in PROVIDERS:
            raise UsageError(f"--device {device}: expected one of {', '.join(PROVIDERS)}")
        available = ort.get_available_providers()
        if PROVIDERS[device] not in available:
            raise TrtkitError(
                f"ONNX Runtime here has no {PROVIDERS[device]} (available: {', '.join(available)}); "
                "install onnxruntime-gpu for CUDA or use the CPU"
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.log_severity_level = SEVERITY[max(-2, min(2, verbosity))]
        ort.set_default_logger_severity(options.log_severity_level)  # model loading logs through this one
        try:
            self._session: onnxruntime.InferenceSession | None = ort.InferenceSession(
                str(self.path), options, providers=[PROVIDERS[device]]
            )
        except Exception as e:  # ONNX Runtime's exceptions derive from Exception only
            raise TrtkitError(f"{self.path}: ONNX Runtime cannot load the model: {ort_message(e)}") from None
        self.device = device
        threads = str(intra_op_threads) if intra_op_threads else "0 (ONNX Runtime's default: one per physical core)"
        self.settings = {
            "provider": PROVIDERS[device],
            "intra_op_num_threads": threads,
            "inter_op_num_threads": str(options.inter_op_num_threads),
            "execution_mode": options.execution_mode.name,
            "graph_optimization_level": options.graph_optimization_level.name,
        }
        self.inputs = tuple(self._info(arg, "input") for arg in self._session.get_inputs())
        self.outputs = tuple(self._info(arg, "output") for arg in self._session.get_outputs())
        self._output_names = [o.name for o in self.outputs]

    def _info(self, arg: Any, kind: str) -> TensorInfo:
        """Symbolic (``batch``) and unknown (None) dimensions become -1."""
        shape = tuple(d if isinstance(d, int) and d >= 0 else -1 for d in arg.shape)
        return TensorInfo(arg.name, shape, numpy_dtype(arg.type, f"{self.path}: {kind} {arg.name!r}"))

    @property
    def session(self) -> onnxruntime.InferenceSession:
        if self._session is None:
            raise TrtkitError(f"{self.path}: the ONNX Runtime backend is closed")
        return self._session

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        check_feeds(self.inputs, feeds)
        try:
            results = self.session.run(self._output_names, dict(feeds))
        except Exception as e:
            raise TrtkitError(f"{self.path}: ONNX Runtime failed to run: {ort_message(e)}{_hint(e, feeds)}") from None
        return dict(zip(self._output_names, results, strict=True))

    def bind(self, feeds: Mapping[str, np.ndarray]) -> Callable[[], object]:
        """``session.run`` with the output names and feed dict built once: the same call a bare ORT loop
        makes, with less per-call work (measured on CPU, IO binding and ``run_with_ort_values`` were
        slower for small models). One checked run first, so that feeds the model cannot run (an allocation
        failure for a huge batch) fail here in one line instead of inside a timing loop."""
        self.run(feeds)
        return functools.partial(self.session.run, self._output_names, dict(feeds))

    def close(self) -> None:
        self._session = None
