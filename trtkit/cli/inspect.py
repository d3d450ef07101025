"""`trtkit inspect FILE`: a plan's writer and contents, or an ONNX model's summary and parser support."""

from __future__ import annotations

import json
from pathlib import Path

import click

from trtkit.cli.common import flavor_option, verbosity, verbosity_options
from trtkit.platform import log


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@click.option("--noParser", "no_parser", is_flag=True, help="ONNX: skip the TensorRT parser check.")
@flavor_option
@verbosity_options
def inspect(file: Path, as_json: bool, no_parser: bool, flavor: str | None, verbose: bool, quiet: bool) -> None:
    """Inspect FILE: a TensorRT plan (writer and version from its header, as trtexec --getPlanVersionOnly,
    without a GPU; I/O, profiles, layers and memory where this machine's TensorRT can deserialize it) or an
    ONNX model (opsets, producer, I/O with dynamic dimensions, op histogram, initializers, external data,
    and the nodes the installed TensorRT parser rejects).

    \b
    Examples: trtkit inspect mnist.plan
              trtkit inspect models/mnist.onnx --json
    """
    from trtkit.platform.files import check_readable

    level = verbosity(verbose, quiet)
    log.set_verbosity(level)
    check_readable(file, "model or plan")
    if file.suffix.lower() == ".onnx":
        from trtkit.tasks.inspect_onnx import inspect_onnx, onnx_text

        report = inspect_onnx(file, flavor, parser=not no_parser)
        lines = onnx_text(report)
    else:
        from trtkit.tasks.inspect_plan import inspect_plan, plan_text

        report = inspect_plan(file, flavor, verbosity=level if level >= 2 else -2)
        lines = plan_text(report)
    click.echo(json.dumps(report, indent=2) if as_json else "\n".join(lines))
