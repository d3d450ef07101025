"""`trtkit eval`: top-1 accuracy of a plan or ONNX model on a labelled set; a thin mapping onto
trtkit.tasks.eval.EvalOptions (trtexec has no such command: the flags follow `trtkit infer`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from trtkit.cli.common import flavor_option, verbosity, verbosity_options
from trtkit.cli.infer import PRESET_CHOICES
from trtkit.cli.run_options import plan_options
from trtkit.cli.runtime import BACKEND_CHOICES, BACKEND_HELP, pop_runtime, runtime_options
from trtkit.platform import log


@click.command("eval")
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--split", type=click.Choice(("test", "train")), default="test", show_default=True,
              help="MNIST IDX split: t10k-* (test) or train-* files.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Evaluate only the first N samples.")
@click.option("--batch", type=click.IntRange(min=1), default=100, show_default=True,
              help="Samples per run where the model's batch dimension is dynamic.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="auto", show_default=True, help=BACKEND_HELP)
@runtime_options
@click.option("--preprocess", "preset", type=click.Choice(PRESET_CHOICES), default="auto", show_default=True,
              help="Image preset (as `trtkit infer`); auto: unit p/255 for MNIST IDX (white on black), else "
              "invert for 1-channel and imagenet for 3-channel inputs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (accuracy, per class, confusion).")
@plan_options
@flavor_option
@verbosity_options
def eval_(model: Path, data: Path, split: str, limit: int | None, batch: int, backend: str, preset: str,
          as_json: bool, device: int, use_profile: int | None, flavor: str | None, verbose: bool,
          quiet: bool, **kwargs: Any) -> None:
    """Top-1 accuracy of MODEL (a TensorRT plan or .onnx) on DATA: an MNIST IDX folder
    (t10k-images-idx3-ubyte.gz + labels) or one folder of images per class (DATA/<label>/*.png).

    \b
    Example: trtkit eval mnist.plan ../shared/data/mnist
    """
    from trtkit.data.preprocess import PreprocessOptions
    from trtkit.tasks.eval import EvalOptions, evaluate

    level = verbosity(verbose, quiet)
    log.set_verbosity(level)
    precision, threads = pop_runtime(kwargs)
    precision.preprocess = PreprocessOptions(preset=preset)
    options = EvalOptions(model=model, data=data, split=split, limit=limit, batch=batch, backend=backend,
                          preprocess=precision.preprocess, flavor=flavor, verbosity=level, precision=precision,
                          threads=threads, device=device, use_profile=use_profile)
    result = evaluate(options)
    click.echo(json.dumps(result.to_json(), indent=2) if as_json else "\n".join(result.summary()))
