"""`trtkit debug precision`: which layers break --fp16/--bf16/--int8 and which to keep in FP32 (Polygraphy's
``debug precision``, run faithfully on the CPU); the work is in trtkit.tasks.debug_precision."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from trtkit.cli.common import verbosity, verbosity_options
from trtkit.cli.infer import input_options, make_input_options
from trtkit.platform import log
from trtkit.platform.errors import UsageError
from trtkit.precision.options import CALIB_ALGOS

_FILE = click.Path(path_type=Path, dir_okay=False)


@click.group("debug", context_settings={"help_option_names": ["-h", "--help"]})
def debug() -> None:
    """Diagnose a model: `trtkit debug precision MODEL --fp16`."""


def _range(ctx: click.Context, param: click.Parameter, value: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected LO,HI, e.g. 0,1") from None
    if not lo < hi:
        raise click.BadParameter(f"{value!r}: LO must be below HI")
    return lo, hi


def _files(paths: tuple[str, ...]) -> tuple[str, ...]:
    """Folders expand to the images and arrays inside them (sorted)."""
    from trtkit.data.inputs import is_array, is_image

    found: list[str] = []
    for p in map(Path, paths):
        found += sorted(str(f) for f in p.iterdir() if is_image(f) or is_array(f)) if p.is_dir() else [str(p)]
    return tuple(found)


@debug.command("precision", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option("--fp16", "reduced", flag_value="fp16", help="Debug the FP16 graph trtkit builds (default).")
@click.option("--bf16", "reduced", flag_value="bf16", help="Debug the BF16 graph.")
@click.option("--int8", "reduced", flag_value="int8", help="Debug the INT8 Q/DQ graph (needs --calib/--calibCache).")
@input_options
@click.option("--inputRange", "input_range", default="0,1", show_default=True, callback=_range, metavar="LO,HI",
              help="Range of the seeded random inputs used without data.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the random inputs.")
@click.option("--atol", type=float, default=1e-2, show_default=True, help="Absolute tolerance on the outputs.")
@click.option("--rtol", type=float, default=1e-2, show_default=True, help="Relative tolerance on the outputs.")
@click.option("--eval", "eval_data", type=click.Path(path_type=Path, file_okay=False),
              help="Labelled data: search for a top-1 target instead of --atol/--rtol.")
@click.option("--evalSamples", "eval_samples", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--maxAccuracyDrop", "max_drop", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="Top-1 points the reduced graph may lose against FP32 (with --eval).")
@click.option("--saveLayerPrecisions", "save", type=_FILE,
              help="Write the keep list in --layerPrecisions format (build --layerPrecisions=@FILE).")
@click.option("--noSearch", "no_search", is_flag=True, help="Only the per-layer table; no keep-list search.")
@click.option("--calib", type=click.Path(path_type=Path), help="INT8 calibration data (as trtkit build).")
@click.option("--calibCache", "calib_cache", type=_FILE, help="INT8 calibration table (as trtkit build).")
@click.option("--calibAlgo", "calib_algo", type=click.Choice(CALIB_ALGOS), default=None)
@click.option("--calibSamples", "calib_samples", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (table, keep list).")
@verbosity_options
def precision(model: Path, inputs: tuple[str, ...], reduced: str | None, input_range: tuple[float, float],
              seed: int, atol: float, rtol: float, eval_data: Path | None, eval_samples: int, max_drop: float,
              save: Path | None, no_search: bool, calib: Path | None, calib_cache: Path | None,
              calib_algo: str | None, calib_samples: int, as_json: bool, verbose: bool, quiet: bool,
              **kwargs: Any) -> None:
    """Compare every layer of MODEL in FP32 and in reduced precision (both run faithfully on the CPU), name
    the first layer past tolerance, and find a few layers to keep in FP32.

    \b
    Example: trtkit debug precision model.onnx --fp16 --saveLayerPrecisions keep.txt
             trtkit build --onnx model.onnx --fp16 --layerPrecisions=@keep.txt
    """
    import json

    from trtkit.precision.options import PrecisionOptions
    from trtkit.tasks.debug_precision import DebugPrecisionOptions, debug_precision

    level = verbosity(verbose, quiet)
    log.set_verbosity(level)
    input_opts = make_input_options(_files(inputs), kwargs)
    input_opts.seed = seed
    if save is not None and save.resolve() == model.resolve():
        raise UsageError(f"--saveLayerPrecisions={save} would overwrite the model; choose another path")
    options = DebugPrecisionOptions(
        model=model, precision=reduced or "fp16", inputs=input_opts, input_range=input_range, atol=atol, rtol=rtol,
        eval_data=eval_data, eval_samples=eval_samples, max_accuracy_drop=max_drop, search=not no_search,
        save_layer_precisions=save, progress=level >= 0 and not as_json,
        calibration=PrecisionOptions(int8=True, calib=calib, calib_cache=calib_cache, calib_algo=calib_algo,
                                     calib_samples=calib_samples, preprocess=input_opts.preprocess),
    )
    result = debug_precision(options)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        from trtkit.tasks.debug_report import report_lines

        for line in report_lines(result, color=sys.stdout.isatty()):
            click.echo(line)
