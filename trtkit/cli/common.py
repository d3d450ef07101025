"""Options every subcommand shares, spelled as trtexec spells them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
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
    """The level trtkit.platform.flavours.Flavour.make_logger takes: -1 quiet, 0 default, 2 verbose."""
    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet contradict each other; give one")
    return 2 if verbose else (-1 if quiet else 0)


def plan_load_options(f: F) -> F:
    """--versionCompatible and --leanDLLPath where a plan is loaded, as trtexec has them."""
    f = click.option(
        "--leanDLLPath", "lean_dll_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
        help="Lean runtime library for a plan built with --excludeLeanRuntime (trtexec --leanDLLPath).",
    )(f)
    return click.option(
        "--versionCompatible", "--vc", "version_compatible", is_flag=True,
        help="Allow a version-compatible plan's embedded lean runtime to run (it is code from the plan file; "
        "trtexec --versionCompatible).",
    )(f)


def plan_loading(version_compatible: bool, lean_dll_path: Path | None) -> object:
    """The PlanLoading of those flags (imported when a command runs, so that --help stays instant)."""
    from trtkit.backends.plans import PlanLoading

    return PlanLoading(version_compatible, lean_dll_path)
