"""What differs between TensorRT 10.x, 11.x and TensorRT-RTX 1.x: one :class:`Flavour` subclass each.

Modules get a flavour from :func:`trtkit.platform.trt.load` (the one import point) and use ``flavour.module``
(always bound to the name ``trt``) for the API that all three share, and the flavour's methods for what they
do not. The conformance tests check the code in each Flavour subclass only against the bindings of the
versions that subclass claims.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.platform.trtexec import TRTEXEC10, TRTEXEC11, InferenceDefaults

if TYPE_CHECKING:
    import numpy as np
    import tensorrt as trt

# trtexec's type names (--layerPrecisions, --layerOutputTypes) -> the trt.DataType member each one means.
DATA_TYPES = {"fp32": "FLOAT", "fp16": "HALF", "bf16": "BF16", "int8": "INT8", "fp8": "FP8", "int32": "INT32",
              "int64": "INT64", "bool": "BOOL", "uint8": "UINT8", "int4": "INT4"}
PRECISION_CONSTRAINT_FLAGS = {"prefer": "PREFER_PRECISION_CONSTRAINTS", "obey": "OBEY_PRECISION_CONSTRAINTS"}


class OutputHandler(Protocol):
    """What an output allocator forwards TensorRT's calls to (trtkit.backends.allocator.OutputBuffers)."""

    def reallocate(self, name: str, memory: int, size: int, alignment: int, stream: int | None) -> int: ...

    def notify_shape(self, name: str, shape: tuple[int, ...]) -> None: ...


class Flavour:
    """A loaded TensorRT flavour: the module, its version, and the answers to what differs."""

    key: ClassVar[str]
    package: ClassVar[str] = "tensorrt"
    label: ClassVar[str] = "TensorRT"
    weak_typing: ClassVar[bool] = False
    """True where builder precision flags (FP16/BF16/INT8) exist; False where networks are always strongly
    typed and reduced precision must be written into the ONNX graph before parsing."""
    has_timing_cache: ClassVar[bool] = True
    """False where timing-cache calls are no-ops (TensorRT-RTX since 1.2: it tunes kernels at run time)."""
    inference: ClassVar[InferenceDefaults] = TRTEXEC10
    """The bench defaults of the trtexec that ships with this flavour."""
    plan_tag: ClassVar[bytes] = b"ftrt"
    """The first four bytes of the plans this flavour writes (trtexec's kPLAN_FILE_TAG 0x74727466 for TensorRT;
    TensorRT-RTX's plans start "vtrt", read back from a plan its builder made)."""
    plan_major: ClassVar[int] = 0
    """The major version byte (offset 24) of the plans this flavour writes."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.version: str = module.__version__

    def __str__(self) -> str:
        return f"{self.label} {self.version}"

    def network_flags(self, strongly_typed: bool) -> int:
        """Flags for ``Builder.create_network``: strongly typed flavours take none."""
        return 0

    def strongly_typed(self, network: trt.INetworkDefinition) -> bool:
        """Whether the parsed network's tensor types are its precision (else builder flags choose per layer)."""
        return True

    def hardware_compatibility_level(self, config: trt.IBuilderConfig) -> str | None:
        """The level the config holds; None where the flavour has none."""
        return config.hardware_compatibility_level.name

    def set_precision_flags(self, config: trt.IBuilderConfig, precisions: Iterable[str]) -> None:
        """Weak-typing precision flags; strongly typed flavours get their precision from the graph."""
        if precisions:
            raise UsageError(
                f"{self} has no precision builder flags; trtkit converts the ONNX graph instead "
                "(this is a trtkit bug if you see it)"
            )

    def set_layer_precision(self, config: trt.IBuilderConfig, layer: trt.ILayer, dtype: str,
                            outputs: tuple[str, ...] | None = None) -> None:
        """Per-layer precision (--layerPrecisions) or output types (``outputs``, --layerOutputTypes) under
        --precisionConstraints: weak typing only; strongly typed flavours get them from the converted graph."""
        raise UsageError(f"{self} has no per-layer precision API; trtkit converts the ONNX graph instead "
                         "(this is a trtkit bug if you see it)")

    def set_precision_constraints(self, config: trt.IBuilderConfig, constraints: str) -> None:
        """--precisionConstraints prefer|obey as a builder flag (weak typing only)."""
        raise UsageError(f"{self} has no precision constraint flags (this is a trtkit bug if you see it)")

    def set_int8_calibrator(self, config: trt.IBuilderConfig, calibrator: Any) -> None:
        """The legacy implicit-quantization calibrator exists only on TensorRT 10."""
        raise UsageError(
            f"--calibMode=implicit needs TensorRT 10; {self} supports only explicit (Q/DQ) INT8, "
            "which is trtkit's default"
        )

    def set_io_type(self, tensor: trt.ITensor, dtype: trt.DataType, strongly_typed: bool, flag: str) -> None:
        """A network I/O type from --inputIOFormats/--outputIOFormats. Strongly typed networks keep the graph's
        type, so the request must match it (trtexec 10's check for --stronglyTyped)."""
        if tensor.dtype != dtype:
            raise UsageError(
                f"{flag}: tensor {tensor.name!r} is {tensor.dtype.name} in the graph and {self} builds strongly "
                f"typed networks, whose I/O types come from the model; give the format alone (e.g. chw) or "
                f"convert the model to {dtype.name}"
            )

    def load_plugins(self, registry: trt.IPluginRegistry, static: Sequence[str], dynamic: Sequence[str],
                     errors: list[str]) -> None:
        """--staticPlugins (loaded into the process, where their static initializers register their creators,
        as trtexec dlopens them) and --dynamicPlugins (``IPluginRegistry.load_library``), before a network is
        parsed or a plan deserialized. ``errors`` is the list the registry's logger appends to."""
        import ctypes

        for path in static:
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError as e:
                raise TrtkitError(f"--staticPlugins={path}: cannot load the library ({e})") from None
        for path in dynamic:
            before = len(errors)
            if registry.load_library(path) is None:
                said = errors[before] if len(errors) > before else "no error was logged"
                raise TrtkitError(f"--dynamicPlugins={path}: {self} did not load the plugin library ({said})")

    def make_logger(self, verbosity: int = 0, errors: list[str] | None = None) -> trt.ILogger:
        """A logger that prints like trtexec (``[TRT] [W] ...``) and appends error messages to ``errors``,
        so that a failed call can be reported in one line with TensorRT's own words. Errors the caller
        collects that way are not printed as well, except with --verbose.

        verbosity: -2 silent (errors are still kept), -1 errors only (--quiet), 0 warnings, 1 info,
        2 verbose (--verbose).
        """
        kept = errors if errors is not None else []
        echo_errors = errors is None or verbosity >= 2
        trt = self.module
        threshold = {
            -1: trt.ILogger.Severity.ERROR,
            0: trt.ILogger.Severity.WARNING,
            1: trt.ILogger.Severity.INFO,
            2: trt.ILogger.Severity.VERBOSE,
        }[max(-1, min(2, verbosity))]
        letters = {
            trt.ILogger.Severity.INTERNAL_ERROR: "F",
            trt.ILogger.Severity.ERROR: "E",
            trt.ILogger.Severity.WARNING: "W",
            trt.ILogger.Severity.INFO: "I",
            trt.ILogger.Severity.VERBOSE: "V",
        }
        errors_at = (trt.ILogger.Severity.INTERNAL_ERROR, trt.ILogger.Severity.ERROR)

        class _Logger(trt.ILogger):
            def __init__(self) -> None:
                trt.ILogger.__init__(self)

            def log(self, severity: trt.ILogger.Severity, msg: str) -> None:
                if severity in errors_at:
                    kept.append(msg)
                    if not echo_errors:
                        return
                if verbosity > -2 and int(severity) <= int(threshold):
                    print(f"[TRT] [{letters.get(severity, '?')}] {msg}", file=sys.stderr)

        return _Logger()

    def make_output_allocator(self, handler: OutputHandler) -> trt.IOutputAllocator:
        """An IOutputAllocator that hands TensorRT's calls to ``handler`` (trtkit.backends.allocator): the
        subclass must derive from this flavour's class, which only this module may import. TensorRT calls
        ``reallocate_output_async`` (``reallocate_output`` where a caller has no stream) when it knows how
        many bytes a data-dependent output needs, then ``notify_shape`` with its final shape, both before
        ``execute_async_v3`` returns. Returning 0 (a null pointer) makes that enqueue fail."""
        trt = self.module

        class _OutputAllocator(trt.IOutputAllocator):
            def __init__(self) -> None:
                trt.IOutputAllocator.__init__(self)

            def reallocate_output(self, tensor_name: str, memory: int, size: int, alignment: int) -> int:
                return handler.reallocate(tensor_name, memory, size, alignment, None)

            def reallocate_output_async(self, tensor_name: str, memory: int, size: int, alignment: int,
                                        stream: int) -> int:
                return handler.reallocate(tensor_name, memory, size, alignment, stream)

            def notify_shape(self, tensor_name: str, shape: trt.Dims) -> None:
                handler.notify_shape(tensor_name, tuple(int(d) for d in shape))

        return _OutputAllocator()

    def numpy_dtype(self, dtype: trt.DataType) -> np.dtype:
        """numpy's spelling of a TensorRT DataType (bf16/fp8 through ml_dtypes)."""
        import numpy as np

        simple = {
            "FLOAT": np.float32,
            "HALF": np.float16,
            "INT8": np.int8,
            "INT32": np.int32,
            "INT64": np.int64,
            "BOOL": np.bool_,
            "UINT8": np.uint8,
        }
        name = dtype.name
        if name in simple:
            return np.dtype(simple[name])
        extended = {"BF16": "bfloat16", "FP8": "float8_e4m3fn"}
        if name in extended:
            try:
                import ml_dtypes
            except ImportError:
                raise TrtkitError(
                    f"tensor type {name} needs ml_dtypes to be read from Python: pip install ml_dtypes"
                ) from None
            return np.dtype(getattr(ml_dtypes, extended[name]))
        raise TrtkitError(f"tensor type {name} has no numpy equivalent; trtkit cannot read it")


class TensorRT10(Flavour):
    """TensorRT 10.x: weakly typed by default, builder flags choose precision, optional strong typing."""

    key = "tensorrt10"
    weak_typing = True
    plan_major = 10

    def network_flags(self, strongly_typed: bool) -> int:
        trt = self.module
        return 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) if strongly_typed else 0

    def strongly_typed(self, network: trt.INetworkDefinition) -> bool:
        trt = self.module
        return network.get_flag(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)

    def set_precision_flags(self, config: trt.IBuilderConfig, precisions: Iterable[str]) -> None:
        trt = self.module
        flags = {"fp16": trt.BuilderFlag.FP16, "bf16": trt.BuilderFlag.BF16, "int8": trt.BuilderFlag.INT8}
        for precision in precisions:
            config.set_flag(flags[precision])

    def set_layer_precision(self, config: trt.IBuilderConfig, layer: trt.ILayer, dtype: str,
                            outputs: tuple[str, ...] | None = None) -> None:
        trt = self.module
        if outputs is None:
            layer.precision = getattr(trt.DataType, DATA_TYPES[dtype])
            return
        for index in range(layer.num_outputs):
            layer.set_output_type(index, getattr(trt.DataType, DATA_TYPES[outputs[index if len(outputs) > 1 else 0]]))

    def set_precision_constraints(self, config: trt.IBuilderConfig, constraints: str) -> None:
        trt = self.module
        if constraints in PRECISION_CONSTRAINT_FLAGS:
            config.set_flag(getattr(trt.BuilderFlag, PRECISION_CONSTRAINT_FLAGS[constraints]))

    def set_int8_calibrator(self, config: trt.IBuilderConfig, calibrator: Any) -> None:
        trt = self.module
        config.set_flag(trt.BuilderFlag.INT8)
        config.int8_calibrator = calibrator

    def set_io_type(self, tensor: trt.ITensor, dtype: trt.DataType, strongly_typed: bool, flag: str) -> None:
        if strongly_typed:
            super().set_io_type(tensor, dtype, strongly_typed, flag)
        else:
            tensor.dtype = dtype


class TensorRT11(Flavour):
    """TensorRT 11.x: always strongly typed; every precision builder flag is gone."""

    key = "tensorrt11"
    inference = TRTEXEC11
    plan_major = 11


class TensorRTRTX(Flavour):
    """TensorRT-RTX 1.x: strongly typed, JIT-specialised on the RTX GPU; builds AOT without a GPU."""

    key = "rtx1"
    package = "tensorrt_rtx"
    label = "TensorRT-RTX"
    has_timing_cache = False
    # tensorrt_rtx (its trtexec) is built from the same samples/common as trtexec 11: prepareProfileRun in
    # trtexec.cpp 11.1 rebuilds the context "with CUDA graphs disabled" on TRT-RTX, i.e. graphs are on by default.
    inference = TRTEXEC11
    plan_tag = b"vtrt"
    plan_major = 1

    def hardware_compatibility_level(self, config: trt.IBuilderConfig) -> str | None:
        """TensorRT-RTX has no hardware compatibility level: its getter only warns "unsupported" and answers
        NONE, and its setter warns and keeps nothing."""
        return None
