"""Flags that say how a model runs on a CPU backend (precision, threads), shared by infer, bench, compare and
eval. Not a command: the commands apply :func:`runtime_options` and read the flags with :func:`pop_runtime`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from trtkit.cli.common import with_options
from trtkit.precision.options import CALIB_ALGOS, PrecisionOptions

F = TypeVar("F", bound=Callable[..., object])
BACKEND_CHOICES = ("auto", "tensorrt", "onnxruntime", "openvino", "reference")
BACKEND_HELP = ("auto: .onnx on ONNX Runtime, .xml/.blob on OpenVINO, anything else is a TensorRT plan; openvino "
                "runs .onnx, IR and compiled blobs on the CPU; reference stores every tensor of an FP16/BF16/INT8 "
                ".onnx in its declared type (chosen by auto for such graphs where accuracy is judged).")


def runtime_options(f: F) -> F:
    """--cpuThreads, --fp16/--bf16 (OpenVINO's precision hint) and --int8 with its calibration flags."""
    options = [
        click.option("--cpuThreads", "cpu_threads", type=click.IntRange(min=0), default=0, show_default=True,
                     help="CPU backends' threads: ONNX Runtime intra-op threads, OpenVINO INFERENCE_NUM_THREADS "
                          "(0: the runtime's default)."),
        click.option("--fp16", is_flag=True, help="OpenVINO: INFERENCE_PRECISION_HINT f16 (default f32, set "
                     "explicitly); bench --backend tensorrt: build FP16."),
        click.option("--bf16", is_flag=True, help="OpenVINO: INFERENCE_PRECISION_HINT bf16 (what OpenVINO picks by "
                     "itself on AMX/AVX512-BF16 CPUs when nothing is set)."),
        click.option("--int8", is_flag=True, help="Run trtkit's calibrated Q/DQ graph (the one TensorRT builds), "
                     "from --calib data or an existing --calibCache."),
        click.option("--calib", type=click.Path(path_type=Path), help="INT8 calibration data (as trtkit build)."),
        click.option("--calibCache", "calib_cache", type=click.Path(path_type=Path, dir_okay=False),
                     help="Calibration table: reused when present, else written after calibrating."),
        click.option("--calibAlgo", "calib_algo", type=click.Choice(CALIB_ALGOS), default=None,
                     help="Calibration algorithm (default entropy)."),
        click.option("--calibSamples", "calib_samples", type=click.IntRange(min=1), default=500, show_default=True,
                     help="Calibration inputs to use."),
    ]
    return with_options(f, options)


def pop_runtime(kwargs: dict[str, Any]) -> tuple[PrecisionOptions, int]:
    """The precision options and thread count of :func:`runtime_options`' flags, popped from ``kwargs``."""
    precision = PrecisionOptions(fp16=kwargs.pop("fp16"), bf16=kwargs.pop("bf16"), int8=kwargs.pop("int8"),
                                 calib=kwargs.pop("calib"), calib_cache=kwargs.pop("calib_cache"),
                                 calib_algo=kwargs.pop("calib_algo"), calib_samples=kwargs.pop("calib_samples"))
    return precision, kwargs.pop("cpu_threads")
