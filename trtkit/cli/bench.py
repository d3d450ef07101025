"""`trtkit bench`: trtexec's inference and reporting flags mapped onto ModelOptions and BenchOptions; the
work is in trtkit.bench.benchmark (imported when the command runs, so that `trtkit --help` stays instant)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from trtkit.bench.options import BenchOptions
from trtkit.cli.accuracy_options import accuracy_options, make_accuracy_options, raise_on_failure
from trtkit.cli.common import (
    flavor_option,
    log_options,
    plan_load_options,
    plan_loading,
    verbosity,
    verbosity_options,
)
from trtkit.cli.run_options import inference_switches, plan_options, plugin_options, plugin_values, switch_values
from trtkit.cli.runtime import BACKEND_CHOICES, BACKEND_HELP, pop_runtime, runtime_options
from trtkit.platform import log

_FILE = click.Path(path_type=Path, dir_okay=False)
_OUT = click.Path(path_type=Path, dir_okay=False, writable=True)
_DEFAULTS = BenchOptions()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model", required=False, type=_FILE)
@click.option("--loadEngine", "load_engine", type=_FILE, help="TensorRT plan to measure (trtexec --loadEngine).")
@click.option("--onnx", type=_FILE, help="ONNX model: runs on ONNX Runtime, or is built first with --backend tensorrt "
              "(trtexec --onnx).")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="auto", show_default=True, help=BACKEND_HELP)
@runtime_options
@click.option("--saveEngine", "save_engine", type=_OUT, help="Keep the plan built from --onnx (trtexec --saveEngine); "
              "OpenVINO: the compiled blob (load it back as MODEL or --loadEngine).")
@click.option("--shapes", metavar="SPEC", help="Input shapes, e.g. input:64x1x28x28 (trtexec --shapes).")
@click.option("--loadInputs", "load_inputs", metavar="SPEC", multiple=True,
              help="name:file[,...]: raw bytes as trtexec reads them, or .npy/.npz/.pb; other inputs get random "
                   "data (trtexec --loadInputs).")
@click.option("--warmUp", "warm_up", type=click.FloatRange(min=0), default=_DEFAULTS.warm_up_ms, show_default=True,
              help="Run this many ms before measuring (trtexec --warmUp).")
@click.option("--iterations", type=click.IntRange(min=0), default=_DEFAULTS.iterations, show_default=True,
              help="Run at least this many timed queries (trtexec --iterations).")
@click.option("--duration", type=click.FloatRange(min=-1), default=_DEFAULTS.duration_s, show_default=True,
              help="And measure for at least this many seconds; -1 runs until Ctrl-C (trtexec --duration).")
@click.option("--avgRuns", "avg_runs", type=click.IntRange(min=1), default=_DEFAULTS.avg_runs, show_default=True,
              help="Queries averaged per line of the trace details, shown with --verbose (trtexec --avgRuns).")
@click.option("--percentile", default="90,95,99", show_default=True, metavar="P1,P2,...",
              help="Percentiles to report, each 0..100 (trtexec --percentile).")
@click.option("--infStreams", "--streams", "inf_streams", type=click.IntRange(min=1), default=1, show_default=True,
              help="Contexts in flight at once (trtexec --infStreams, formerly --streams). OpenVINO: 1 runs the "
                   "latency hint synchronously, N the throughput hint with N streams and N async requests.")
@click.option("--dumpProfile", "dump_profile", is_flag=True, help="Print per-layer times (trtexec --dumpProfile).")
@click.option("--dumpOutput", "dump_output", is_flag=True,
              help="Print the outputs of the last query (trtexec --dumpOutput).")
@click.option("--exportOutput", "export_output", type=_OUT,
              help="Write the outputs of the last query as JSON (trtexec --exportOutput; as trtkit infer).")
@click.option("--exportTimes", "export_times", type=_OUT,
              help="Write every query's timing as JSON (trtexec --exportTimes).")
@click.option("--exportProfile", "export_profile", type=_OUT,
              help="Write per-layer times as JSON (trtexec --exportProfile).")
@click.option("--exportLayerInfo", "export_layer_info", type=_OUT,
              help="Write the layer JSON: TensorRT's engine inspector at the shapes of this run (trtexec); "
                   "OpenVINO's runtime model (kernels, precisions, fusions).")
@click.option("--plot", type=_OUT, help="Save a latency histogram and timeline (.png/.svg/.pdf; needs matplotlib).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout (the report goes to stderr).")
@click.option("--timeDeserialize", "time_deserialize", is_flag=True,
              help="Time deserializing the plan (2 warm-ups, then 1 + 20 timed) instead of running it; fails when "
                   "the first takes over twice the average (trtexec --timeDeserialize).")
@click.option("--getPlanVersionOnly", "plan_version_only", is_flag=True,
              help="Print which TensorRT wrote the plan, from its header (no GPU), and stop (trtexec).")
@inference_switches
@plugin_options
@plan_options
@plan_load_options
@accuracy_options
@flavor_option
@verbosity_options
@log_options
def bench(
    model: Path | None, load_engine: Path | None, onnx: Path | None, backend: str, save_engine: Path | None,
    shapes: str | None, load_inputs: tuple[str, ...], warm_up: float, iterations: int, duration: float, avg_runs: int,
    percentile: str, inf_streams: int, dump_profile: bool, dump_output: bool, export_output: Path | None,
    export_times: Path | None, export_profile: Path | None, export_layer_info: Path | None, plot: Path | None,
    as_json: bool, device: int,
    use_profile: int | None, version_compatible: bool, lean_dll_path: Path | None,
    flavor: str | None, verbose: bool, quiet: bool, **switches: Any,
) -> None:
    """Measure latency and throughput like trtexec: a plan on TensorRT, an ONNX model on ONNX Runtime or
    OpenVINO (--backend openvino, the way benchmark_app measures).

    With no model, the bundled models/mnist.onnx runs. Figures a backend cannot measure (ONNX Runtime has no
    H2D, GPU compute or D2H) print as n/a.

    \b
    Examples: trtkit bench mnist.plan --iterations 1000
              trtkit bench --onnx models/mnist.onnx --shapes input:64x1x28x28 --exportTimes times.json
              trtkit bench --onnx models/mnist.onnx --backend openvino --shapes input:1x1x28x28 --infStreams 2
    """
    from trtkit.bench.benchmark import ModelOptions, benchmark
    from trtkit.bench.stats import parse_percentiles
    from trtkit.platform.errors import UsageError

    level = verbosity(verbose, quiet)
    log.set_verbosity(level)
    precision, threads = pop_runtime(switches)
    if model is not None and load_engine is not None:
        raise UsageError("give the plan once: as MODEL or with --loadEngine")
    if switches.pop("plan_version_only"):
        _print_plan_version(model or load_engine)
        return
    if switches.pop("time_deserialize"):
        _time_deserialize(model or load_engine, flavor, device, switches, level)
        return
    model_options = ModelOptions(
        engine=model or load_engine,
        onnx=onnx,
        backend=backend,
        save_engine=save_engine,
        shapes=_shapes(shapes),
        load_inputs=_load_inputs(load_inputs),
        flavor=flavor,
        device=device,
        use_profile=use_profile,
        verbosity=level,
        plan_loading=plan_loading(version_compatible, lean_dll_path),
        precision=precision,
        threads=threads,
    )
    model_options.static_plugins, model_options.dynamic_plugins = plugin_values(switches)
    options = BenchOptions(
        warm_up_ms=warm_up,
        iterations=iterations,
        duration_s=duration,
        avg_runs=avg_runs,
        percentiles=parse_percentiles(percentile),
        inf_streams=inf_streams,
        dump_profile=dump_profile,
        dump_output=dump_output,
        export_output=export_output,
        export_times=export_times,
        export_profile=export_profile,
        export_layer_info=export_layer_info,
        plot=plot,
        progress=level >= 0,
        **switch_values(switches),
        accuracy=make_accuracy_options(switches, load_inputs),
    )
    result = benchmark(model_options, options)
    from trtkit.bench.report import print_report

    print_report(result, options, level, as_json)
    if result.interrupted:
        from trtkit.platform.errors import Interrupted

        raise Interrupted(f"after {len(result.run.trace)} queries; the summary above covers them; nothing exported")
    raise_on_failure(result.accuracy)


def _print_plan_version(plan: Path | None) -> None:
    """trtexec --getPlanVersionOnly: the writer's version from the header, nothing deserialized."""
    from trtkit.platform.errors import UsageError
    from trtkit.platform.files import read_bytes
    from trtkit.tasks.inspect_plan import read_header

    if plan is None:
        raise UsageError("--getPlanVersionOnly reads a plan: give it as MODEL or with --loadEngine")
    header = read_header(read_bytes(plan, "TensorRT plan"), plan)
    click.echo(f"[I] Plan was created with {header.flavour} version {header.version}")


def _time_deserialize(plan: Path | None, flavor: str | None, device: int, switches: dict[str, Any],
                      level: int) -> None:
    """trtexec --timeDeserialize: its log lines; exit 1 when the first time exceeds twice the average."""
    from trtkit.bench.deserialize import time_deserialize
    from trtkit.platform.errors import TrtkitError, UsageError

    if plan is None:
        raise UsageError("--timeDeserialize times a plan: give it as MODEL or with --loadEngine")
    static, dynamic = plugin_values(switches)
    times = time_deserialize(plan, flavor, device, dynamic, level, static)
    click.echo("\n".join(f"[I] {line}" for line in times.lines()))
    if times.too_slow:
        raise TrtkitError("--timeDeserialize: the first deserialization exceeded twice the average (trtexec fails)")


def _shapes(text: str | None) -> dict[str, tuple[int, ...]]:
    from trtkit.builder.profiles import parse_shape_spec

    return parse_shape_spec(text, "--shapes") if text else {}


def _load_inputs(specs: tuple[str, ...]) -> dict[str, Path]:
    from trtkit.data.inputs import parse_load_inputs

    return {name: path for spec in specs for name, path in parse_load_inputs(spec).items()}
