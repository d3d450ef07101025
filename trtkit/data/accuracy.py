"""trtexec 11.1's accuracy check, one module for ``infer``, ``bench`` and ``compare``: the flags
(``--loadRefOutputs/--refPair/--atol/--rtol/--accuracyAlgorithm/--accuracyThreshold``), their checks, the
reference files and the five metrics, ported from ``samples/common/sampleUtils.cpp`` (11.1) in float64 with
trtexec's NaN behaviour: every metric is a loss (0 = identical) and a tensor fails when loss >= threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trtkit.data.inputs import is_array, load_arrays, load_raw
from trtkit.platform.errors import TrtkitError, UsageError

ALGORITHMS = ("l0", "l1", "l2", "lInf", "cos")  # --accuracyAlgorithm, spelled (case-sensitively) as trtexec
NAMES = {"l0": "L0", "l1": "L1", "l2": "L2", "lInf": "LInf", "cos": "Cosine"}  # trtexec's getAlgorithmName
DEFAULT_TOLERANCE = 1e-5  # trtexec's --atol and --rtol defaults


@dataclass
class RefPair:
    """One set of inputs and the outputs they must produce (trtexec's RefPair)."""

    inputs: dict[str, Path] = field(default_factory=dict)  # --loadInputs of the pair
    outputs: dict[str, Path] = field(default_factory=dict)  # --loadRefOutputs of the pair


@dataclass
class AccuracyOptions:
    """The accuracy-check flags, named as trtexec 11.1 names them."""

    pairs: list[RefPair] = field(default_factory=list)  # --loadRefOutputs (one pair) or --refPair N (several)
    atol: float = DEFAULT_TOLERANCE  # --atol (L0 only)
    rtol: float = DEFAULT_TOLERANCE  # --rtol (L0 only)
    algorithm: str = "l0"  # --accuracyAlgorithm l0|l1|l2|lInf|cos
    threshold: float = 0.0  # --accuracyThreshold: a tensor fails when its loss >= this

    @property
    def enabled(self) -> bool:
        return any(p.outputs for p in self.pairs)

    @property
    def name(self) -> str:
        return NAMES[self.algorithm]


def check_metric(algorithm: str, threshold: float) -> None:
    """The metric flags on their own (compare has no reference files): a known algorithm, a positive threshold."""
    if algorithm not in ALGORITHMS:
        raise UsageError(f"--accuracyAlgorithm={algorithm}: unknown; expected one of {', '.join(ALGORITHMS)}")
    if threshold <= 0:
        raise UsageError(f"--accuracyAlgorithm {algorithm} needs a positive --accuracyThreshold (got {threshold:g})")


def check(options: AccuracyOptions, *, tolerances_given: bool = False) -> None:
    """trtexec's refusals (sampleOptions.cpp 11.1), each one line, before anything runs."""
    if options.algorithm not in ALGORITHMS:
        raise UsageError(f"--accuracyAlgorithm={options.algorithm}: unknown; expected one of {', '.join(ALGORITHMS)}")
    if options.atol < 0 or options.rtol < 0:
        raise UsageError("--atol and --rtol must be non-negative")
    if tolerances_given and options.algorithm != "l0":
        raise UsageError(f"--atol/--rtol are only valid for the L0 accuracy algorithm, not {options.algorithm}")
    if options.threshold < 0:
        raise UsageError("--accuracyThreshold must be non-negative")
    if len(options.pairs) > 1:
        for i, pair in enumerate(options.pairs):
            for flag, files in (("--loadInputs", pair.inputs), ("--loadRefOutputs", pair.outputs)):
                if not files:
                    raise UsageError(f"reference pair {i} has no {flag}; each --refPair needs --loadInputs and "
                                     "--loadRefOutputs")
    if options.enabled:
        if not options.pairs[0].inputs:
            raise UsageError("--loadRefOutputs requires --loadInputs (the inputs that produced the references)")
        if options.threshold <= 0:
            raise UsageError("--accuracyThreshold (with a positive value) is required with --loadRefOutputs/--refPair")


def make_pairs(ref_pairs: tuple[int, ...], inputs: list[dict[str, Path]], refs: list[dict[str, Path]]) -> list[RefPair]:
    """The pairs the flags describe. Without --refPair: one pair, every --loadInputs and --loadRefOutputs merged.
    With --refPair N: pair i is the i-th --loadInputs and the i-th --loadRefOutputs on the command line (click
    cannot see the position of one flag among others, which trtexec's grouping uses)."""
    if not ref_pairs:
        merged = RefPair()
        for spec in inputs:
            merged.inputs.update(spec)
        for spec in refs:
            merged.outputs.update(spec)
        return [merged] if merged.outputs else []
    if len(set(ref_pairs)) != len(ref_pairs):
        raise UsageError("--refPair: reference pair index cannot be the same")
    if sorted(ref_pairs) != list(range(len(ref_pairs))) or len(ref_pairs) < 2:
        raise UsageError(f"--refPair {list(ref_pairs)}: give at least two pairs, numbered 0, 1, ... without gaps")
    if len(inputs) > len(ref_pairs) or len(refs) != len(ref_pairs):
        raise UsageError(f"--refPair: {len(ref_pairs)} pairs need {len(ref_pairs)} --loadRefOutputs (got {len(refs)}) "
                         f"and as many --loadInputs (got {len(inputs)}), in pair order")
    padded = [*inputs, *({} for _ in range(len(ref_pairs) - len(inputs)))]
    return [RefPair(dict(padded[i]), dict(refs[i])) for i in range(len(ref_pairs))]


def load_reference(name: str, path: Path, actual: np.ndarray) -> np.ndarray:
    """A reference tensor from .npy/.npz (the key ``name`` or ``output/name`` as compare --saveOutputs writes it,
    or the only array)/.pb, or trtexec's raw bytes in the actual output's type and shape (as trtexec reads
    them: engine type, context shape)."""
    if not is_array(path):
        return load_raw(path, actual.shape, actual.dtype)
    arrays = load_arrays(path)
    for key in (name, f"output/{name}"):
        if key in arrays:
            return arrays[key]
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    raise TrtkitError(f"{path}: holds {', '.join(sorted(arrays))}, none named {name!r}; name the key after the output")


def loss(actual: np.ndarray, reference: np.ndarray, algorithm: str, atol: float, rtol: float) -> float:
    """trtexec's metric of ``actual`` against ``reference`` (flattened, float64). NaN follows C++: L0 counts a NaN
    as a match, LInf skips it, L1/L2/cos return NaN (which never reaches a threshold)."""
    a = np.asarray(actual, dtype=np.float64).ravel()
    r = np.asarray(reference, dtype=np.float64).ravel()
    with np.errstate(invalid="ignore", over="ignore"):
        if algorithm == "l0":
            return float(np.count_nonzero(np.abs(a - r) > atol + rtol * np.abs(r)) / a.size)
        if algorithm == "l1":
            return float(np.abs(a - r).sum() / a.size)
        if algorithm == "l2":
            return float(np.square(a - r).sum() / a.size)  # trtexec's "L2" is the mean squared error, no root
        if algorithm == "lInf":
            return float(np.fmax.reduce(np.abs(a - r), initial=0.0))
        denominator = np.sqrt(np.dot(a, a)) * np.sqrt(np.dot(r, r))
        return 1.0 if denominator < 1e-12 else float(1.0 - np.dot(a, r) / denominator)


@dataclass
class TensorAccuracy:
    """One output of one pair, checked."""

    pair: int
    name: str
    loss: float
    failed: bool

    def line(self, options: AccuracyOptions) -> str:
        """trtexec's log line, ``Accuracy loss for tensor scores (L0): 0.000000 [FAIL: >= threshold 0.01]``."""
        pair = f"pair {self.pair}: " if len(options.pairs) > 1 else ""
        fail = f" [FAIL: >= threshold {options.threshold:g}]" if self.failed else ""
        return f"{pair}Accuracy loss for tensor {self.name} ({options.name}): {self.loss:.6f}{fail}"


def validate(pair: int, outputs: Mapping[str, np.ndarray], options: AccuracyOptions) -> list[TensorAccuracy]:
    """Check the outputs of pair ``pair`` against its reference files. A reference naming no output is an error
    here (trtexec only warns); so is a size mismatch (trtexec asserts)."""
    results = []
    for name, path in options.pairs[pair].outputs.items():
        if name not in outputs:
            raise UsageError(f"--loadRefOutputs: {name!r} is not an output of the model; its outputs: "
                             f"{', '.join(outputs)}")
        actual = np.asarray(outputs[name])
        reference = load_reference(name, path, actual)
        if reference.size != actual.size or actual.size == 0:
            raise TrtkitError(f"{path}: reference {name!r} has {reference.size} values, the output has {actual.size}")
        value = loss(actual, reference, options.algorithm, options.atol, options.rtol)
        results.append(TensorAccuracy(pair, name, value, bool(value >= options.threshold > 0)))
    return results


def failure(results: list[TensorAccuracy]) -> TrtkitError | None:
    """trtexec's closing error when a tensor failed, as the one line trtkit exits 1 with; None when all pass."""
    failed = [f"{r.name} ({r.loss:.6g})" for r in results if r.failed]
    if not failed:
        return None
    return TrtkitError(f"Accuracy validation FAILED: one or more tensors exceeded the threshold: {', '.join(failed)}")
