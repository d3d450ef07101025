"""The OpenVINO backend: ONNX models, OpenVINO IR (.xml + .bin) and compiled blobs (.blob) on the CPU.

Precision is always explicit: INFERENCE_PRECISION_HINT is f32 unless --fp16/--bf16 ask otherwise, because
OpenVINO's CPU plugin otherwise picks BF16 by itself on CPUs with AVX-512 BF16 or AMX. --int8 reaches this
backend as trtkit's own calibrated Q/DQ graph, which OpenVINO executes in INT8 natively.

A compiled blob (``export_model``) holds the transformed model but not the compile options: the CPU plugin
compiles it again on import with the options given there, so a blob loads with the same precision, hint,
streams and threads flags as the model it came from. Each file type goes to its own frontend (ONNX, IR), so a
broken file is never offered to the TensorFlow frontend, which writes parse errors to stderr. OpenVINO's
multi-line C++ exception chains are cut to their message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trtkit.backends.base import Backend
from trtkit.backends.options import FLOAT_HINTS, RuntimeOptions
from trtkit.data.feeds import apply_shapes, check_feeds
from trtkit.data.tensors import TensorInfo
from trtkit.platform import log
from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.platform.files import check_readable, read_bytes, write_atomic

if TYPE_CHECKING:
    import openvino

FRONTENDS = {".onnx": "onnx", ".xml": "ir"}
BLOB_SUFFIXES = (".blob",)
SUFFIXES = (*FRONTENDS, *BLOB_SUFFIXES)
DEVICE = "CPU"
# Lines of OpenVINO's exception chains that locate the throw in its C++ sources rather than say what failed.
_NOISE = re.compile(r"^(Exception from \S+:\d+:|Check '.*' failed at \S+:\d+:|FrontEnd API failed with \w+:)$")
# Compiled-model properties printed in the bench report, in this order.
REPORTED = ("PERFORMANCE_HINT", "INFERENCE_PRECISION_HINT", "NUM_STREAMS", "INFERENCE_NUM_THREADS",
            "OPTIMAL_NUMBER_OF_INFER_REQUESTS", "PERF_COUNT")


def ov_message(error: BaseException) -> str:
    """``Exception from src/...:84:\\nCheck '...' failed at ...:\\nParameterMismatch: ...`` -> the message."""
    lines = [line.strip() for line in str(error).splitlines()]
    kept = [line for line in lines if line and not _NOISE.match(line)]
    return " ".join(kept) or " ".join(str(error).split())


def numpy_dtype(element_type: openvino.Type) -> np.dtype:
    """numpy's type for an OpenVINO element type (``Type.to_dtype`` maps bf16 to float16; ml_dtypes has it)."""
    import openvino as ov

    if element_type == ov.Type.bf16:
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(element_type.to_dtype())


def _info(port: Any) -> TensorInfo:
    shape = tuple(d.get_length() if d.is_static else -1 for d in port.get_partial_shape())
    return TensorInfo(port.get_any_name(), shape, numpy_dtype(port.get_element_type()))


def _text(value: object) -> str:
    """A property value as OpenVINO spells it in its own configs (``f32``, not ``<Type: 'float32'>``)."""
    to_string = getattr(value, "to_string", None)
    return to_string() if callable(to_string) else str(value)


def compile_config(runtime: RuntimeOptions) -> dict[str, object]:
    """The compile options for ``runtime``: the latency hint for one stream, the throughput hint with N streams
    otherwise (benchmark_app's -hint/-nstreams), the precision hint always."""
    if runtime.inference_precision not in FLOAT_HINTS:
        raise UsageError(f"inference precision {runtime.inference_precision!r}: expected one of {FLOAT_HINTS}")
    if runtime.streams < 1 or runtime.threads < 0:
        raise UsageError("--infStreams must be at least 1 and --cpuThreads at least 0")
    config: dict[str, object] = {
        "PERFORMANCE_HINT": "LATENCY" if runtime.streams == 1 else "THROUGHPUT",
        "INFERENCE_PRECISION_HINT": runtime.inference_precision,
        "PERF_COUNT": runtime.profile,
    }
    if runtime.streams > 1:
        config["NUM_STREAMS"] = runtime.streams
    if runtime.threads:
        config["INFERENCE_NUM_THREADS"] = runtime.threads
    return config


class OpenVINOBackend(Backend):
    """An ``openvino.CompiledModel`` on the CPU behind trtkit's Backend interface; ``flavor`` and ``verbosity``
    are accepted so callers pass one set of options to whichever backend ``open_backend`` picks."""

    name = "openvino"

    def __init__(self, path: str | Path, *, runtime: RuntimeOptions | None = None, verbosity: int = 0,
                 flavor: str | None = None) -> None:
        import openvino as ov

        self.path = Path(path)
        self.runtime = runtime or RuntimeOptions()
        suffix = self.path.suffix.lower()
        if suffix not in SUFFIXES:
            raise UsageError(f"{self.path}: OpenVINO runs ONNX models (.onnx), OpenVINO IR (.xml with its .bin) "
                             f"and compiled blobs (.blob), not {suffix or 'a file without a suffix'}")
        check_readable(self.path, "model")
        config = compile_config(self.runtime)
        core = ov.Core()
        if suffix in BLOB_SUFFIXES:
            if self.runtime.shapes:
                raise UsageError(f"--shapes: {self.path} is compiled with fixed shapes; give them when compiling")
            blob = read_bytes(self.path, "OpenVINO compiled blob")
            compiled = self._guard("cannot import the compiled blob", lambda: core.import_model(blob, DEVICE, config))
        else:
            model = self._guard("cannot read the model", lambda: self._read(ov, FRONTENDS[suffix]))
            if self.runtime.shapes:
                self._reshape(model)
            compiled = self._guard("cannot compile the model", lambda: core.compile_model(model, DEVICE, config))
        self._compiled: openvino.CompiledModel | None = compiled
        self.inputs = tuple(_info(p) for p in compiled.inputs)
        self.outputs = tuple(_info(p) for p in compiled.outputs)
        self._request = compiled.create_infer_request()
        self.settings = {key: _text(compiled.get_property(key)) for key in REPORTED}
        self.settings["device"] = str(core.get_property(DEVICE, "FULL_DEVICE_NAME"))
        streams = int(compiled.get_property("NUM_STREAMS"))
        if self.runtime.streams > 1 and streams < self.runtime.streams:
            log.warning(f"OpenVINO compiled {streams} stream(s) for --infStreams={self.runtime.streams} (too few "
                        "threads for more); the requests share them")

    def _guard(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as e:  # OpenVINO raises RuntimeError and frontend-specific subclasses of Exception
            raise TrtkitError(f"{self.path}: OpenVINO {what}: {ov_message(e)}") from None

    def _read(self, ov: Any, framework: str) -> openvino.Model:
        frontend = ov.frontend.FrontEndManager().load_by_framework(framework)
        return frontend.convert(frontend.load(str(self.path)))

    def _reshape(self, model: openvino.Model) -> None:
        """--shapes: fix the named inputs' dynamic dimensions before compiling (static shapes compile faster
        code); inputs it leaves out keep theirs."""
        declared = tuple(_info(p) for p in model.inputs)
        resolved = apply_shapes(declared, self.runtime.shapes)
        shapes = {name: list(resolved[name].shape) for name in self.runtime.shapes}
        self._guard("cannot reshape the model to --shapes", lambda: model.reshape(shapes))

    @property
    def compiled(self) -> openvino.CompiledModel:
        if self._compiled is None:
            raise TrtkitError(f"{self.path}: the OpenVINO backend is closed")
        return self._compiled

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        check_feeds(self.inputs, feeds)
        self.compiled  # noqa: B018 - raises when closed
        results = self._guard("failed to run", lambda: self._request.infer(dict(feeds)))
        return {info.name: np.array(results[port]) for info, port in zip(self.outputs, self.compiled.outputs,
                                                                          strict=True)}

    def request(self, feeds: Mapping[str, np.ndarray]) -> openvino.InferRequest:
        """A new request with ``feeds`` bound once (shared, not copied), as benchmark_app's inference-only mode
        binds its inputs: ``request.infer()`` then runs the model and nothing else."""
        check_feeds(self.inputs, feeds)
        request = self.compiled.create_infer_request()
        self._bind(request, feeds)
        return request

    def queue(self, feeds: Mapping[str, np.ndarray], size: int) -> openvino.AsyncInferQueue:
        """An AsyncInferQueue of ``size`` requests, each with ``feeds`` bound."""
        import openvino as ov

        check_feeds(self.inputs, feeds)
        queue = ov.AsyncInferQueue(self.compiled, size)
        for request in queue:
            self._bind(request, feeds)
        return queue

    def _bind(self, request: openvino.InferRequest, feeds: Mapping[str, np.ndarray]) -> None:
        import openvino as ov

        for info in self.inputs:
            array = np.ascontiguousarray(feeds[info.name])
            request.set_tensor(info.name, ov.Tensor(array, shared_memory=True))

    def bind(self, feeds: Mapping[str, np.ndarray]) -> Callable[[], object]:
        return self.request(feeds).infer

    @staticmethod
    def layer_times(request: openvino.InferRequest) -> list[tuple[str, float]]:
        """The last inference's executed layers and their times (ms), in execution order (needs PERF_COUNT)."""
        return [(f"{p.node_name} ({p.exec_type})", p.real_time.total_seconds() * 1000.0)
                for p in request.profiling_info if p.status == p.Status.EXECUTED]

    def layer_info(self) -> dict[str, object]:
        """The runtime model (after OpenVINO's fusions) in trtexec's --exportLayerInfo layout: one entry per
        executed node with its type, kernel, precisions and the original layers it fused."""
        model = self.compiled.get_runtime_model()
        layers = []
        for op in model.get_ordered_ops():
            info = {key: value.astype(str) for key, value in op.get_rt_info().items()}
            layers.append({
                "Name": op.get_friendly_name(),
                "LayerType": info.get("layerType", op.get_type_name()),
                "Kernel": info.get("primitiveType", ""),
                "RuntimePrecision": info.get("runtimePrecision", ""),
                "OutputPrecisions": info.get("outputPrecisions", ""),
                "OriginalLayers": [n for n in info.get("originalLayersNames", "").split(",") if n],
                "ExecOrder": int(info.get("execOrder", -1)),
            })
        bindings = [i.name for i in self.inputs] + [o.name for o in self.outputs]
        return {"Layers": layers, "Bindings": bindings, "Source": "OpenVINO runtime model", **self.settings}

    def export(self, path: Path) -> Path:
        """--saveEngine: the compiled model as a blob (``export_model``), written atomically."""
        blob = self._guard("cannot export the compiled model", lambda: self.compiled.export_model())
        return write_atomic(path, blob.getvalue() if hasattr(blob, "getvalue") else blob)  # BytesIO; bytes before 2024

    def close(self) -> None:
        self._request = None
        self._compiled = None
