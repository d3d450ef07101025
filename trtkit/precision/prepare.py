"""Precision: how --fp16/--bf16/--int8/--best become a network TensorRT builds, on every flavour.

On TensorRT 10 (weak typing) FP16/BF16 are builder flags. On TensorRT 11 and TensorRT-RTX (always strongly
typed; the flags are gone) they are a graph-to-graph conversion of the ONNX model before parsing:
onnxconverter-common's ``convert_float_to_float16`` (Microsoft's maintained converter) with the I/O types
kept and numerically sensitive ops left in FP32; BF16 is that same graph with its 16-bit float type
relabelled bfloat16. INT8 is explicit quantization everywhere (:mod:`trtkit.precision.calibration`: Q/DQ nodes from
ONNX Runtime's calibrator, real data), or TensorRT 10's legacy implicit calibrator behind
``--calibMode=implicit``. The flavour decides which; the CLI never does.

numpy, onnx and ONNX Runtime load inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtkit.platform import log
from trtkit.platform.errors import UsageError
from trtkit.precision.convert import convert_float, default_keep_ops, load_model
from trtkit.precision.layers import REDUCED_FLOATS, LayerPrecisions, blocked_nodes
from trtkit.precision.options import PrecisionOptions, check

if TYPE_CHECKING:
    from trtkit.platform.flavours import Flavour

@dataclass
class PreparedModel:
    """What the builder parses and which builder flags it sets."""

    onnx: bytes | None  # a converted graph, or None to parse the original file
    builder_flags: tuple[str, ...]  # weak-typing flags ("fp16", "bf16", "int8"); empty when strongly typed
    calibrator: Any | None  # TensorRT 10 legacy implicit INT8 calibrator, else None
    description: str  # one line for the build log, e.g. "FP16 (builder flags, weak typing)"
    layers: LayerPrecisions | None = None  # per-layer rules the builder applies to the network (weak typing only)


def prepare(onnx_path: Path, options: PrecisionOptions, flavour: Flavour, strongly_typed: bool) -> PreparedModel:
    """Decide how the requested precision reaches TensorRT on ``flavour``, converting or quantizing the
    graph where the flavour needs it."""
    check(options)
    weak = flavour.weak_typing and not strongly_typed
    layers = options.layers
    if layers.constraints == "none" and (layers.precisions or layers.output_types):
        log.warning("--layerPrecisions/--layerOutputTypes have no effect with --precisionConstraints=none")
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
    layers = options.layers
    if int8:
        prepared = _prepare_int8(onnx_path, options, flavour, weak, floats)
        return _with_layers(prepared, layers) if weak else prepared
    if weak:
        named = {t for r in (*layers.precisions, *layers.output_types) for t in r.types if t in REDUCED_FLOATS}
        floats = (*floats, *sorted(named - set(floats))) if layers.active else floats
        if not floats:
            return PreparedModel(None, (), None, "FP32")
        described = f"{'+'.join(floats).upper()} (builder flags, weak typing)"
        return _with_layers(PreparedModel(None, floats, None, described), layers)
    if len(floats) > 1:
        raise UsageError(f"--fp16 --bf16 on {flavour}: a strongly typed network has one reduced float type; pick one")
    if layers.active:
        return _convert_with_layers(onnx_path, layers, floats[0] if floats else None)
    if not floats:
        return PreparedModel(None, (), None, "FP32")
    graph = convert_float(load_model(onnx_path), floats[0])
    return PreparedModel(graph, (), None, f"{floats[0].upper()} (ONNX graph converted, I/O kept FP32, strongly typed)")


def _with_layers(prepared: PreparedModel, layers: LayerPrecisions) -> PreparedModel:
    if not layers.active:
        return prepared
    how = f"{layers.effective_constraints} precision constraints, per-layer rules on the network"
    return replace(prepared, layers=layers, description=f"{prepared.description}; {how}")


def _convert_with_layers(onnx_path: Path, layers: LayerPrecisions, reduced: str | None) -> PreparedModel:
    """Strongly typed: the rules become the conversion's keep list (those nodes FP32, casts around them)."""
    model = load_model(onnx_path)
    target, blocked = blocked_nodes(model, layers, reduced, default_keep_ops())
    if target is None:
        log.info("--layerPrecisions/--layerOutputTypes name no reduced float type on an FP32 build: nothing to convert")
        return PreparedModel(None, (), None, "FP32")
    graph = convert_float(model, target, blocked)
    kept = f"{len(blocked)} of {len(model.graph.node)} nodes kept FP32 by the per-layer rules and default keep list"
    return PreparedModel(graph, (), None, f"{target.upper()} (ONNX graph converted, {kept}, strongly typed)")


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
        from trtkit.precision.calibrator_trt10 import make_calibrator

        calibrator, how = make_calibrator(flavour, onnx_path, options)
        return PreparedModel(None, flags, calibrator, f"INT8 (implicit, {how}){extra}")
    from trtkit.precision.calibration import quantize

    graph, how = quantize(onnx_path, options, flavour, strongly_typed=not weak)
    typing = "weak typing" if weak else "strongly typed"
    return PreparedModel(graph, flags, None, f"INT8 (explicit Q/DQ, {how}, {typing}){extra}")
