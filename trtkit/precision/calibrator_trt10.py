"""TensorRT 10's legacy implicit INT8 calibration (``--calibMode=implicit``): an IInt8EntropyCalibrator2 fed
from pycuda device buffers, reading and writing the same calibration-table file as trtkit's explicit path.

Implicit quantization is deprecated since TensorRT 10.1 and gone from TensorRT 11 and TensorRT-RTX; trtkit's
default is explicit Q/DQ (:mod:`trtkit.precision.calibration`). This keeps the path the seed documents, with real
data instead of trtexec's random inputs. TensorRT runs the calibration batches on the GPU during the build,
at the shape of the network's calibration profile (the first optimization profile's opt shape when none is
set): :func:`trtkit.precision.calibration.batches` says which batch size that must be for a dynamic batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.platform.files import read_bytes, write_atomic

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.platform.flavours import Flavour
    from trtkit.precision.options import PrecisionOptions

TRT_FLAVOURS = ("tensorrt10",)


def make_calibrator(flavour: Flavour, onnx_path: Path, options: PrecisionOptions) -> tuple[trt.IInt8Calibrator, str]:
    """The calibrator for ``config.int8_calibrator``, and one line saying where its scales come from."""
    import onnx

    from trtkit.precision.calibration import batches, cache_path, load_calibration_data, model_input, read_table

    if (options.calib_algo or "entropy") != "entropy":
        raise UsageError(f"--calibAlgo={options.calib_algo} with --calibMode=implicit: TensorRT's implicit path "
                         "here is IInt8EntropyCalibrator2 (entropy); use --calibMode=explicit for minmax/percentile")
    path = cache_path(options)
    cached = read_table(path, "entropy")
    chunks: list[np.ndarray] = []
    if options.calib is not None and options.calib != path:
        target = model_input(onnx.load(str(onnx_path)), onnx_path)
        samples = load_calibration_data(options.calib, target, options.calib_samples, options.preprocess)
        chunks = list(batches(samples, target))
    if cached is None and not chunks:
        raise UsageError(f"--calibMode=implicit: no --calib data and no calibration cache at {path}")
    calibrator = _entropy_calibrator(flavour, chunks, path)
    if cached is not None:
        return calibrator, f"IInt8EntropyCalibrator2, cache {path}"
    return calibrator, f"IInt8EntropyCalibrator2 on {sum(len(c) for c in chunks)} samples"


def _pycuda() -> Any:
    try:
        import pycuda.autoprimaryctx  # noqa: F401  (the CUDA runtime's primary context, which TensorRT uses)
        import pycuda.driver as cuda
    except ImportError:
        raise TrtkitError("--calibMode=implicit feeds TensorRT from GPU memory and needs pycuda and a GPU: "
                          "pip install 'trtkit[tensorrt]'") from None
    return cuda


def _entropy_calibrator(flavour: Flavour, chunks: list[np.ndarray], path: Path | None) -> trt.IInt8Calibrator:
    trt = flavour.module
    cuda = _pycuda()

    class EntropyCalibrator(trt.IInt8EntropyCalibrator2):
        """Copies one preprocessed batch per ``get_batch`` into a device buffer; the table goes to ``path``."""

        def __init__(self) -> None:
            trt.IInt8EntropyCalibrator2.__init__(self)
            self._pending = iter(chunks)
            self._device = cuda.mem_alloc(chunks[0].nbytes) if chunks else None
            self._batch_size = len(chunks[0]) if chunks else 1

        def get_batch_size(self) -> int:
            return self._batch_size

        def get_batch(self, names: list[str]) -> list[int] | None:
            chunk = next(self._pending, None)
            if chunk is None or self._device is None:
                return None
            cuda.memcpy_htod(self._device, np.ascontiguousarray(chunk))
            return [int(self._device)]

        def read_calibration_cache(self) -> bytes | None:
            return read_bytes(path, "calibration cache") if path is not None and path.is_file() else None

        def write_calibration_cache(self, cache: Any) -> None:
            if path is not None:
                write_atomic(path, bytes(cache))

    return EntropyCalibrator()
