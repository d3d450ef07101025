"""`trtkit build`: trtexec's build flags mapped onto BuildOptions; the work is in trtkit.builder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from trtkit.builder.builder import HARDWARE_COMPATIBILITY, PROFILING_VERBOSITY, BuildOptions, parse_mem_pool_sizes
from trtkit.builder.profiles import ProfileSpec, profiles_from_flags
from trtkit.cli.build_options import io_options, io_values
from trtkit.cli.common import flavor_option, verbosity, verbosity_options
from trtkit.cli.infer import PRESET_CHOICES
from trtkit.cli.run_options import plan_options, plugin_options, plugin_values
from trtkit.platform import log
from trtkit.precision.layers import CONSTRAINTS, layer_options
from trtkit.precision.options import CALIB_ALGOS, CALIB_MODES, PrecisionOptions

_PATH = click.Path(path_type=Path, dir_okay=False)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--onnx", "onnx", type=_PATH, required=True, help="ONNX model to build (trtexec --onnx).")
@click.option("--saveEngine", "save_engine", type=_PATH, help="Write the serialized plan here (trtexec --saveEngine).")
@click.option("--fp16", is_flag=True, help="Enable FP16 (TensorRT 10: builder flag; 11/RTX: graph conversion).")
@click.option("--bf16", is_flag=True, help="Enable BF16 (TensorRT 10: builder flag; 11/RTX: graph conversion).")
@click.option("--int8", is_flag=True, help="Enable INT8, calibrated from --calib data (explicit Q/DQ).")
@click.option("--best", is_flag=True, help="Fastest precision the flavour supports (trtexec --best).")
@click.option("--calib", type=click.Path(path_type=Path),
              help="INT8 calibration data: image folder/file, MNIST IDX folder, .npy/.npz (or a cache, as trtexec).")
@click.option("--calibCache", "calib_cache", type=_PATH,
              help="Calibration table (TensorRT's cache format): reused when present, else written after calibrating.")
@click.option("--calibAlgo", "calib_algo", type=click.Choice(CALIB_ALGOS), default=None,
              help="entropy (default), minmax or percentile.")
@click.option("--calibSamples", "calib_samples", type=click.IntRange(min=1), default=500, show_default=True,
              help="Calibration inputs to use (the first N).")
@click.option("--calibMode", "calib_mode", type=click.Choice(CALIB_MODES), default="explicit", show_default=True,
              help="explicit: Q/DQ graph (every flavour); implicit: TensorRT 10's IInt8EntropyCalibrator2.")
@click.option("--layerPrecisions", "layer_precisions", metavar="SPEC",
              help="Per-layer precision: name:fp32[,...], one '*' wildcard, op:OpType:type, @FILE (trtexec). "
                   "11.x/RTX: the FP16/BF16 conversion's keep list.")
@click.option("--layerOutputTypes", "layer_output_types", metavar="SPEC",
              help="Per-layer output types: name:fp32[+fp16...][,...] (trtexec).")
@click.option("--precisionConstraints", "precision_constraints", type=click.Choice(CONSTRAINTS),
              help="prefer (trtkit's default when per-layer flags are given), obey, or none (ignore them) (trtexec).")
@click.option("--saveConvertedOnnx", "save_converted_onnx", type=_PATH,
              help="Write the exact ONNX graph handed to the parser (converted, quantized or original).")
@click.option("--preprocess", "preset", type=click.Choice(PRESET_CHOICES), default="auto", show_default=True,
              help="Preprocessing of calibration and --eval images (as trtkit infer).")
@click.option("--eval", "eval_data", type=click.Path(path_type=Path, file_okay=False),
              help="Labelled data (MNIST IDX folder or DATA/<label>/*.png): top-1 of the built precision next to FP32.")
@click.option("--noTF32", "no_tf32", is_flag=True, help="Disable TF32 tactics (trtexec --noTF32).")
@click.option("--stronglyTyped", "strongly_typed", is_flag=True,
              help="Strongly typed network (always on for TensorRT 11 and RTX; trtexec --stronglyTyped).")
@click.option("--memPoolSize", "mem_pool", metavar="POOL:SIZE[,...]",
              help="Memory pool limits, e.g. workspace:512M,tacticSharedMem:64K; no suffix = MiB (trtexec).")
@click.option("--minShapes", "min_shapes", multiple=True, metavar="SPEC",
              help="name:1x1x28x28[,...]; repeat the min/opt/max group once per optimization profile.")
@click.option("--optShapes", "opt_shapes", multiple=True, metavar="SPEC", help="Shapes TensorRT tunes for.")
@click.option("--maxShapes", "max_shapes", multiple=True, metavar="SPEC", help="Largest shapes of the profile.")
@click.option("--timingCacheFile", "timing_cache", type=_PATH,
              help="Timing cache: loaded when present, written back after the build (trtexec).")
@click.option("--builderOptimizationLevel", "opt_level", type=int, help="0-5; higher builds slower, runs faster.")
@click.option("--maxAuxStreams", "max_aux_streams", type=int, help="Auxiliary streams per inference (trtexec).")
@click.option("--hardwareCompatibilityLevel", "hw_compat", type=click.Choice(list(HARDWARE_COMPATIBILITY)),
              help="Engine portability across GPU generations (trtexec).")
@click.option("--versionCompatible", "--vc", "version_compatible", is_flag=True,
              help="Plan runs on later TensorRT versions (trtexec --versionCompatible).")
@click.option("--excludeLeanRuntime", "exclude_lean_runtime", is_flag=True,
              help="With --versionCompatible: leave the lean runtime out of the plan; load it with --leanDLLPath "
                   "(trtexec --excludeLeanRuntime).")
@click.option("--profilingVerbosity", "profiling_verbosity", type=click.Choice(list(PROFILING_VERBOSITY)),
              help="Detail kept in the plan for the inspector and profiler (trtexec).")
@click.option("--exportLayerInfo", "export_layer_info", type=_PATH, help="Write layer information JSON (trtexec).")
@click.option("--exportBuildInfo", "export_build_info", type=_PATH,
              help="Write the build summary read back from TensorRT (config, profiles, network precisions) as JSON.")
@click.option("--skipInference", "skip_inference", is_flag=True, help="Build only; no inference run afterwards.")
@io_options
@plugin_options
@plan_options
@flavor_option
@verbosity_options
def build(
    onnx: Path, save_engine: Path | None, fp16: bool, bf16: bool, int8: bool, best: bool, calib: Path | None,
    calib_cache: Path | None, calib_algo: str | None, calib_samples: int, calib_mode: str,
    layer_precisions: str | None, layer_output_types: str | None, precision_constraints: str | None,
    save_converted_onnx: Path | None, preset: str,
    eval_data: Path | None, no_tf32: bool,
    strongly_typed: bool, mem_pool: str | None, min_shapes: tuple[str, ...], opt_shapes: tuple[str, ...],
    max_shapes: tuple[str, ...], timing_cache: Path | None, opt_level: int | None, max_aux_streams: int | None,
    hw_compat: str | None, version_compatible: bool, exclude_lean_runtime: bool, profiling_verbosity: str | None,
    export_layer_info: Path | None, export_build_info: Path | None, skip_inference: bool, device: int,
    use_profile: int | None, flavor: str | None, verbose: bool, quiet: bool, **groups: Any,
) -> None:
    """Build a TensorRT engine (plan) from an ONNX model, as trtexec does.

    \b
    Example: trtkit build --onnx mnist.onnx --fp16 --saveEngine mnist.plan
    """
    from trtkit.data.preprocess import PreprocessOptions

    level = verbosity(verbose, quiet)
    log.set_verbosity(level)
    io = io_values(groups)
    static_plugins, dynamic_plugins = plugin_values(groups)
    shapes = io.pop("shapes")
    profiles = profiles_from_flags(min_shapes, opt_shapes, max_shapes)
    if shapes and not profiles:  # trtexec: --shapes alone builds one profile with min = opt = max
        profiles = [ProfileSpec(dict(shapes), dict(shapes), dict(shapes))]
    precision = PrecisionOptions(
        fp16=fp16, bf16=bf16, int8=int8, best=best, calib=calib, calib_cache=calib_cache, calib_algo=calib_algo,
        calib_samples=calib_samples, calib_mode=calib_mode, preprocess=PreprocessOptions(preset=preset),
        layers=layer_options(layer_precisions, layer_output_types, precision_constraints),
    )
    options = BuildOptions(
        onnx=onnx,
        save_engine=save_engine,
        precision=precision,
        eval_data=eval_data,
        no_tf32=no_tf32,
        strongly_typed=strongly_typed,
        mem_pool_sizes=parse_mem_pool_sizes(mem_pool) if mem_pool else {},
        profiles=profiles,
        timing_cache_file=timing_cache,
        builder_optimization_level=opt_level,
        max_aux_streams=max_aux_streams,
        hardware_compatibility_level=hw_compat,
        version_compatible=version_compatible,
        exclude_lean_runtime=exclude_lean_runtime,
        profiling_verbosity=profiling_verbosity,
        export_layer_info=export_layer_info,
        static_plugins=static_plugins,
        dynamic_plugins=dynamic_plugins,
        device=device,
        export_build_info=export_build_info,
        save_converted_onnx=save_converted_onnx,
        **io,
        flavor=flavor,
        verbosity=level,
    )
    from trtkit.tasks.build import build as run_build
    from trtkit.tasks.build import infer_after_build

    result, _ = run_build(options)
    if not skip_inference:
        from trtkit.backends.plans import PlanLoading
        from trtkit.bench.benchmark import ModelOptions

        # trtexec's one --versionCompatible flag also lets its inference run load the plan it built
        loading = PlanLoading(version_compatible=version_compatible and not exclude_lean_runtime)
        run = ModelOptions(flavor=flavor, verbosity=level, device=device, use_profile=use_profile, shapes=shapes,
                           static_plugins=static_plugins, dynamic_plugins=dynamic_plugins,
                           plan_loading=loading)
        infer_after_build(result.plan, save_engine, run)
