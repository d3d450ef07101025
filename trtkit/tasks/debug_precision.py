"""``trtkit debug precision``: which layers break a reduced-precision build, and which to keep in FP32.

Both graphs run on the CPU through the faithful reference runner (:func:`trtkit.backends.reference.run_all`,
every tensor stored in its declared type, as TensorRT's strongly typed kernels store it), with every
intermediate tensor marked as an output: the FP32 model and the graph trtkit hands TensorRT 11.x/RTX for
``--fp16``/``--bf16`` (:func:`trtkit.precision.convert.convert_float`) or ``--int8`` (Q/DQ from
calibration). The per-layer table compares them; :mod:`trtkit.tasks.precision_search` finds the keep list,
written in the ``--layerPrecisions`` format for ``trtkit build --layerPrecisions=@FILE``. No engine runs:
on a machine with a TensorRT runtime and GPU the engine-side check (marking every tensor as a network output)
is not implemented (docs/precision-debugging.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trtkit.data.feeds import InputOptions, make_runs
from trtkit.platform import log
from trtkit.platform.errors import UsageError
from trtkit.platform.files import write_atomic
from trtkit.precision.layers import format_rules, name_nodes, node_name
from trtkit.precision.options import PrecisionOptions
from trtkit.tasks.debug_eval import model_inputs
from trtkit.tasks.precision_search import SearchResult, find_keep
from trtkit.tasks.precision_table import LayerRow, layer_rows, within

if TYPE_CHECKING:
    import onnx

PRECISIONS = ("fp16", "bf16", "int8")


@dataclass
class DebugPrecisionOptions:
    """The flags of ``trtkit debug precision`` (trtexec/Polygraphy spelling in each comment)."""

    model: Path  # MODEL
    precision: str = "fp16"  # --fp16 | --bf16 | --int8
    inputs: InputOptions = field(default_factory=InputOptions)  # FILES..., --loadInputs, --shapes, --seed
    input_range: tuple[float, float] = (0.0, 1.0)  # --inputRange=LO,HI: seeded random inputs (Polygraphy's default)
    atol: float = 1e-2  # --atol
    rtol: float = 1e-2  # --rtol
    eval_data: Path | None = None  # --eval: labelled data; the target is top-1 instead of --atol/--rtol
    eval_samples: int = 500  # --evalSamples
    max_accuracy_drop: float = 0.5  # --maxAccuracyDrop: top-1 points the reduced graph may lose
    search: bool = True  # --noSearch turns the keep-list search off
    save_layer_precisions: Path | None = None  # --saveLayerPrecisions: the keep list, --layerPrecisions format
    calibration: PrecisionOptions = field(default_factory=PrecisionOptions)  # --calib --calibCache --calibAlgo
    progress: bool = True


@dataclass
class DebugPrecisionResult:
    model: str
    precision: str
    criterion: str  # what "passes" means: the tolerance, or the accuracy target
    rows: list[LayerRow]
    outputs_pass: bool  # the reduced graph as trtkit builds it by default
    search: SearchResult | None

    @property
    def first_failing(self) -> LayerRow | None:
        return next((r for r in self.rows if not r.passes), None)

    def to_json(self) -> dict[str, Any]:
        first = self.first_failing
        search = self.search
        return {
            "model": self.model, "precision": self.precision, "criterion": self.criterion,
            "outputs_pass": self.outputs_pass, "first_failing_layer": first.layer if first else None,
            "layers": [r.to_json() for r in self.rows],
            "keep_fp32": search.keep if search else None, "keep_passes": search.passes if search else None,
            "evaluations": search.evaluations if search else 0,
        }  # fmt: skip


def _feeds(model: onnx.ModelProto, options: DebugPrecisionOptions) -> list[dict[str, np.ndarray]]:
    """--loadInputs / files as `trtkit infer` reads them, else seeded uniform data in --inputRange."""
    inputs = model_inputs(model)
    if options.inputs.files or options.inputs.load_inputs:
        return [run.feeds for run in make_runs(inputs, options.inputs).runs]
    lo, hi = options.input_range
    rng = np.random.default_rng(options.inputs.seed)
    feeds = {}
    for info in inputs:
        shape = tuple(options.inputs.shapes.get(info.name, tuple(d if d > 0 else 1 for d in info.shape)))
        values = rng.uniform(lo, hi, shape) if info.dtype.kind == "f" else rng.integers(int(lo), int(hi) + 1, shape)
        feeds[info.name] = values.astype(info.dtype)
    return [feeds]


class _Reducer:
    """The reduced graph for a keep set: FP16/BF16 conversion with those nodes blocked, or the Q/DQ graph with
    those nodes excluded from quantization (calibrated once)."""

    def __init__(self, model: onnx.ModelProto, options: DebugPrecisionOptions) -> None:
        from trtkit.precision.convert import default_keep_ops

        self.model, self.precision = model, options.precision
        if self.precision == "int8":
            from trtkit.tasks.debug_int8 import calibrate

            self.table = calibrate(model, options.model, options.calibration)
            self.default: set[str] = set()
        else:
            ops = set(default_keep_ops())
            self.default = {node_name(n) for n in model.graph.node if n.op_type in ops}
        self.candidates = [node_name(n) for n in model.graph.node
                           if node_name(n) not in self.default and n.op_type not in ("Constant", "Identity")]

    def graph(self, keep: frozenset[str] = frozenset()) -> onnx.ModelProto:
        import onnx

        from trtkit.precision.calibration import quantize_graph
        from trtkit.precision.convert import convert_float

        if self.precision == "int8":
            return onnx.load_model_from_string(quantize_graph(self.model, self.table, exclude=sorted(keep)))
        return onnx.load_model_from_string(convert_float(self.model, self.precision, self.default | keep))


def _progress(enabled: bool, what: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """A tqdm bar on stderr (imported only when shown): (tick, close)."""
    if not enabled:
        return (lambda: None), (lambda: None)
    from tqdm import tqdm

    bar = tqdm(desc=what, unit="run", leave=False, dynamic_ncols=True)
    return (lambda: bar.update(1)), bar.close


def debug_precision(options: DebugPrecisionOptions) -> DebugPrecisionResult:
    """Run the FP32 model and the reduced graph, compare layer by layer, and search the keep list."""
    from trtkit.backends.reference import run_all
    from trtkit.precision.convert import load_model

    if options.precision not in PRECISIONS:
        raise UsageError(f"debug precision: give one of --{', --'.join(PRECISIONS)}")
    model = load_model(options.model)
    if options.precision == "int8":
        from trtkit.precision.calibration import pre_process

        model = name_nodes(pre_process(model))
    reducer = _Reducer(model, options)
    outputs = [o.name for o in model.graph.output]
    if options.eval_data is not None:
        from trtkit.tasks.debug_eval import AccuracyTarget

        target = AccuracyTarget(model, options.eval_data, options.eval_samples, options.max_accuracy_drop)
        criterion, passes = target.describe(), lambda m: target.passes(m)
        feeds = target.feeds[:1]
    else:
        feeds = _feeds(model, options)
        references = [run_all(model, f, outputs) for f in feeds]
        criterion = f"outputs within atol={options.atol:g} rtol={options.rtol:g}"

        def passes(graph: onnx.ModelProto) -> bool:
            runs = (run_all(graph, f, outputs) for f in feeds)
            return all(within(got[n], ref[n], options.atol, options.rtol)
                       for got, ref in zip(runs, references, strict=True) for n in outputs)

    default = reducer.graph()
    rows = layer_rows(model, run_all(default, feeds[0]), run_all(model, feeds[0]), options.atol, options.rtol)
    outputs_pass = passes(default)
    search = None
    if options.search:
        tick, close = _progress(options.progress, "searching keep list (faithful runs)")
        try:
            search = find_keep(reducer.candidates, lambda keep: passes(reducer.graph(keep)), tick)
        finally:
            close()
        if options.save_layer_precisions is not None and search.passes:
            write_atomic(options.save_layer_precisions, format_rules(search.keep).encode())
            log.info(f"Keep list ({len(search.keep)} layers in FP32) written to {options.save_layer_precisions}")
        elif options.save_layer_precisions is not None:
            log.warning(f"no keep list written to {options.save_layer_precisions}: even every layer in FP32 fails")
    return DebugPrecisionResult(str(options.model), options.precision, criterion, rows, outputs_pass, search)
