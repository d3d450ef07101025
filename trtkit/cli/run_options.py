"""Option groups for the commands that run a plan: trtexec's inference switches in both generations'
spellings, and the GPU and profile a plan runs on. Each group is a decorator plus a function that pops its
values from the command's keyword arguments, so commands stay a thin mapping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from trtkit.cli.common import with_options

F = TypeVar("F", bound=Callable[..., object])

# (trtexec 10 flag, trtexec 11 flag, BenchOptions field, help of each); the 10.x flag sets the field True
SWITCHES = (
    ("--useCudaGraph", "--noCudaGraph", "use_cuda_graph",
     "Launch each query through a CUDA graph (default with TensorRT 11/RTX).",
     "Plain enqueues, no CUDA graph (default with TensorRT 10)."),
    ("--noDataTransfers", "--includeDataTransfers", "no_data_transfers",
     "Leave the H2D/D2H copies out of the timed queries (default with TensorRT 11/RTX).",
     "Copy inputs and outputs in every timed query (default with TensorRT 10)."),
    ("--useSpinWait", "--noSpinWait", "use_spin_wait",
     "Spin while waiting for the GPU (default with TensorRT 11/RTX).",
     "Block while waiting for the GPU (default with TensorRT 10)."),
)


def inference_switches(f: F) -> F:
    """--useCudaGraph/--noCudaGraph, --noDataTransfers/--includeDataTransfers, --useSpinWait/--noSpinWait,
    --separateProfileRun, --sleepTime, --idleTime: every flavour takes both spellings; a flag left out takes
    the default of the trtexec that ships with the flavour (trtkit.platform.trt.InferenceDefaults)."""
    options = []
    for old, new, field, old_help, new_help in SWITCHES:
        options.append(click.option(old, f"{field}_old", is_flag=True, help=f"{old_help} (trtexec {old})"))
        options.append(click.option(new, f"{field}_new", is_flag=True, help=f"{new_help} (trtexec {new})"))
    options += [
        click.option("--separateProfileRun", "separate_profile_run", is_flag=True,
                     help="Profile layers in a second run, not the timed one (always so with TensorRT 11/RTX)."),
        click.option("--sleepTime", "sleep_time_ms", type=click.FloatRange(min=0), default=0.0, show_default=True,
                     help="Delay between launch and compute start, ms (trtexec --sleepTime)."),
        click.option("--idleTime", "idle_time_ms", type=click.FloatRange(min=0), default=0.0, show_default=True,
                     help="Host sleep between two timed queries, ms (trtexec --idleTime)."),
    ]
    return with_options(f, options)


def switch_values(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The BenchOptions fields of :func:`inference_switches`, popped from ``kwargs``: None where neither
    spelling was given; both spellings of one switch are a usage error."""
    values: dict[str, Any] = {}
    for old, new, field, _, _ in SWITCHES:
        given_old, given_new = kwargs.pop(f"{field}_old"), kwargs.pop(f"{field}_new")
        if given_old and given_new:
            raise click.UsageError(f"{old} and {new} contradict each other; give one")
        values[field] = True if given_old else (False if given_new else None)
    values["separate_profile_run"] = True if kwargs.pop("separate_profile_run") else None
    values["sleep_time_ms"] = kwargs.pop("sleep_time_ms")
    values["idle_time_ms"] = kwargs.pop("idle_time_ms")
    return values


def plan_options(f: F) -> F:
    """--device and --useProfile: where and in which optimization profile a plan runs (trtexec's names)."""
    f = click.option("--useProfile", "use_profile", type=click.IntRange(min=0), default=None,
                     help="Optimization profile to run a multi-profile plan in (trtexec --useProfile; "
                          "default: the first that fits the shapes).")(f)
    return click.option("--device", "device", type=click.IntRange(min=0), default=0, show_default=True,
                        help="GPU ordinal a plan runs on (trtexec --device).")(f)


def plugin_options(f: F) -> F:
    """--staticPlugins (and its deprecated alias --plugins) and --dynamicPlugins, repeatable: plugin libraries
    loaded before a network is parsed or a plan deserialized (trtexec's SystemOptions)."""
    path = click.Path(dir_okay=False)
    f = click.option("--dynamicPlugins", "dynamic_plugins", multiple=True, type=path,
                     help="Plugin library for TensorRT's plugin registry (trtexec --dynamicPlugins; repeatable).")(f)
    f = click.option("--plugins", "deprecated_plugins", multiple=True, type=path, hidden=True)(f)
    return click.option("--staticPlugins", "static_plugins", multiple=True, type=path,
                        help="Plugin library loaded into the process (trtexec --staticPlugins; repeatable).")(f)


def plugin_values(kwargs: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(static, dynamic) plugin libraries popped from ``kwargs``; --plugins warns as trtexec does."""
    from trtkit.platform import log

    old = kwargs.pop("deprecated_plugins")
    if old:
        log.warning("--plugins flag has been deprecated, use --staticPlugins flag instead.")
    return tuple(kwargs.pop("static_plugins")) + tuple(old), tuple(kwargs.pop("dynamic_plugins"))
