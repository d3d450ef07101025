"""`trtkit bench`: trtexec's inference and reporting flags mapped onto ModelOptions and BenchOptions; the
work is in trtkit.bench.benchmark (imported when the command runs, so that `trtkit --help` stays instant)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from trtkit.bench.options import BenchOptions
from trtkit.cli.common import flavor_option, verbosity, verbosity_options
from trtkit.platform import log

if TYPE_CHECKING:
    pass

_FILE = click.Path(path_type=Path, dir_okay=False)
_OUT = click.Path(path_type=Path, dir_okay=False, writable=True)
_DEFAULTS = BenchOptions()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model", required=False, type=_FILE)
@click.option("--loadEngine", "load_engine", type=_FILE, help="TensorRT plan to measure (trtexec --loadEngine).")
@click.option("--onnx", type=_FILE, help="ONNX model: runs on ONNX Runtime, or is built first with --backend tensorrt "
              "(trtexec --onnx).")
@click.option("--backend", type=click.Choice(["auto", "tensorrt", "onnxruntime"]), default="auto", show_default=True,
              help="auto: plans on TensorRT, ONNX models on ONNX Runtime.")
@click.option("--saveEngine", "save_engine", type=_OUT, help="Keep the plan built from --onnx (trtexec --saveEngine).")
@click.option("--shapes", metavar="SPEC", help="Input shapes, e.g. input:64x1x28x28 (trtexec --shapes).")
@click.option("--loadInputs", "load_inputs", metavar="SPEC",
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
@click.option("--useCudaGraph", "use_cuda_graph", is_flag=True,
              help="Launch through a CUDA graph (trtexec --useCudaGraph).")
@click.option("--infStreams", "--streams", "inf_streams", type=click.IntRange(min=1), default=1, show_default=True,
              help="Contexts in flight at once (trtexec --infStreams, formerly --streams).")
@click.option("--noDataTransfers", "no_data_transfers", is_flag=True,
              help="Leave out H2D/D2H copies (trtexec --noDataTransfers).")
@click.option("--useSpinWait", "use_spin_wait", is_flag=True,
              help="Spin instead of blocking on sync (trtexec --useSpinWait).")
@click.option("--separateProfileRun", "separate_profile_run", is_flag=True,
              help="Profile layers in a second run, not the timed one (trtexec --separateProfileRun).")
@click.option("--dumpProfile", "dump_profile", is_flag=True, help="Print per-layer times (trtexec --dumpProfile).")
@click.option("--dumpOutput", "dump_output", is_flag=True,
              help="Print the outputs of the last query (trtexec --dumpOutput).")
@click.option("--exportTimes", "export_times", type=_OUT,
              help="Write every query's timing as JSON (trtexec --exportTimes).")
@click.option("--exportProfile", "export_profile", type=_OUT,
              help="Write per-layer times as JSON (trtexec --exportProfile).")
@click.option("--plot", type=_OUT, help="Save a latency histogram and timeline (.png/.svg/.pdf; needs matplotlib).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout (the report goes to stderr).")
@flavor_option
@verbosity_options
def bench(
    model: Path | None, load_engine: Path | None, onnx: Path | None, backend: str, save_engine: Path | None,
    shapes: str | None, load_inputs: str | None, warm_up: float, iterations: int, duration: float, avg_runs: int,
    percentile: str, use_cuda_graph: bool, inf_streams: int, no_data_transfers: bool, use_spin_wait: bool,
    separate_profile_run: bool, dump_profile: bool, dump_output: bool, export_times: Path | None,
    export_profile: Path | None, plot: Path | None, as_json: bool, flavor: str | None, verbose: bool, quiet: bool,
) -> None:
    """Measure latency and throughput like trtexec: a plan on TensorRT, an ONNX model on ONNX Runtime.

    With no model, the bundled models/mnist.onnx runs. Figures a backend cannot measure (ONNX Runtime has no
    H2D, GPU compute or D2H) print as n/a.

    \b
    Examples: trtkit bench mnist.plan --iterations 1000
              trtkit bench --onnx models/mnist.onnx --shapes input:64x1x28x28 --exportTimes times.json
    """
    from trtkit.bench.benchmark import ModelOptions, benchmark
    from trtkit.bench.stats import parse_percentiles
    from trtkit.platform.errors import UsageError

    level = verbosity(verbose, quiet)
    log.set_verbosity(level)
    if model is not None and load_engine is not None:
        raise UsageError("give the plan once: as MODEL or with --loadEngine")
    model_options = ModelOptions(
        engine=model or load_engine,
        onnx=onnx,
        backend=backend,
        save_engine=save_engine,
        shapes=_shapes(shapes),
        load_inputs=_load_inputs(load_inputs),
        flavor=flavor,
        verbosity=level,
    )
    options = BenchOptions(
        warm_up_ms=warm_up,
        iterations=iterations,
        duration_s=duration,
        avg_runs=avg_runs,
        percentiles=parse_percentiles(percentile),
        use_cuda_graph=use_cuda_graph,
        inf_streams=inf_streams,
        no_data_transfers=no_data_transfers,
        use_spin_wait=use_spin_wait,
        separate_profile_run=separate_profile_run,
        dump_profile=dump_profile,
        dump_output=dump_output,
        export_times=export_times,
        export_profile=export_profile,
        plot=plot,
        progress=level >= 0,
    )
    result = benchmark(model_options, options)
    from trtkit.bench.report import print_report

    print_report(result, options, level, as_json)
    if result.interrupted:
        from trtkit.platform.errors import Interrupted

        raise Interrupted(f"after {len(result.run.trace)} queries; the summary above covers them; nothing exported")


def _shapes(text: str | None) -> dict[str, tuple[int, ...]]:
    from trtkit.builder.profiles import parse_shape_spec

    return parse_shape_spec(text, "--shapes") if text else {}


def _load_inputs(text: str | None) -> dict[str, Path]:
    from trtkit.data.inputs import parse_load_inputs

    return parse_load_inputs(text) if text else {}
