"""``trtkit compare``: the same inputs through a reference and a candidate backend, per-output errors.

Polygraphy's ``run --onnxrt --trt`` is the model: defaults atol = rtol = 1e-5, and an element mismatches
only when it exceeds both tolerances (``|c - r| > atol and |c - r| / |r| > rtol``; NaN always mismatches),
relative errors taken against the reference with a tiny epsilon where it is 0. With ``--accuracyAlgorithm``
each output is judged instead by trtexec 11.1's metric against ``--accuracyThreshold``
(:mod:`trtkit.data.accuracy`). ``--saveOutputs`` keeps the reference's inputs and outputs in an .npz;
``--loadOutputs`` reuses them instead of running a reference model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from trtkit.backends.base import Backend
from trtkit.backends.faithful import choose_backend
from trtkit.backends.plans import PlanLoading
from trtkit.builder.cpu_model import open_model
from trtkit.data.accuracy import NAMES, check_metric, loss
from trtkit.data.feeds import Feeds, InputOptions, Run, make_runs
from trtkit.data.saved_outputs import load_outputs, save_outputs
from trtkit.data.tensors import TensorInfo
from trtkit.data.tensors import format_shape as fmt
from trtkit.platform import log
from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.precision.options import PrecisionOptions

EPSILON = 2.220446049250313e-16  # added to zero reference values, as Polygraphy does


@dataclass
class CompareOptions:
    reference: Path  # first model: .onnx (ONNX Runtime) or a plan (TensorRT)
    candidate: Path  # second model (--engine PLAN or the second positional)
    inputs: InputOptions = field(default_factory=InputOptions)  # none given: seeded random data
    candidate_backend: str = "auto"  # --engine means a plan: "tensorrt"
    atol: float = 1e-5  # --atol (Polygraphy's default)
    rtol: float = 1e-5  # --rtol (Polygraphy's default)
    flavor: str | None = None  # --flavor: which TensorRT opens plans
    verbosity: int = 0
    plan_loading: PlanLoading = field(default_factory=PlanLoading)  # --versionCompatible, --leanDLLPath
    device: int = 0  # --device: GPU ordinal plans run on
    use_profile: int | None = None  # --useProfile: optimization profile of a multi-profile plan
    algorithm: str | None = None  # --accuracyAlgorithm l0|l1|l2|lInf|cos (trtexec 11.1); None: Polygraphy's check
    threshold: float = 0.0  # --accuracyThreshold: an output fails when its loss >= this
    save_outputs: Path | None = None  # --saveOutputs (Polygraphy): the reference's inputs and outputs, .npz
    load_outputs: Path | None = None  # --loadOutputs (Polygraphy): reuse them; ``reference`` is then that file
    precision: PrecisionOptions = field(default_factory=PrecisionOptions)  # --fp16 --bf16 --int8: the candidate's
    threads: int = 0  # --cpuThreads: both models' CPU threads


@dataclass
class OutputError:
    """One output's error statistics over every run."""

    name: str
    shape: tuple[int, ...]
    max_abs: float
    max_rel: float
    mean_abs: float
    mismatches: int  # elements beyond both tolerances
    size: int
    problem: str | None = None  # missing output or shape mismatch: no statistics
    loss: float | None = None  # --accuracyAlgorithm's loss over all runs (None without the flag)
    loss_failed: bool = False  # loss >= --accuracyThreshold

    @property
    def passed(self) -> bool:
        if self.problem is not None:
            return False
        return not self.loss_failed if self.loss is not None else self.mismatches == 0


@dataclass
class CompareResult:
    options: CompareOptions
    backends: tuple[str, str]
    feeds: Feeds
    errors: list[OutputError]

    @property
    def passed(self) -> bool:
        return all(e.passed for e in self.errors)

    def to_text(self) -> str:
        lines = []
        for e in self.errors:
            status = "PASSED" if e.passed else "FAILED"
            detail = e.problem or (
                f"max abs {e.max_abs:.6g}, max rel {e.max_rel:.6g}, mean abs {e.mean_abs:.6g}, "
                f"{e.mismatches}/{e.size} elements beyond tolerance"
            )
            if e.loss is not None and e.problem is None:
                metric = NAMES[self.options.algorithm or "l0"]
                detail += f"; {metric} loss {e.loss:.6f} (fails at >= {self.options.threshold:g})"
            lines.append(f"[{'I' if e.passed else 'E'}] {status} | {e.name} ({fmt(e.shape)}): {detail}")
        failed = [e.name for e in self.errors if not e.passed]
        lines.append(f"[E] FAILED | Mismatched outputs: {failed}" if failed else "[I] PASSED | All outputs match")
        return "\n".join(lines)

    def failure(self) -> str:
        """The one line compare exits 1 with."""
        o = self.options
        failed = "; ".join(f"{e.name}: {e.problem or self._figure(e)}" for e in self.errors if not e.passed)
        limit = f"{o.algorithm} threshold {o.threshold:g}" if o.algorithm else f"atol {o.atol:g} / rtol {o.rtol:g}"
        return f"outputs differ beyond {limit}: {failed}"

    @staticmethod
    def _figure(e: OutputError) -> str:
        return f"loss {e.loss:.6g}" if e.loss is not None else f"max abs {e.max_abs:.3g}, max rel {e.max_rel:.3g}"

    def to_json(self) -> str:
        o = self.options
        return json.dumps(
            {
                "reference": {"model": str(o.reference), "backend": self.backends[0]},
                "candidate": {"model": str(o.candidate), "backend": self.backends[1]},
                "atol": o.atol,
                "rtol": o.rtol,
                "accuracy_algorithm": o.algorithm,
                "accuracy_threshold": o.threshold if o.algorithm else None,
                "passed": self.passed,
                "outputs": [
                    {**{k: v for k, v in vars(e).items() if k != "shape"}, "shape": list(e.shape), "passed": e.passed}
                    for e in self.errors
                ],
            },
            indent=2,
        )


def _describe_inputs(inputs: InputOptions, samples: int, runs: int) -> str:
    if inputs.files or inputs.load_inputs:
        return f"{samples} sample(s) in {runs} run(s) from files"
    return f"seeded random data (seed {inputs.seed}), {runs} run(s)"


def run_compare(options: CompareOptions) -> CompareResult:
    """Run every input set through both models (or the candidate against --loadOutputs) and collect per-output
    error statistics; --saveOutputs keeps the reference's side."""
    if options.algorithm is not None:
        check_metric(options.algorithm, options.threshold)
    kwargs = {"flavor": options.flavor, "verbosity": options.verbosity, "gpu": options.device,
              "profile": options.use_profile}
    candidate_backend = choose_backend(options.candidate, options.candidate_backend)
    if options.load_outputs is not None:
        if options.inputs.files or options.inputs.load_inputs:
            raise UsageError("--loadOutputs brings the inputs that made the reference; drop the input files")
        saved = load_outputs(options.load_outputs)
        with open_model(options.candidate, candidate_backend, precision=options.precision, threads=options.threads,
                        **kwargs, **_plan_kwargs(options.candidate, options)) as candidate:
            expected = [outputs for _, outputs in saved]
            got = [candidate.run(_cast(candidate, inputs)) for inputs, _ in saved]
            backends = ("saved", candidate.name)
        feeds = Feeds([Run(inputs, [f"{options.load_outputs}#{i}"], 0) for i, (inputs, _) in enumerate(saved)])
    else:
        with (
            open_model(options.reference, choose_backend(options.reference, "auto"), threads=options.threads,
                       **kwargs, **_plan_kwargs(options.reference, options)) as reference,
            open_model(options.candidate, candidate_backend, precision=options.precision, threads=options.threads,
                       **kwargs, **_plan_kwargs(options.candidate, options)) as candidate,
        ):
            feeds = make_runs(_common_inputs(reference, candidate, options.candidate), options.inputs, random=True)
            expected = [reference.run(run.feeds) for run in feeds.runs]
            got = [candidate.run(_cast(candidate, run.feeds)) for run in feeds.runs]
            backends = (reference.name, candidate.name)
    if options.save_outputs is not None:
        save_outputs(options.save_outputs, [(run.feeds, out) for run, out in zip(feeds.runs, expected, strict=True)])
        log.info(f"Reference inputs and outputs saved to {options.save_outputs}")
    samples = sum(len(r.sources) for r in feeds.runs)
    log.info(f"Reference: {options.reference} ({backends[0]}); candidate: {options.candidate} ({backends[1]})")
    saved_inputs = f"the {len(feeds.runs)} run(s) saved in {options.load_outputs}" if options.load_outputs else None
    log.info(f"Inputs: {saved_inputs or _describe_inputs(options.inputs, samples, len(feeds.runs))}")
    if options.algorithm is None:
        log.info(f"Tolerances: atol {options.atol:g}, rtol {options.rtol:g} (an element fails when it exceeds both)")
    else:
        log.info(f"Accuracy: {NAMES[options.algorithm]} loss per output, fails at >= {options.threshold:g} (trtexec)")
    names = list(expected[0])
    errors = [_errors(name, [e[name] for e in expected], [g.get(name) for g in got], options) for name in names]
    return CompareResult(options, backends, feeds, errors)


def _plan_kwargs(path: Path, options: CompareOptions) -> dict[str, object]:
    """--versionCompatible/--leanDLLPath for whichever of the two models is a plan."""
    return {} if path.suffix.lower() == ".onnx" else options.plan_loading.kwargs()


def _common_inputs(reference: Backend, candidate: Backend, path: Path) -> list[TensorInfo]:
    """The reference's inputs, with dynamic dimensions the candidate fixes taken from the candidate (a static
    plan against a dynamic-batch model runs one by one); both must have the same input names."""
    theirs = {i.name: i for i in candidate.inputs}
    ours = [i.name for i in reference.inputs]
    if sorted(theirs) != sorted(ours):
        raise TrtkitError(
            f"{path}: inputs {sorted(theirs)} differ from the reference's {sorted(ours)}; compare models of one graph"
        )
    return [_narrow(i, theirs[i.name]) for i in reference.inputs]


def _narrow(mine: TensorInfo, theirs: TensorInfo) -> TensorInfo:
    """Also the candidate's opt shape and shape-tensor opt values (an engine knows them, ONNX does not)."""
    if len(mine.shape) != len(theirs.shape):
        return mine  # a rank mismatch is the candidate's run to report
    shape = tuple(t if d < 0 else d for d, t in zip(mine.shape, theirs.shape, strict=True))
    return replace(mine, shape=shape, opt_shape=mine.opt_shape or theirs.opt_shape,
                   opt_values=mine.opt_values or theirs.opt_values)


def _cast(candidate: Backend, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The reference's feeds in the candidate's input types (an FP16-I/O engine against an FP32 model)."""
    dtypes = {i.name: i.dtype for i in candidate.inputs}
    return {name: a.astype(dtypes[name], copy=False) for name, a in feeds.items()}


def _errors(
    name: str, expected: list[np.ndarray], got: list[np.ndarray | None], options: CompareOptions
) -> OutputError:
    shape = expected[0].shape
    empty = OutputError(name, shape, np.nan, np.nan, np.nan, 0, 0)
    max_abs = max_rel = total_abs = 0.0
    mismatches = size = 0
    for ref, cand in zip(expected, got, strict=True):
        if cand is None:
            empty.problem = "missing from the candidate's outputs"
            return empty
        if cand.shape != ref.shape:
            empty.problem = f"shape {fmt(cand.shape)} in the candidate, {fmt(ref.shape)} in the reference"
            return empty
        r, c = ref.astype(np.float64), cand.astype(np.float64)
        absdiff = np.abs(c - r)
        reldiff = absdiff / np.abs(np.where(r == 0, EPSILON, r))
        bad = ((absdiff > options.atol) | np.isnan(absdiff)) & ((reldiff > options.rtol) | np.isnan(reldiff))
        mismatches += int(bad.sum())
        size += absdiff.size
        max_abs = float(np.maximum(max_abs, absdiff.max(initial=0.0)))  # NaN propagates: NaN is reported
        max_rel = float(np.maximum(max_rel, reldiff.max(initial=0.0)))
        total_abs += float(absdiff.sum())
    result = OutputError(name, shape, max_abs, max_rel, total_abs / size if size else 0.0, mismatches, size)
    if options.algorithm is not None:
        actual = np.concatenate([np.ravel(c) for c in got if c is not None])
        value = loss(actual, np.concatenate([np.ravel(r) for r in expected]), options.algorithm, options.atol,
                     options.rtol)  # fmt: skip
        result.loss, result.loss_failed = value, bool(value >= options.threshold)
    return result
