"""``debug precision --int8``: the calibration table, computed once (or read from --calibCache), from which
every keep set's Q/DQ graph is quantized. No TensorRT is needed: the table header's version is 0."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trtkit.platform.errors import UsageError

if TYPE_CHECKING:
    import onnx

    from trtkit.precision.calibration import CalibrationTable
    from trtkit.precision.options import PrecisionOptions


def calibrate(model: onnx.ModelProto, where: Path, options: PrecisionOptions) -> CalibrationTable:
    from trtkit.precision import calibration as c

    cached = c.read_table(c.cache_path(options), options.calib_algo)
    if cached is not None:
        return cached
    if options.calib is None:
        raise UsageError("debug precision --int8 needs calibration data: --calib=DIR|FILE or an existing --calibCache")
    target = c.model_input(model, where)
    samples = c.load_calibration_data(options.calib, target, options.calib_samples, options.preprocess)
    algo = options.calib_algo or c.DEFAULT_ALGO
    return c.CalibrationTable(c.ALGORITHMS[algo], c.compute_ranges(model, samples, target, algo))
