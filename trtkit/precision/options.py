"""Precision and calibration flags (``--fp16/--bf16/--int8/--best/--calib...``) and their checks. Imported by
the CLI, so it imports nothing heavy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trtkit.platform.errors import UsageError
from trtkit.precision.layers import LayerPrecisions

if TYPE_CHECKING:
    from trtkit.data.preprocess import PreprocessOptions

CALIB_ALGOS = ("entropy", "minmax", "percentile")
CALIB_MODES = ("explicit", "implicit")


@dataclass
class PrecisionOptions:
    """Precision and calibration flags, named as trtexec names them (the flag is in each comment)."""

    fp16: bool = False  # --fp16
    bf16: bool = False  # --bf16
    int8: bool = False  # --int8
    best: bool = False  # --best
    calib: Path | None = None  # --calib: images folder/file, MNIST IDX folder, .npy/.npz (or a cache, as in trtexec)
    calib_cache: Path | None = None  # --calibCache: TensorRT calibration table, reused when present
    calib_algo: str | None = None  # --calibAlgo entropy|minmax|percentile (default entropy, or the cache's)
    calib_samples: int = 500  # --calibSamples: how many calibration inputs to use
    calib_mode: str = "explicit"  # --calibMode explicit (Q/DQ, every flavour) | implicit (TensorRT 10 calibrator)
    preprocess: PreprocessOptions | None = None  # --preprocess ... for calibration images (as `trtkit infer`)
    layers: LayerPrecisions = field(default_factory=LayerPrecisions)  # --layerPrecisions --layerOutputTypes ...


def check(options: PrecisionOptions) -> None:
    """Flag combinations that cannot be right, each one line, before any work is done."""
    if options.calib_algo is not None and options.calib_algo not in CALIB_ALGOS:
        raise UsageError(f"--calibAlgo={options.calib_algo}: expected one of {', '.join(CALIB_ALGOS)}")
    if options.calib_mode not in CALIB_MODES:
        raise UsageError(f"--calibMode={options.calib_mode}: expected one of {', '.join(CALIB_MODES)}")
    if options.calib_samples < 1:
        raise UsageError(f"--calibSamples={options.calib_samples}: expected a positive number")
    wants_int8 = options.int8 or options.best
    for flag, value in (("--calib", options.calib), ("--calibCache", options.calib_cache)):
        if value is not None and not wants_int8:
            raise UsageError(f"{flag} is for INT8: add --int8 (or --best), or drop {flag}")
    if options.int8 and options.calib is None and (options.calib_cache is None or not options.calib_cache.is_file()):
        cache = f" ({options.calib_cache} does not exist yet)" if options.calib_cache is not None else ""
        raise UsageError(
            f"--int8 needs calibration data: --calib=DIR|FILE (images, an MNIST IDX folder, .npy/.npz) or an "
            f"existing --calibCache{cache}"
        )
