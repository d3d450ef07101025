"""Precision: how --fp16/--bf16/--int8/--best become a network TensorRT builds, on every flavour.

On TensorRT 10 (weak typing) FP16/BF16 are builder flags. On TensorRT 11 and TensorRT-RTX (always strongly
typed; the flags are gone) they are a graph-to-graph conversion of the ONNX model before parsing:
onnxconverter-common's ``convert_float_to_float16`` (Microsoft's maintained converter) with the I/O types
kept and numerically sensitive ops left in FP32; BF16 is that same graph with its 16-bit float type
relabelled bfloat16. INT8 is explicit quantization everywhere (:mod:`trtkit.calibration`: Q/DQ nodes from
ONNX Runtime's calibrator, real data), or TensorRT 10's legacy implicit calibrator behind
``--calibMode=implicit``. The flavour decides which; the CLI never does.

This module is imported by the CLI: numpy, onnx and ONNX Runtime load inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtkit import log
from trtkit.errors import TrtkitError, UsageError

if TYPE_CHECKING:
    import onnx

    from trtkit.preprocess import PreprocessOptions
    from trtkit.trt import Flavour

CALIB_ALGOS = ("entropy", "minmax", "percentile")
CALIB_MODES = ("explicit", "implicit")
MIN_QDQ_OPSET = 13  # per-channel QuantizeLinear/DequantizeLinear (the axis attribute) needs opset 13
BF16_OPSET = 22  # the first opset whose Conv, Gemm, pooling... accept bfloat16
# Kept in FP32 by the FP16/BF16 conversion: ops whose range or accumulated rounding error breaks 16-bit
# floats (exponentials, logs, powers, reductions, normalisations), on top of the converter's own list.
KEEP_FP32_OPS = (
    "Softmax", "LogSoftmax", "Exp", "Log", "Pow", "Sqrt", "Reciprocal", "Erf",
    "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceProd", "ReduceLogSum", "ReduceLogSumExp",
    "ReduceL1", "ReduceL2", "LayerNormalization", "InstanceNormalization", "GroupNormalization",
    "LpNormalization", "MeanVarianceNormalization",
)  # fmt: skip


@dataclass
class PrecisionOptions:
    """Precision and calibration flags, named as trtexec names them (the flag is in each comment)."""

    fp16: bool = False  # --fp16
    bf16: bool = False  # --bf16
    int8: bool = False  # --int8
    best: bool = False  # --best
    calib: Path | None = None  # --calib: images folder/file, MNIST IDX folder, .npy/.npz (or a cache, as in trtexec)
    calib_cache: Path | None = None  # --calibCache: TensorRT calibration table, reused when present
    calib_algo: str | None = None  # --calibAlgo entropy|minmax|percentile (default entropy, or the cache's)
    calib_samples: int = 500  # --calibSamples: how many calibration inputs to use
    calib_mode: str = "explicit"  # --calibMode explicit (Q/DQ, every flavour) | implicit (TensorRT 10 calibrator)
    preprocess: PreprocessOptions | None = None  # --preprocess ... for calibration images (as `trtkit infer`)


@dataclass
class PreparedModel:
    """What the builder parses and which builder flags it sets."""

    onnx: bytes | None  # a converted graph, or None to parse the original file
    builder_flags: tuple[str, ...]  # weak-typing flags ("fp16", "bf16", "int8"); empty when strongly typed
    calibrator: Any | None  # TensorRT 10 legacy implicit INT8 calibrator, else None
    description: str  # one line for the build log, e.g. "FP16 (builder flags, weak typing)"


def prepare(onnx_path: Path, options: PrecisionOptions, flavour: Flavour, strongly_typed: bool) -> PreparedModel:
    """Decide how the requested precision reaches TensorRT on ``flavour``, converting or quantizing the
    graph where the flavour needs it."""
    _check(options)
    weak = flavour.weak_typing and not strongly_typed
    calibrated = options.calib is not None or (options.calib_cache is not None and options.calib_cache.is_file())
    floats = tuple(p for p in ("fp16", "bf16") if getattr(options, p))
    if options.best:
        floats = ("fp16", "bf16") if weak else () if calibrated else ("fp16",)
        prepared = _prepare(onnx_path, options, flavour, weak, floats, int8=calibrated)
        without = "" if calibrated else "; no INT8: it needs --calib data or a --calibCache"
        log.info(f"--best on {flavour}: {prepared.description}{without}")
        return prepared
    return _prepare(onnx_path, options, flavour, weak, floats, int8=options.int8)


def _prepare(
    onnx_path: Path, options: PrecisionOptions, flavour: Flavour, weak: bool, floats: tuple[str, ...], int8: bool
) -> PreparedModel:
    if int8:
        return _prepare_int8(onnx_path, options, flavour, weak, floats)
    if not floats:
        return PreparedModel(None, (), None, "FP32")
    if weak:
        return PreparedModel(None, floats, None, f"{'+'.join(floats).upper()} (builder flags, weak typing)")
    if len(floats) > 1:
        raise UsageError(f"--fp16 --bf16 on {flavour}: a strongly typed network has one reduced float type; pick one")
    graph = convert_float(load_model(onnx_path), floats[0])
    return PreparedModel(graph, (), None, f"{floats[0].upper()} (ONNX graph converted, I/O kept FP32, strongly typed)")


def _prepare_int8(
    onnx_path: Path, options: PrecisionOptions, flavour: Flavour, weak: bool, floats: tuple[str, ...]
) -> PreparedModel:
    flags = ("int8", *floats) if weak else ()
    extra = f" + {'+'.join(floats).upper()} builder flags" if weak and floats else ""
    if not weak and floats:
        log.warning(f"--{floats[0]} with INT8 on {flavour}: layers without Q/DQ stay FP32 in a strongly typed network")
    if options.calib_mode == "implicit":
        if not weak:
            raise UsageError(
                f"--calibMode=implicit needs TensorRT 10 without --stronglyTyped; {flavour} builds only explicit "
                "(Q/DQ) INT8, which is trtkit's default"
            )
        from trtkit.calibrator_trt10 import make_calibrator

        calibrator, how = make_calibrator(flavour, onnx_path, options)
        return PreparedModel(None, flags, calibrator, f"INT8 (implicit, {how}){extra}")
    from trtkit.calibration import quantize

    graph, how = quantize(onnx_path, options, flavour)
    typing = "weak typing" if weak else "strongly typed"
    return PreparedModel(graph, flags, None, f"INT8 (explicit Q/DQ, {how}, {typing}){extra}")


def _check(options: PrecisionOptions) -> None:
    if options.calib_algo is not None and options.calib_algo not in CALIB_ALGOS:
        raise UsageError(f"--calibAlgo={options.calib_algo}: expected one of {', '.join(CALIB_ALGOS)}")
    if options.calib_mode not in CALIB_MODES:
        raise UsageError(f"--calibMode={options.calib_mode}: expected one of {', '.join(CALIB_MODES)}")
    if options.calib_samples < 1:
        raise UsageError(f"--calibSamples={options.calib_samples}: expected a positive number")
    wants_int8 = options.int8 or options.best
    for flag, value in (("--calib", options.calib), ("--calibCache", options.calib_cache)):
        if value is not None and not wants_int8:
            raise UsageError(f"{flag} is for INT8: add --int8 (or --best), or drop {flag}")
    if options.int8 and options.calib is None and (options.calib_cache is None or not options.calib_cache.is_file()):
        cache = f" ({options.calib_cache} does not exist yet)" if options.calib_cache is not None else ""
        raise UsageError(
            f"--int8 needs calibration data: --calib=DIR|FILE (images, an MNIST IDX folder, .npy/.npz) or an "
            f"existing --calibCache{cache}"
        )


def load_model(onnx_path: Path) -> onnx.ModelProto:
    """The model as the converters want it: opset >= 13 (ONNX's version converter upgrades older models such
    as the zoo's opset-8 MNIST) and initializers that are not also listed as graph inputs (IR 3 style), which
    would otherwise keep their FP32 input type after conversion."""
    import onnx

    from trtkit.files import check_readable

    check_readable(onnx_path, "ONNX model")
    try:
        model = onnx.load(str(onnx_path))
    except Exception as e:  # protobuf's DecodeError and onnx's own errors share no base class
        raise TrtkitError(f"{onnx_path}: not a valid ONNX model ({e.__class__.__name__}); check the file") from None
    opset = _opset(model)
    if opset < MIN_QDQ_OPSET:
        log.info(f"{onnx_path.name}: opset {opset} upgraded to {MIN_QDQ_OPSET} for precision conversion")
        model = _convert_opset(model, MIN_QDQ_OPSET, onnx_path)
    initializers = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in initializers]
    del model.graph.input[:]
    model.graph.input.extend(graph_inputs)
    model.ir_version = max(model.ir_version, onnx.helper.find_min_ir_version_for(model.opset_import, True))
    return model


def _convert_opset(model: onnx.ModelProto, opset: int, where: Path | str) -> onnx.ModelProto:
    from onnx import version_converter

    try:
        return version_converter.convert_version(model, opset)
    except Exception as e:  # the converter raises RuntimeError/ConvertError subclasses
        raise TrtkitError(f"{where}: ONNX's version converter cannot bring the model to opset {opset}: {e}") from None


def convert_float(model: onnx.ModelProto, precision: str) -> bytes:
    """FP16 or BF16 graph with FP32 inputs/outputs and :data:`KEEP_FP32_OPS` left in FP32."""
    try:
        from onnxconverter_common import float16
    except ImportError:
        raise TrtkitError(
            f"--{precision} on a strongly typed flavour converts the ONNX graph and needs onnxconverter-common: "
            "pip install 'trtkit[precision]'"
        ) from None
    originals = {i.name: i for i in model.graph.initializer}
    blocked = [*float16.DEFAULT_OP_BLOCK_LIST, *KEEP_FP32_OPS]
    converted = float16.convert_float_to_float16(model, keep_io_types=True, op_block_list=blocked)
    if precision == "bf16":
        converted = _relabel_bfloat16(converted, originals)
    return converted.SerializeToString()


def _relabel_bfloat16(model: onnx.ModelProto, originals: dict[str, onnx.TensorProto]) -> onnx.ModelProto:
    """Turn the FP16 graph into BF16: same casts, same FP32 islands, 16-bit float relabelled bfloat16.
    Weights are rounded from their FP32 originals (not from FP16, whose range is narrower)."""
    import ml_dtypes
    import numpy as np
    from onnx import TensorProto, numpy_helper

    half, brain = TensorProto.FLOAT16, TensorProto.BFLOAT16

    def relabel(tensor: TensorProto) -> None:
        if tensor.data_type == half:
            source = originals.get(tensor.name, tensor)
            values = numpy_helper.to_array(source).astype(np.float32).astype(ml_dtypes.bfloat16)
            tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))

    for tensor in model.graph.initializer:
        relabel(tensor)
    for node in model.graph.node:
        for attribute in node.attribute:
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == half:
                attribute.i = brain
            elif attribute.HasField("t"):
                relabel(attribute.t)
    for value in (*model.graph.value_info, *model.graph.input, *model.graph.output):
        if value.type.tensor_type.elem_type == half:
            value.type.tensor_type.elem_type = brain
    return _convert_opset(model, BF16_OPSET, "--bf16") if _opset(model) < BF16_OPSET else model


def _opset(model: onnx.ModelProto) -> int:
    """The default-domain opset (a model that imports none uses no standard op: nothing to upgrade)."""
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), BF16_OPSET)
