"""The builder: ONNX model -> TensorRT network -> builder config -> serialized plan, written atomically.

The same function serves ``trtkit build`` and the Python API (``trtkit.build(BuildOptions(...))``).
Precision reaches TensorRT through :mod:`trtkit.precision.prepare`, which the flavour steers (builder flags on
TensorRT 10, a converted graph on TensorRT 11 and RTX); everything else here is common to all flavours.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from trtkit.builder import timing_cache
from trtkit.builder.io_formats import IOFormat, apply_io_formats
from trtkit.builder.options_log import log_build_options
from trtkit.builder.profiles import ProfileSpec, add_to_config, resolve
from trtkit.builder.summary import BuildSummary, read_back
from trtkit.data.models import check_onnx_model
from trtkit.data.tensors import format_shape as fmt
from trtkit.platform import log
from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.platform.files import check_writable, read_bytes, write_atomic
from trtkit.platform.flavours import Flavour
from trtkit.platform.trt import load
from trtkit.precision.options import PrecisionOptions
from trtkit.precision.prepare import PreparedModel, prepare

if TYPE_CHECKING:
    import tensorrt as trt


MEM_POOLS = {"workspace": "WORKSPACE", "tacticSharedMem": "TACTIC_SHARED_MEMORY"}
HARDWARE_COMPATIBILITY = {"none": "NONE", "ampere+": "AMPERE_PLUS", "sameComputeCapability": "SAME_COMPUTE_CAPABILITY"}
PROFILING_VERBOSITY = {"layer_names_only": "LAYER_NAMES_ONLY", "detailed": "DETAILED", "none": "NONE"}
MAX_POOL_BYTES = (1 << 64) - 1  # size_t
_SIZE_UNITS = {"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


@dataclass
class BuildOptions:
    """One field per trtexec build flag (the flag is in each comment)."""

    onnx: Path  # --onnx
    save_engine: Path | None = None  # --saveEngine
    precision: PrecisionOptions = field(default_factory=PrecisionOptions)  # --fp16 --bf16 --int8 --best --calib*
    no_tf32: bool = False  # --noTF32
    strongly_typed: bool = False  # --stronglyTyped
    mem_pool_sizes: dict[str, int] = field(default_factory=dict)  # --memPoolSize (bytes per pool)
    profiles: list[ProfileSpec] = field(default_factory=list)  # --minShapes/--optShapes/--maxShapes
    timing_cache_file: Path | None = None  # --timingCacheFile
    builder_optimization_level: int | None = None  # --builderOptimizationLevel (0-5)
    max_aux_streams: int | None = None  # --maxAuxStreams
    hardware_compatibility_level: str | None = None  # --hardwareCompatibilityLevel
    version_compatible: bool = False  # --versionCompatible
    exclude_lean_runtime: bool = False  # --excludeLeanRuntime: a version-compatible plan without the lean runtime
    profiling_verbosity: str | None = None  # --profilingVerbosity
    export_layer_info: Path | None = None  # --exportLayerInfo
    input_io_formats: list[IOFormat] = field(default_factory=list)  # --inputIOFormats
    output_io_formats: list[IOFormat] = field(default_factory=list)  # --outputIOFormats
    static_plugins: tuple[str, ...] = ()  # --staticPlugins (--plugins): libraries loaded into the process
    dynamic_plugins: tuple[str, ...] = ()  # --dynamicPlugins: IPluginRegistry.load_library before parsing
    plugins_to_serialize: tuple[str, ...] = ()  # --setPluginsToSerialize: plugin libraries embedded in the plan
    device: int = 0  # --device: GPU the builder tunes on
    export_build_info: Path | None = None  # --exportBuildInfo (trtkit's: the build summary read back, JSON)
    save_converted_onnx: Path | None = None  # --saveConvertedOnnx: the exact graph handed to the parser
    eval_data: Path | None = None  # --eval: labelled data for top-1 of the built precision next to FP32
    flavor: str | None = None  # --flavor
    verbosity: int = 0  # --verbose / --quiet


@dataclass
class BuildResult:
    """What a build produced, for the log, the tests and callers of the Python API."""

    plan: bytes
    flavour: str
    precision: str
    num_layers: int
    inputs: dict[str, tuple[int, ...]]
    outputs: dict[str, tuple[int, ...]]
    profiles: list[ProfileSpec]
    build_time_s: float
    timing_cache_loaded: bool = False
    layer_info_source: str | None = None
    prepared: PreparedModel | None = None  # what the parser was given (the converted graph, if any)
    summary: BuildSummary | None = None  # the configuration read back from TensorRT before the build


def parse_mem_pool_sizes(text: str) -> dict[str, int]:
    """``workspace:512M,tacticSharedMem:64K`` -> bytes per pool. No suffix means MiB, as in trtexec."""
    pools: dict[str, int] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, _, size = item.partition(":")
        if name not in MEM_POOLS:
            raise UsageError(f"--memPoolSize={text}: unknown pool {name!r}; trtkit supports {', '.join(MEM_POOLS)}")
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([BKMG]?)", size.strip(), re.IGNORECASE)
        if not match:
            raise UsageError(f"--memPoolSize={text}: size of {name} must be a number with an optional B/K/M/G suffix")
        number, unit = match.groups()
        pools[name] = int(Fraction(number) * _SIZE_UNITS[(unit or "M").upper()])  # exact: no float overflow
        if pools[name] > MAX_POOL_BYTES:  # the bindings take a size_t; more would be a TypeError there
            raise UsageError(f"--memPoolSize={text}: {name} of {pools[name]} bytes is beyond the 64-bit range "
                             f"TensorRT accepts (at most {MAX_POOL_BYTES >> 30}G)")
    return pools


def _diagnose_model(path: Path) -> None:
    """After a parser failure: say so in one line if the file is not an ONNX model at all (the parser's own
    error for that is cryptic). Kept off the success path, where importing onnx would only cost start-up."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(read_bytes(path, "ONNX model"))
    except (DecodeError, ValueError, RuntimeError) as e:
        raise TrtkitError(f"{path}: not a valid ONNX model ({e.__class__.__name__}); check the file") from None
    if not model.graph.node:
        raise TrtkitError(f"{path}: ONNX model has an empty graph (no nodes)")


def _parse(flavour: Flavour, network: trt.INetworkDefinition, logger: trt.ILogger, path: Path,
           prepared: PreparedModel) -> str:
    """Parse the converted graph, else the file; return which one, for the build summary."""
    trt = flavour.module
    parser: trt.OnnxParser = trt.OnnxParser(network, logger)
    ok = parser.parse(prepared.onnx, str(path)) if prepared.onnx is not None else parser.parse_from_file(str(path))
    if ok and network.num_outputs > 0:
        return f"a converted graph of {path.name}: {prepared.description}" if prepared.onnx else f"{path}"
    _diagnose_model(path)
    if ok:
        raise TrtkitError(f"{path}: the model has no outputs; nothing to build")
    causes = []
    for i in range(parser.num_errors):
        error: trt.ParserError = parser.get_error(i)
        where = f"node {error.node_name() or error.node()!r} ({error.node_operator()})" if error.node() >= 0 else ""
        unsupported = "unsupported op: " if error.code().name.startswith("UNSUPPORTED") else ""
        causes.append(f"{unsupported}{where}: {error.desc()}" if where else f"{unsupported}{error.desc()}")
    raise TrtkitError(f"{path}: ONNX parser failed: {causes[0] if causes else 'no error recorded'}"
                      + (f" (and {len(causes) - 1} more errors; --verbose shows the log)" if len(causes) > 1 else ""))


def _io(tensors: list[trt.ITensor]) -> dict[str, tuple[int, ...]]:
    return {t.name: tuple(t.shape) for t in tensors}


def _configure(flavour: Flavour, builder: trt.Builder, config: trt.IBuilderConfig, options: BuildOptions,
               prepared: PreparedModel, profiles: list[ProfileSpec]) -> list[trt.IOptimizationProfile]:
    trt = flavour.module
    for name, size in options.mem_pool_sizes.items():
        config.set_memory_pool_limit(getattr(trt.MemoryPoolType, MEM_POOLS[name]), size)
    if options.no_tf32:
        config.clear_flag(trt.BuilderFlag.TF32)
    flavour.set_precision_flags(config, prepared.builder_flags)
    if prepared.calibrator is not None:
        flavour.set_int8_calibrator(config, prepared.calibrator)
    if options.version_compatible:
        config.set_flag(trt.BuilderFlag.VERSION_COMPATIBLE)
    if options.exclude_lean_runtime:
        config.set_flag(trt.BuilderFlag.EXCLUDE_LEAN_RUNTIME)
    if options.builder_optimization_level is not None:
        config.builder_optimization_level = options.builder_optimization_level
    if options.max_aux_streams is not None:
        config.max_aux_streams = options.max_aux_streams
    if options.plugins_to_serialize:
        config.plugins_to_serialize = list(options.plugins_to_serialize)
    if options.hardware_compatibility_level is not None:
        level = HARDWARE_COMPATIBILITY[options.hardware_compatibility_level]
        config.hardware_compatibility_level = getattr(trt.HardwareCompatibilityLevel, level)
    verbosity = options.profiling_verbosity or ("detailed" if options.export_layer_info else None)
    if verbosity is not None:
        config.profiling_verbosity = getattr(trt.ProfilingVerbosity, PROFILING_VERBOSITY[verbosity])
    return add_to_config(builder, config, profiles)


def _check(options: BuildOptions) -> None:
    if options.builder_optimization_level is not None and not 0 <= options.builder_optimization_level <= 5:
        raise UsageError(f"--builderOptimizationLevel={options.builder_optimization_level}: expected 0 to 5")
    if options.max_aux_streams is not None and options.max_aux_streams < 0:
        raise UsageError(f"--maxAuxStreams={options.max_aux_streams}: expected >= 0")
    level = options.hardware_compatibility_level
    if level is not None and level not in HARDWARE_COMPATIBILITY:
        raise UsageError(f"--hardwareCompatibilityLevel={level}: expected one of {', '.join(HARDWARE_COMPATIBILITY)}")
    if options.profiling_verbosity is not None and options.profiling_verbosity not in PROFILING_VERBOSITY:
        raise UsageError(
            f"--profilingVerbosity={options.profiling_verbosity}: expected one of {', '.join(PROFILING_VERBOSITY)}"
        )
    if options.exclude_lean_runtime and not options.version_compatible:
        raise UsageError("--excludeLeanRuntime applies to version-compatible plans; add --versionCompatible")
    if options.eval_data is not None and not options.eval_data.is_dir():
        raise UsageError(f"--eval={options.eval_data}: not a directory (MNIST IDX folder or DATA/<label>/*.png)")
    for flag, target in (("--saveEngine", options.save_engine), ("--saveConvertedOnnx", options.save_converted_onnx)):
        if target is not None and target.resolve() == Path(options.onnx).resolve():
            raise UsageError(f"{flag}={target} would overwrite the ONNX model; choose another path")
    check_writable(("--saveEngine", options.save_engine), ("--exportLayerInfo", options.export_layer_info),
                   ("--timingCacheFile", options.timing_cache_file),
                   ("--saveConvertedOnnx", options.save_converted_onnx))  # refused before a long build, not after


def build(options: BuildOptions) -> BuildResult:
    """Build a plan from ``options.onnx``; write it to ``options.save_engine`` (atomically) when given.
    With --device N > 0 GPU N is made current first, as trtexec does, since TensorRT tunes on the current
    device (GPU 0 needs no CUDA context here, so TensorRT-RTX still builds on a machine without a GPU)."""
    if options.device:
        from trtkit.platform.cuda import Device

        with Device(options.device):
            return _build(options)
    return _build(options)


def _build(options: BuildOptions) -> BuildResult:
    _check(options)
    path = Path(options.onnx)
    check_onnx_model(path)
    flavour = load(options.flavor)
    trt = flavour.module
    log.info(f"{flavour} ({flavour.key})")
    prepared = prepare(path, options.precision, flavour, options.strongly_typed)
    if options.save_converted_onnx is not None:
        graph = prepared.onnx if prepared.onnx is not None else read_bytes(path, "ONNX model")
        write_atomic(options.save_converted_onnx, graph)
        log.info(f"Graph handed to the parser saved to {options.save_converted_onnx}")
    errors: list[str] = []
    logger: trt.ILogger = flavour.make_logger(options.verbosity, errors)
    builder: trt.Builder = trt.Builder(logger)
    flavour.load_plugins(builder.get_plugin_registry(), options.static_plugins, options.dynamic_plugins, errors)
    network: trt.INetworkDefinition = builder.create_network(flavour.network_flags(options.strongly_typed))
    parsed = _parse(flavour, network, logger, path, prepared)
    network_inputs = [network.get_input(i) for i in range(network.num_inputs)]
    network_outputs = [network.get_output(i) for i in range(network.num_outputs)]
    strongly_typed = options.strongly_typed or not flavour.weak_typing
    apply_io_formats(flavour, network_inputs, options.input_io_formats, "--inputIOFormats", strongly_typed)
    apply_io_formats(flavour, network_outputs, options.output_io_formats, "--outputIOFormats", strongly_typed)
    inputs, outputs = _io(network_inputs), _io(network_outputs)
    log.info(f"Parsed {path.name}: {network.num_layers} layers; inputs {_describe(inputs)}; "
             f"outputs {_describe(outputs)}")
    log.info(f"Precision: {prepared.description}")
    shape_tensors = frozenset(network.get_input(i).name for i in range(network.num_inputs)
                              if network.get_input(i).is_shape_tensor)
    profiles = resolve(list(options.profiles), inputs, shape_tensors)
    for i, p in enumerate(profiles):
        shapes = "; ".join(f"{n}{' values' if n in shape_tensors else ''} min {fmt(p.min[n])} opt {fmt(p.opt[n])} "
                           f"max {fmt(p.max[n])}" for n in p.opt)
        log.info(f"Optimization profile {i}: {shapes}")
    log_build_options(options, flavour, prepared, profiles, MEM_POOLS)
    config: trt.IBuilderConfig = builder.create_builder_config()
    added = _configure(flavour, builder, config, options, prepared, profiles)
    if prepared.layers is not None:
        from trtkit.builder.layer_precisions import apply

        log.info(apply(flavour, network, config, prepared.layers, path))
    cache_file = timing_cache.usable(flavour, options.timing_cache_file)
    cache_loaded = timing_cache.load(config, cache_file)
    summary = read_back(flavour, network, config, added, parsed)
    if options.verbosity >= 2:
        for line in summary.lines():
            log.info(line)
    start = time.perf_counter()
    serialized: trt.IHostMemory | None = builder.build_serialized_network(network, config)
    build_time = time.perf_counter() - start
    if serialized is None:
        cause = errors[-1] if errors else "no error recorded (--verbose shows the log)"
        if "libnvinfer_lean" in cause and not options.exclude_lean_runtime:
            cause += " (this TensorRT has no lean runtime to embed: add --excludeLeanRuntime)"
        raise TrtkitError(f"{path}: engine build failed: {cause}")
    plan = bytes(memoryview(serialized))
    log.info(f"Engine built in {build_time:.3f} s")
    log.info(f"Engine size: {len(plan) / (1 << 20):.2f} MiB ({len(plan)} bytes)")
    if cache_file is not None:
        timing_cache.save(config, cache_file)
    result = BuildResult(plan, str(flavour), prepared.description, network.num_layers, inputs, outputs, profiles,
                         build_time, cache_loaded, prepared=prepared, summary=summary)
    if options.export_build_info is not None:
        summary.export(options.export_build_info)
        log.info(f"Build summary written to {options.export_build_info}")
    if options.export_layer_info is not None:
        from trtkit.builder.layer_info import export_layer_info

        result.layer_info_source = export_layer_info(flavour, plan, network, options.export_layer_info, profiles)
        log.info(f"Layer information ({result.layer_info_source}) written to {options.export_layer_info}")
    if options.save_engine is not None:
        write_atomic(options.save_engine, plan)
        log.info(f"Engine saved to {options.save_engine}")
    return result


def _describe(tensors: dict[str, tuple[int, ...]]) -> str:
    return ", ".join(f"{name} [{','.join(str(d) for d in shape)}]" for name, shape in tensors.items())
