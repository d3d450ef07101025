"""`trtkit build` option groups added for trtexec fidelity: --shapes (one profile, min = opt = max),
network I/O formats, plugins to serialize. Kept apart from cli/build.py so that each group merges alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from trtkit.cli.common import with_options

F = TypeVar("F", bound=Callable[..., object])


def io_options(f: F) -> F:
    """--shapes, --inputIOFormats, --outputIOFormats, --setPluginsToSerialize."""
    options = [
        click.option("--shapes", "build_shapes", metavar="SPEC",
                     help="Shapes to build for and run with, e.g. input:4x1x28x28: one profile with min = opt = max "
                          "when no --minShapes/--optShapes/--maxShapes are given (trtexec --shapes)."),
        click.option("--inputIOFormats", "input_io_formats", metavar="FMT[,...]",
                     help="Network input type and formats, one for all or one per input: trtexec 10's fp16:chw "
                          "(TensorRT 10), or the format alone, chw / hwc8+chw (every flavour; trtexec 11)."),
        click.option("--outputIOFormats", "output_io_formats", metavar="FMT[,...]",
                     help="Network output type and formats, as --inputIOFormats."),
        click.option("--setPluginsToSerialize", "plugins_to_serialize", multiple=True,
                     type=click.Path(dir_okay=False),
                     help="Plugin library to embed in the plan (trtexec --setPluginsToSerialize; repeatable)."),
    ]
    return with_options(f, options)


def io_values(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The BuildOptions fields of :func:`io_options` (and the --shapes spec), popped from ``kwargs``."""
    from trtkit.builder.io_formats import parse_io_formats
    from trtkit.builder.profiles import parse_shape_spec

    shapes, ins, outs = kwargs.pop("build_shapes"), kwargs.pop("input_io_formats"), kwargs.pop("output_io_formats")
    return {
        "shapes": parse_shape_spec(shapes, "--shapes") if shapes else {},
        "input_io_formats": parse_io_formats(ins, "--inputIOFormats") if ins else [],
        "output_io_formats": parse_io_formats(outs, "--outputIOFormats") if outs else [],
        "plugins_to_serialize": tuple(kwargs.pop("plugins_to_serialize")),
    }
