"""`trtkit sweep`: the grid flags (comma lists or repeated) or a TOML --spec, mapped onto Grid, Settings and
SweepOptions; the work is in trtkit.tasks.sweep (imported when the command runs)."""

from __future__ import annotations

from pathlib import Path

import click

from trtkit.cli.common import flavor_option, verbosity, verbosity_options
from trtkit.platform import log

_FILE = click.Path(path_type=Path, dir_okay=False)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--onnx", multiple=True, metavar="MODEL[,MODEL...]", help="ONNX models to sweep (repeatable).")
@click.option("--precision", multiple=True, metavar="P[,P...]",
              help="fp32, fp16, bf16, int8 (default fp32). INT8 needs --calib.")
@click.option("--shapes", multiple=True, metavar="SPEC",
              help="One profile point per occurrence, e.g. --shapes input:1x1x28x28 --shapes input:64x1x28x28.")
@click.option("--builderOptimizationLevel", "opt_level", multiple=True, metavar="L[,L...]",
              help="TensorRT builder optimization levels 0-5 (TensorRT points only).")
@click.option("--backend", multiple=True, metavar="B[,B...]",
              help="tensorrt, onnxruntime, openvino (default onnxruntime).")
@click.option("--spec", type=_FILE, help="The grid and settings from a TOML file (keys: the flags' names); "
              "grid flags given on the command line replace the file's.")
@click.option("--calib", type=click.Path(path_type=Path), help="INT8 calibration data (as trtkit build --calib).")
@click.option("--calibSamples", "calib_samples", type=click.IntRange(min=1), help="Calibration inputs (default 500).")
@click.option("--layerPrecisions", "layer_precisions", metavar="SPEC",
              help="Per-layer precision for the FP16/BF16/INT8 points, e.g. '/0/Conv:fp32' (as trtkit build).")
@click.option("--eval", "eval_data", type=click.Path(path_type=Path, file_okay=False),
              help="Labelled data (MNIST IDX folder or DATA/<label>/*.png): top-1 accuracy of every point.")
@click.option("--evalLimit", "eval_limit", type=click.IntRange(min=1), help="Judge on the first N samples only.")
@click.option("--iterations", type=click.IntRange(min=1), help="Timed queries per point, at least (default 10).")
@click.option("--duration", type=click.FloatRange(min=0), help="Seconds measured per point, at least (default 3).")
@click.option("--warmUp", "warm_up", type=click.FloatRange(min=0), help="Warm-up per point, ms (default 200).")
@click.option("--out", type=_FILE, required=True, help="Results FILE.csv (FILE.json is written beside it).")
@click.option("--resume", is_flag=True, help="Continue --out: skip the points it has (ok or skipped rows).")
@click.option("--plot", type=_FILE, help="Latency against accuracy with the Pareto front (.png/.svg/.pdf).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Local worker processes (for CPU backends).")
@click.option("--devices", metavar="0,1,...", help="One worker per GPU, each bound to its GPU (--device).")
@click.option("--ray", metavar="ADDRESS|local", help="Run each point as a Ray task (needs trtkit[ray]).")
@click.option("--gpuType", "gpu_type", metavar="TYPE",
              help="With --ray: TensorRT points ask for this accelerator type (e.g. H100), so plans run where built.")
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True,
              help="Times a point whose worker process died runs again.")
@click.option("--failOnError", "fail_on_error", is_flag=True, help="Exit 1 when any point failed.")
@flavor_option
@verbosity_options
def sweep(onnx: tuple[str, ...], precision: tuple[str, ...], shapes: tuple[str, ...], opt_level: tuple[str, ...],
          backend: tuple[str, ...], spec: Path | None, calib: Path | None, calib_samples: int | None,
          layer_precisions: str | None,
          eval_data: Path | None, eval_limit: int | None, iterations: int | None, duration: float | None,
          warm_up: float | None, out: Path, resume: bool, plot: Path | None, jobs: int, devices: str | None,
          ray: str | None, gpu_type: str | None, retries: int, fail_on_error: bool, flavor: str | None,
          verbose: bool, quiet: bool) -> None:
    """Build, bench and judge every point of a precision x shape x backend grid; one row per point.

    Points a backend or this machine cannot do are rows with status skipped and the reason. Rows reach
    --out as each point finishes.

    \b
    Example: trtkit sweep --onnx models/mnist.onnx --precision fp32,fp16,int8 --calib DATA \\
               --backend onnxruntime,tensorrt --eval DATA --out sweep.csv --plot sweep.png
    """
    from dataclasses import replace

    from trtkit.platform.errors import TrtkitError, UsageError
    from trtkit.tasks.sweep import SweepOptions, run_sweep
    from trtkit.tasks.sweep_grid import Grid, Settings, load_spec, split_list

    level = verbosity(verbose, quiet)
    log.set_verbosity(level)
    grid, given = load_spec(spec) if spec is not None else (Grid(), {})
    levels = [_int(v, "--builderOptimizationLevel") for v in split_list(opt_level)]
    flags = {"onnx": [Path(m) for m in split_list(onnx)], "precision": split_list(precision),
             "shapes": list(shapes), "opt_level": levels, "backend": split_list(backend)}
    grid = replace(grid, **{k: v for k, v in flags.items() if v})
    for name, value in (("calib", calib), ("calib_samples", calib_samples), ("layer_precisions", layer_precisions),
                        ("eval_data", eval_data),
                        ("eval_limit", eval_limit), ("iterations", iterations), ("duration_s", duration),
                        ("warm_up_ms", warm_up), ("flavor", flavor)):
        if value is not None:
            given[name] = value
    settings = Settings(**given, verbosity=-1 if level < 2 else level)
    ordinals = tuple(_int(v, "--devices") for v in split_list([devices])) if devices else ()
    options = SweepOptions(out=out, resume=resume, plot=plot, jobs=jobs, devices=ordinals, ray=ray,
                           gpu_type=gpu_type, retries=retries, progress=level >= 0)
    if "int8" in grid.precision and settings.calib is None:
        raise UsageError("--precision int8 needs calibration data: --calib DIR|FILE (as trtkit build)")
    outcome = run_sweep(grid, settings, options)
    counts = {s: sum(r.get("status") == s for r in outcome.rows) for s in ("ok", "skipped", "error")}
    click.echo(f"{len(outcome.ran)} points run, {outcome.kept} kept from before; {counts['ok']} ok, "
               f"{counts['skipped']} skipped, {counts['error']} failed; results in {out.with_suffix('.csv')} and "
               f"{out.with_suffix('.json')}")
    if fail_on_error and outcome.failed:
        raise TrtkitError(f"{len(outcome.failed)} of {len(outcome.rows)} points failed (--failOnError); the first: "
                          f"{outcome.failed[0].get('error')}")


def _int(text: str, flag: str) -> int:
    from trtkit.platform.errors import UsageError

    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{flag} {text}: expected whole numbers, comma separated") from None
