"""``trtkit bench`` as a function: pick the model and backend, make the inputs, measure, summarize, export.

The command is a thin mapping onto :class:`ModelOptions` and :class:`trtkit.bench.options.BenchOptions`;
``benchmark(ModelOptions(...), BenchOptions(...))`` is the same code path from Python. A plan runs on
TensorRT (timed on the device by the backend's own loop); an ONNX model on ONNX Runtime (timed on the host),
or, with ``backend="tensorrt"``, is built into a plan in memory first. With no model at all the bundled
MNIST model (models/mnist.onnx) is used, and the log says so.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trtkit.backends.base import Backend
from trtkit.backends.loader import BACKEND_CHOICES, ONNX_SUFFIXES, open_backend, resolve_backend
from trtkit.backends.plans import PlanLoading
from trtkit.bench import export
from trtkit.bench.options import BenchOptions
from trtkit.bench.stats import Summary, summarize
from trtkit.bench.trace import BenchRun
from trtkit.data.accuracy import TensorAccuracy
from trtkit.data.examples import BUNDLED_MODEL
from trtkit.platform import log
from trtkit.platform.errors import Interrupted, TrtkitError, UsageError
from trtkit.platform.files import check_readable, check_writable
from trtkit.precision.options import PrecisionOptions

if TYPE_CHECKING:
    from trtkit.platform.trtexec import InferenceDefaults


@dataclass
class ModelOptions:
    """What to measure, one field per trtexec flag."""

    engine: Path | None = None  # --loadEngine (or the MODEL argument): a TensorRT plan
    onnx: Path | None = None  # --onnx: run on ONNX Runtime, or build first with backend="tensorrt"
    backend: str = "auto"  # --backend: auto (plan -> tensorrt, onnx -> onnxruntime, .xml/.blob -> openvino), ...
    save_engine: Path | None = None  # --saveEngine: keep the plan built from --onnx (OpenVINO: the compiled blob)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # --shapes
    load_inputs: dict[str, Path] = field(default_factory=dict)  # --loadInputs
    flavor: str | None = None  # --flavor
    device: int = 0  # --device: GPU ordinal a plan runs on
    use_profile: int | None = None  # --useProfile: optimization profile of a multi-profile plan
    static_plugins: tuple[str, ...] = ()  # --staticPlugins: libraries loaded before the plan is deserialized
    dynamic_plugins: tuple[str, ...] = ()  # --dynamicPlugins: IPluginRegistry.load_library before deserializing
    verbosity: int = 0  # --verbose / --quiet
    plan_loading: PlanLoading = field(default_factory=PlanLoading)  # --versionCompatible, --leanDLLPath
    precision: PrecisionOptions = field(default_factory=PrecisionOptions)  # --fp16 --bf16 --int8 --calib...
    threads: int = 0  # --cpuThreads: CPU backends' thread count (0: the runtime's default)


@dataclass
class BenchResult:
    """A finished benchmark: what ran, on what, and every figure of the report."""

    model: Path
    backend: str
    device_timed: bool
    input_shapes: dict[str, tuple[int, ...]]
    run: BenchRun
    summary: Summary
    options: BenchOptions  # as run: the flavour's defaults filled in (trtkit.bench.options.resolve)
    generation: int | None = None  # trtexec generation of the flavour (10 or 11); None for host-timed backends
    banner: list[str] = field(default_factory=list)  # trtexec's System and Inference Options blocks
    hints: Mapping[str, str] | None = None  # the flavour's trtexec advice after the summary (None: trtexec 10's)
    accuracy: list[TensorAccuracy] = field(default_factory=list)  # --loadRefOutputs: checked before timing
    settings: dict[str, str] = field(default_factory=dict)  # what the backend was told and chose
    interrupted: bool = False  # Ctrl-C: the summary covers the queries that completed; nothing was exported


def check_options(options: BenchOptions) -> None:
    """Values trtexec rejects, refused before anything is loaded."""
    if options.avg_runs < 1:
        raise UsageError(f"--avgRuns={options.avg_runs}: must be at least 1")
    bad = [p for p in options.percentiles if not 0.0 <= p <= 100.0]
    if bad:
        raise UsageError(f"--percentile: {bad[0]:g} is outside 0..100")
    if options.iterations < 0 or options.warm_up_ms < 0:
        raise UsageError("--iterations and --warmUp must be >= 0")
    if options.duration_s < 0 and options.duration_s != -1:
        raise UsageError(f"--duration={options.duration_s:g}: expected seconds >= 0, or -1 to run until Ctrl-C")
    if options.plot is not None:
        from trtkit.bench.plot import check_plot_path

        check_plot_path(options.plot)
    check_writable(("--exportTimes", options.export_times), ("--exportProfile", options.export_profile),
                   ("--exportOutput", options.export_output), ("--plot", options.plot))


def choose_model(model: ModelOptions) -> tuple[Path, bool]:
    """The model file and whether it is ONNX; the bundled MNIST model when none is named."""
    if model.engine is not None and model.onnx is not None:
        raise UsageError("give either a plan (MODEL or --loadEngine) or --onnx, not both")
    if model.backend not in BACKEND_CHOICES:
        raise UsageError(f"--backend {model.backend}: expected one of {', '.join(BACKEND_CHOICES)}")
    named = model.onnx if model.onnx is not None else model.engine
    if named is not None:
        path = Path(named)
        check_readable(path, "model")
        return path, model.onnx is not None or path.suffix.lower() in ONNX_SUFFIXES
    if not BUNDLED_MODEL.is_file():
        raise TrtkitError(f"no model given, and the bundled {BUNDLED_MODEL} is missing; name a plan "
                          "(trtkit bench model.plan) or an ONNX model (--onnx model.onnx)")
    log.info(f"no model given: using the bundled MNIST model {BUNDLED_MODEL}")
    return BUNDLED_MODEL, True


@contextmanager
def open_bench_backend(model: ModelOptions, bench: BenchOptions | None = None) -> Iterator[tuple[Path, Backend]]:
    """The backend that runs the chosen model: an ONNX model with backend="tensorrt" is built first (with the
    precision flags); one on a CPU backend opens as the precision flags make it (:mod:`trtkit.builder.cpu_model`)."""
    path, is_onnx = choose_model(model)
    kind = resolve_backend(path, model.backend)
    if kind in ("onnxruntime", "openvino", "reference"):
        with _open_cpu(path, kind, model, bench or BenchOptions()) as backend:
            yield path, backend
        return
    if model.save_engine is not None and not is_onnx:
        raise UsageError("--saveEngine keeps the plan built from --onnx with --backend tensorrt, or the blob OpenVINO "
                         "compiles from .onnx/.xml; nothing is built here")
    if model.threads:
        raise UsageError(f"--cpuThreads={model.threads}: sets the CPU backends' threads; {path} runs on TensorRT")
    options = {"flavor": model.flavor, "verbosity": model.verbosity, "gpu": model.device,
               "profile": model.use_profile, "plugins": (model.static_plugins, model.dynamic_plugins),
               **model.plan_loading.kwargs()}
    if is_onnx:
        from trtkit.builder.builder import BuildOptions, build
        from trtkit.builder.profiles import ProfileSpec

        profiles = [ProfileSpec(dict(model.shapes), dict(model.shapes), dict(model.shapes))] if model.shapes else []
        result = build(BuildOptions(onnx=path, save_engine=model.save_engine, precision=model.precision,
                                    profiles=profiles, flavor=model.flavor, static_plugins=model.static_plugins,
                                    dynamic_plugins=model.dynamic_plugins, device=model.device,
                                    verbosity=model.verbosity))
        with tempfile.TemporaryDirectory(prefix="trtkit-bench-") as scratch:
            plan = model.save_engine or Path(scratch) / f"{path.stem}.plan"
            if model.save_engine is None:
                plan.write_bytes(result.plan)
            try:
                backend = open_backend(plan, "tensorrt", **options)
            except TrtkitError as e:  # name a scratch plan by where it came from, not by its temporary path
                if model.save_engine is not None:
                    raise
                raise TrtkitError(str(e).replace(str(plan), f"the plan built from {path}")) from None
            with backend:
                yield path, backend
        return
    precision = model.precision
    if any((precision.fp16, precision.bf16, precision.int8, precision.best)):
        raise UsageError(f"{path}: a TensorRT plan's precision was fixed when it was built; precision flags apply to "
                         "an ONNX model (--onnx)")
    with open_backend(path, "tensorrt", **options) as backend:
        yield path, backend


@contextmanager
def _open_cpu(path: Path, kind: str, model: ModelOptions, bench: BenchOptions) -> Iterator[Backend]:
    """ONNX Runtime or OpenVINO with the runtime settings the flags give; --saveEngine exports OpenVINO's blob."""
    from trtkit.builder.cpu_model import open_model

    if model.save_engine is not None and (kind != "openvino" or path.suffix.lower() == ".blob"):
        raise UsageError(f"--saveEngine keeps the plan built from --onnx with --backend tensorrt, or the blob OpenVINO "
                         f"compiles from .onnx/.xml; {path.name} on {kind} compiles nothing to save")
    with open_model(path, kind, precision=model.precision, threads=model.threads, shapes=model.shapes,
                    streams=bench.inf_streams, perf_counts=bench.dump_profile or bench.export_profile is not None,
                    flavor=model.flavor, verbosity=model.verbosity) as backend:
        if model.save_engine is not None:
            backend.export(model.save_engine)  # type: ignore[attr-defined]
            log.info(f"Compiled blob written to {model.save_engine}")
        yield backend


def make_feeds(backend: Backend, model: ModelOptions) -> dict[str, np.ndarray]:
    """One feed per input, as every trtkit command makes them: --loadInputs files, else seeded random data,
    in the shapes --shapes gives (dynamic dimensions it leaves out become 1, with a warning)."""
    from trtkit.data.feeds import InputOptions, make_runs
    from trtkit.data.tensors import format_shape as fmt

    (run,) = make_runs(backend.inputs, InputOptions(load_inputs=model.load_inputs, shapes=model.shapes),
                       random=True).runs
    tuned = {i.name for i in backend.inputs if i.opt_values is not None}  # shape tensors: the profile's values
    for name, array in run.feeds.items():
        source = model.load_inputs.get(name, f"values {array.ravel().tolist()}" if name in tuned else "random values")
        log.info(f"Input binding for {name} with dimensions {fmt(array.shape)} is created ({source}).")
    return run.feeds


def is_device_timed(backend: Backend) -> bool:
    """TensorRT times its phases with CUDA events on the device; every other backend is timed on the host."""
    from trtkit.backends.tensorrt import TensorRTBackend

    return isinstance(backend, TensorRTBackend)


def resolve_for(backend: Backend, options: BenchOptions) -> tuple[BenchOptions, InferenceDefaults | None]:
    """The options as they will run and the trtexec defaults they follow: a TensorRT plan takes its
    flavour's (with trtexec 11's deprecation warnings); host-timed backends leave the switches unset."""
    if not is_device_timed(backend):
        return options, None
    from trtkit.bench.options import resolve

    defaults: InferenceDefaults = backend.flavour.inference  # type: ignore[attr-defined]
    return resolve(options, defaults), defaults


def measure(backend: Backend, feeds: dict[str, np.ndarray], options: BenchOptions) -> BenchRun:
    """The loop the backend needs: trtexec's device loop (CUDA events, graphs, streams) for TensorRT, the host
    loop for the rest. Bench picks it, so that backends know nothing of bench."""
    if is_device_timed(backend):
        from trtkit.bench.device_loop import measure as device_measure

        return device_measure(backend, feeds, options)
    from trtkit.backends.openvino import OpenVINOBackend

    if isinstance(backend, OpenVINOBackend):
        from trtkit.bench.openvino_loop import measure as openvino_measure

        return openvino_measure(backend, feeds, options)
    from trtkit.bench.host_loop import measure as host_measure

    return host_measure(backend, feeds, options)


def log_device_information(backend: Backend, device_timed: bool) -> None:
    """trtexec's "=== Device Information ===" block, the selected GPU (trex's "Device Properties"); a
    host-timed backend has none."""
    gpu = getattr(backend, "device", None) if device_timed else None
    name = getattr(gpu, "name", None)
    if name is not None:
        log.section("Device Information", {"Selected Device": name})


def benchmark(model: ModelOptions, options: BenchOptions) -> BenchResult:
    """Measure like trtexec and write the files ``options`` asks for (--exportTimes, --exportProfile,
    --exportLayerInfo, --plot)."""
    check_options(options)
    with open_bench_backend(model, options) as (path, backend):
        device = is_device_timed(backend)
        log.info(f"Model: {path} on {backend.name} ({'device' if device else 'host'}-timed)")
        options, defaults = resolve_for(backend, options)
        feeds = make_feeds(backend, model)
        log_device_information(backend, device)
        settings = dict(backend.settings)
        if options.export_layer_info is not None and hasattr(backend, "layer_info"):  # OpenVINO
            export.write_runtime_layer_info(backend.layer_info(), options.export_layer_info)
        accuracy = []
        if options.accuracy is not None and options.accuracy.enabled:
            from trtkit.backends.validation import check_backend

            accuracy = check_backend(backend, options.accuracy, model.shapes)  # trtexec: the first iterations
        log.info("Starting inference")
        run = measure(backend, feeds, options)
        name = backend.name
    if len(run.trace) == 0 and run.interrupted:
        raise Interrupted(f"{path}: no query completed; nothing measured, nothing exported")
    if len(run.trace) == 0:
        raise TrtkitError(f"{path}: the run recorded no timed queries; raise --iterations or --duration")
    summary = summarize(run.trace, run.walltime_ms, options.percentiles, device=device)
    from trtkit.bench.banner import inference_lines, system_lines

    generation = defaults.generation if defaults is not None else None
    banner = system_lines(model.device) + inference_lines(options, generation, model.shapes, model.load_inputs,
                                                          model.use_profile)
    result = BenchResult(path, name, device, {k: tuple(np.shape(v)) for k, v in feeds.items()}, run, summary, options,
                         generation, banner, defaults.hints if defaults is not None else None, accuracy,
                         settings, run.interrupted)
    if not run.interrupted:  # a partial run is reported, never exported as if it were the asked-for one
        export.write_exports(result, options)
    return result
