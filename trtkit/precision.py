"""Precision: how --fp16/--bf16/--int8/--best become a network TensorRT builds, on every flavour.

On TensorRT 10 (weak typing) precision is builder flags. On TensorRT 11 and TensorRT-RTX (always strongly
typed; the flags are gone) it is a graph-to-graph conversion of the ONNX model before parsing.
The flavour decides which; the CLI never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtkit.errors import UsageError

if TYPE_CHECKING:
    from trtkit.trt import Flavour


@dataclass
class PrecisionOptions:
    """Precision flags, named as trtexec names them."""

    fp16: bool = False  # --fp16
    bf16: bool = False  # --bf16
    int8: bool = False  # --int8
    best: bool = False  # --best


@dataclass
class PreparedModel:
    """What the builder parses and which builder flags it sets."""

    onnx: bytes | None  # a converted graph, or None to parse the original file
    builder_flags: tuple[str, ...]  # weak-typing flags ("fp16", "bf16", "int8"); empty when strongly typed
    calibrator: Any | None  # TensorRT 10 legacy implicit INT8 calibrator, else None
    description: str  # one line for the build log, e.g. "FP16 (builder flag, weak typing)"


def prepare(onnx_path: Path, options: PrecisionOptions, flavour: Flavour, strongly_typed: bool) -> PreparedModel:
    """Decide how the requested precision reaches TensorRT on ``flavour``."""
    if options.int8 or options.best:
        raise UsageError("--int8/--best: INT8 calibration is not implemented yet")
    wanted = tuple(p for p in ("fp16", "bf16") if getattr(options, p))
    if not wanted:
        return PreparedModel(None, (), None, "FP32")
    if flavour.weak_typing and not strongly_typed:
        return PreparedModel(None, wanted, None, f"{'+'.join(wanted).upper()} (builder flags, weak typing)")
    raise UsageError(f"--{wanted[0]} on {flavour}: graph conversion is not implemented yet")
