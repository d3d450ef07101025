"""Options every subcommand shares, spelled as trtexec spells them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from trtkit.platform import log
from trtkit.platform.errors import UsageError
from trtkit.platform.trt import FLAVOUR_CHOICES

F = TypeVar("F", bound=Callable[..., object])


def with_options(f: F, options: list[Callable[[F], F]]) -> F:
    """Apply click option decorators as if stacked above ``f`` in this order (the first shows first)."""
    for option in reversed(options):
        f = option(f)
    return f


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


def log_options(f: F) -> F:
    """--logTimestamps and --exportLog FILE: trtexec's log format, on the console or kept in a file written
    when the command succeeds. Both set trtkit.platform.log before the command runs (every invocation
    resets them), so the command function takes no parameter for them."""

    @functools.wraps(f)
    def run(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        result = f(*args, **kwargs)
        path = ctx.meta.get("trtkit.export_log")
        if path is not None:
            log.write_kept(path)
            log.info(f"Log written to {path}")
        return result

    def timestamps(ctx: click.Context, _: click.Parameter, value: bool) -> None:
        log.set_timestamps(value)

    def export(ctx: click.Context, _: click.Parameter, value: Path | None) -> None:
        if value is not None and not value.parent.is_dir():
            raise UsageError(f"--exportLog={value}: directory {value.parent} does not exist; create it first")
        ctx.meta["trtkit.export_log"] = value
        log.keep_lines(value is not None)

    run = click.option("--exportLog", "export_log", type=click.Path(path_type=Path, dir_okay=False),
                       expose_value=False, is_eager=True, callback=export,
                       help="Also write the log, in trtexec's timestamped format, to this file.")(run)
    run = click.option("--logTimestamps", "log_timestamps", is_flag=True, expose_value=False, is_eager=True,
                       callback=timestamps, help="Prefix log lines with trtexec's [MM/DD/YYYY-HH:MM:SS].")(run)
    return run  # type: ignore[return-value]
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
