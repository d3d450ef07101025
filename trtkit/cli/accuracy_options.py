"""The accuracy-check flags of trtexec 11.1, one decorator per command family so that each command adds one
line: :func:`accuracy_options` (``infer``, ``bench``: reference files) and :func:`compare_accuracy_options`
(``compare``: the metric plus Polygraphy's --saveOutputs/--loadOutputs). Nothing heavy is imported here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from trtkit.cli.common import with_options

if TYPE_CHECKING:
    from trtkit.data.accuracy import AccuracyOptions, TensorAccuracy

F = TypeVar("F", bound=Callable[..., object])
ALGORITHMS = ("l0", "l1", "l2", "lInf", "cos")  # trtkit.data.accuracy.ALGORITHMS, spelled here for a fast --help
_ALGORITHM_HELP = ("l0: fraction of elements beyond atol + rtol*|ref|; l1: mean |a-r|; l2: mean (a-r)^2; lInf: max "
                   "|a-r|; cos: 1 - cosine similarity (trtexec --accuracyAlgorithm).")


def _apply(f: F, options: list[Callable[[F], F]]) -> F:
    return with_options(f, options)


def accuracy_options(f: F) -> F:
    """--loadRefOutputs, --refPair, --atol, --rtol, --accuracyAlgorithm, --accuracyThreshold (trtexec 11.1)."""
    return _apply(f, [
        click.option("--loadRefOutputs", "load_ref_outputs", multiple=True, metavar="name:file[,name:file]",
                     help="Reference outputs for the --loadInputs data (.npy/.npz/.pb, or raw bytes in the output's "
                     "type); exit 1 when an output's loss >= --accuracyThreshold (trtexec --loadRefOutputs)."),
        click.option("--refPair", "ref_pairs", multiple=True, type=click.IntRange(min=0), metavar="N",
                     help="Several input/reference pairs: pair N is the N-th --loadInputs with the N-th "
                     "--loadRefOutputs, in command-line order (trtexec --refPair)."),
        click.option("--atol", type=click.FloatRange(min=0), default=None,
                     help="Absolute tolerance of the l0 algorithm [default: 1e-5] (trtexec --atol)."),
        click.option("--rtol", type=click.FloatRange(min=0), default=None,
                     help="Relative tolerance of the l0 algorithm [default: 1e-5] (trtexec --rtol)."),
        click.option("--accuracyAlgorithm", "accuracy_algorithm", type=click.Choice(ALGORITHMS), default="l0",
                     show_default=True, help=_ALGORITHM_HELP),
        click.option("--accuracyThreshold", "accuracy_threshold", type=click.FloatRange(min=0), default=0.0,
                     help="A tensor fails when its loss >= this; required with --loadRefOutputs "
                     "(trtexec --accuracyThreshold)."),
    ])


def make_accuracy_options(kwargs: dict[str, Any], load_inputs: str | tuple[str, ...] | None) -> AccuracyOptions:
    """The AccuracyOptions of :func:`accuracy_options`'s flags (popped from ``kwargs``), checked as trtexec checks
    them; ``load_inputs`` is the command's own --loadInputs value(s), which the pairs share."""
    from trtkit.data.accuracy import DEFAULT_TOLERANCE, AccuracyOptions, check, make_pairs
    from trtkit.data.inputs import parse_load_inputs

    specs = (load_inputs,) if isinstance(load_inputs, str) else tuple(load_inputs or ())
    refs = kwargs.pop("load_ref_outputs")
    atol, rtol = kwargs.pop("atol"), kwargs.pop("rtol")
    options = AccuracyOptions(
        pairs=make_pairs(kwargs.pop("ref_pairs"), [parse_load_inputs(s) for s in specs],
                         [_parse_refs(s) for s in refs]),
        atol=DEFAULT_TOLERANCE if atol is None else atol,
        rtol=DEFAULT_TOLERANCE if rtol is None else rtol,
        algorithm=kwargs.pop("accuracy_algorithm"),
        threshold=kwargs.pop("accuracy_threshold"),
    )
    check(options, tolerances_given=atol is not None or rtol is not None)
    return options


def _parse_refs(spec: str) -> dict[str, Path]:
    """--loadRefOutputs has --loadInputs's syntax; its errors name the right flag."""
    from trtkit.data.inputs import parse_load_inputs
    from trtkit.platform.errors import UsageError

    try:
        return parse_load_inputs(spec)
    except UsageError as e:
        raise UsageError(str(e).replace("--loadInputs", "--loadRefOutputs")) from None


def compare_accuracy_options(f: F) -> F:
    """--accuracyAlgorithm/--accuracyThreshold (trtexec 11.1's metrics) and --saveOutputs/--loadOutputs (Polygraphy)."""
    return _apply(f, [
        click.option("--accuracyAlgorithm", "accuracy_algorithm", type=click.Choice(ALGORITHMS), default=None,
                     help=f"Judge each output by this metric instead of per-element tolerances. {_ALGORITHM_HELP}"),
        click.option("--accuracyThreshold", "accuracy_threshold", type=click.FloatRange(min=0), default=0.0,
                     help="With --accuracyAlgorithm: an output fails when its loss >= this (trtexec)."),
        click.option("--saveOutputs", "save_outputs", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Save the reference's inputs and outputs (.npz: input/NAME, output/NAME) for --loadOutputs "
                     "(Polygraphy --save-outputs)."),
        click.option("--loadOutputs", "load_outputs", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Compare the candidate against a --saveOutputs file, on its inputs, instead of running a "
                     "reference model: trtkit compare --loadOutputs ref.npz CANDIDATE (Polygraphy --load-outputs)."),
    ])


def raise_on_failure(results: list[TensorAccuracy]) -> None:
    """Exit 1 with trtexec's one line once the command's report is printed, when a tensor failed."""
    from trtkit.data.accuracy import failure

    error = failure(results)
    if error is not None:
        raise error
