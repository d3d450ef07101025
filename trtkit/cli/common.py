"""Options every subcommand shares, spelled as trtexec spells them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from trtkit.platform.trt import FLAVOUR_CHOICES

F = TypeVar("F", bound=Callable[..., object])


def verbosity_options(f: F) -> F:
    """--verbose / --quiet (trtexec's names); --verbose also shows tracebacks on errors."""
    f = click.option("--quiet", "-q", is_flag=True, help="Only errors (trtexec --quiet).")(f)
    return click.option(
        "--verbose", "-v", is_flag=True, help="Verbose TensorRT log and tracebacks on errors (trtexec --verbose)."
    )(f)


def flavor_option(f: F) -> F:
    """--flavor: which TensorRT to load; auto prefers full TensorRT over TensorRT-RTX."""
    return click.option(
        "--flavor",
        type=click.Choice(FLAVOUR_CHOICES),
        default=None,
        help="TensorRT flavour: tensorrt (10.x/11.x), rtx (TensorRT-RTX) or auto (default; $TRTKIT_FLAVOR).",
    )(f)


def verbosity(verbose: bool, quiet: bool) -> int:
    """The level trtkit.platform.trt.Flavour.make_logger takes: -1 quiet, 0 default, 2 verbose."""
    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet contradict each other; give one")
    return 2 if verbose else (-1 if quiet else 0)
