"""INT8 calibration from real data, and explicit quantization (Q/DQ) that every TensorRT generation builds.

ONNX Runtime's quantization tool does the statistics and the Q/DQ placement (``create_calibrator`` with
CalibrationMethod.Entropy/MinMax/Percentile, then ``quantize_static`` with QuantFormat.QDQ, per-channel
symmetric INT8 weights, symmetric INT8 activations at the inputs of Conv/Gemm/MatMul, TensorRT's
recommended placement). Models are first brought to opset >= 13 and through ONNX Runtime's
``quant_pre_process`` (shape inference, constant folding), as its documentation recommends.

The calibration cache is TensorRT's own calibration-table text (see :class:`CalibrationTable`), so that
TensorRT 10's implicit calibrator (:mod:`trtkit.precision.calibrator_trt10`) reads and writes the same file. trtkit
always quantizes from the table, also right after calibrating, so a rerun with the cache skips calibration
and gives the identical Q/DQ graph.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trtkit.data.tensors import TensorInfo
from trtkit.platform import log
from trtkit.platform.errors import Interrupted, TrtkitError, UsageError
from trtkit.platform.files import write_atomic
from trtkit.precision.calib_cache import ALGORITHMS, CalibrationTable, is_cache_file, read_table, version_code

if TYPE_CHECKING:
    import onnx

    from trtkit.data.preprocess import PreprocessOptions
    from trtkit.platform.flavours import Flavour
    from trtkit.precision.options import PrecisionOptions

QUANTIZED_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")
# --calibAlgo -> the algorithm named in the table's header (TensorRT's names where TensorRT has one).
DEFAULT_ALGO = "entropy"
DYNAMIC_BATCH = 32  # calibration batch where the model's batch dimension is dynamic


def cache_path(options: PrecisionOptions) -> Path | None:
    """Where the table is read from and written to: --calibCache, or --calib when it names a table."""
    if options.calib is not None and is_cache_file(options.calib):
        return options.calib
    return options.calib_cache


def model_input(model: onnx.ModelProto, where: Path) -> TensorInfo:
    """The one input calibration data is fed to."""
    from onnx import helper

    initializers = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        names = ", ".join(i.name for i in inputs)
        raise UsageError(f"{where}: calibration feeds one input, the model has {len(inputs)} ({names})")
    tensor = inputs[0].type.tensor_type
    shape = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else -1 for d in tensor.shape.dim)
    return TensorInfo(inputs[0].name, shape, np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)))


def load_calibration_data(source: Path, target: TensorInfo, samples: int,
                          preprocess_options: PreprocessOptions | None = None) -> np.ndarray:
    """Up to ``samples`` inputs for ``target``, batch axis first: images (a folder, searched recursively, or
    one file) with the same preprocessing as `trtkit infer`, MNIST IDX training images (p/255), or arrays."""
    from trtkit.data.inputs import is_array, is_image, load_image
    from trtkit.data.labelled import image_files, is_mnist_dir, load_mnist_split, pipeline_for
    from trtkit.data.preprocess import preprocess

    if source.is_dir() and is_mnist_dir(source, "train"):
        images, _ = load_mnist_split(source, "train", samples)
        return preprocess(list(images), target, pipeline_for(target, preprocess_options, True))
    if source.is_dir():
        files = image_files(source)[:samples]
        if not files:
            raise TrtkitError(f"{source}: --calib folder holds no images and no MNIST IDX training files "
                              "(train-images-idx3-ubyte.gz)")
        images = [load_image(f) for f in files]
        return preprocess(images, target, pipeline_for(target, preprocess_options, False))
    if is_image(source):
        return preprocess([load_image(source)], target, pipeline_for(target, preprocess_options, False))
    if is_array(source):
        return _array_samples(source, target)[:samples]
    if not source.exists():
        raise TrtkitError(f"{source}: --calib data not found")
    raise UsageError(f"{source}: --calib takes a folder of images, an MNIST IDX folder, an image, .npy/.npz "
                     "arrays or a TensorRT calibration cache")


def _array_samples(source: Path, target: TensorInfo) -> np.ndarray:
    from trtkit.data.inputs import load_arrays

    arrays = load_arrays(source)
    if len(arrays) > 1 and target.name not in arrays:
        raise TrtkitError(f"{source}: holds {', '.join(arrays)}; none is named {target.name!r} (the model's input)")
    array = arrays.get(target.name, next(iter(arrays.values())))
    if array.size == 0:
        raise TrtkitError(f"{source}: --calib array is empty (shape {array.shape}); nothing to calibrate on")
    if array.ndim == len(target.shape) - 1:
        array = array[None]
    fixed = [(got, want) for got, want in zip(array.shape[1:], target.shape[1:], strict=False) if want > 0]
    if array.ndim != len(target.shape) or any(got != want for got, want in fixed):
        dims = "x".join("N" if d < 0 else str(d) for d in (-1, *target.shape[1:]))
        raise TrtkitError(f"{source}: array of shape {array.shape} does not fit input {target.name!r} ({dims})")
    return np.ascontiguousarray(array, dtype=target.dtype)


def batches(samples: np.ndarray, target: TensorInfo) -> Iterator[np.ndarray]:
    """Equal batches (ONNX Runtime's histograms and TensorRT's calibration profile both want one shape): the
    model's fixed batch size, leaving out a remainder that cannot fill one, or for a dynamic batch the largest
    size up to :data:`DYNAMIC_BATCH` that divides the sample count."""
    fixed = bool(target.shape) and target.shape[0] > 0
    size = target.shape[0] if fixed else max(d for d in range(1, DYNAMIC_BATCH + 1) if len(samples) % d == 0)
    end = len(samples) - len(samples) % size
    if end == 0:
        raise TrtkitError(f"calibration needs at least {size} samples for input {target.name!r}, got {len(samples)}")
    for start in range(0, end, size):
        yield samples[start : start + size]


class _Reader:
    """ONNX Runtime's CalibrationDataReader protocol (``get_next`` until None) over preprocessed batches."""

    def __init__(self, name: str, chunks: Iterator[np.ndarray]) -> None:
        self._feeds = ({name: chunk} for chunk in chunks)
        self.served = 0  # batches handed out: what Ctrl-C reports as done

    def get_next(self) -> dict[str, np.ndarray] | None:
        feed = next(self._feeds, None)
        self.served += feed is not None
        return feed


def compute_ranges(model: onnx.ModelProto, samples: np.ndarray, target: TensorInfo, algo: str) -> dict[str, float]:
    """amax of every tensor around the quantized ops, from ONNX Runtime's calibrator run on ``samples``."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, create_calibrator

    method = {"entropy": CalibrationMethod.Entropy, "minmax": CalibrationMethod.MinMax,
              "percentile": CalibrationMethod.Percentile}[algo]
    with tempfile.TemporaryDirectory(prefix="trtkit-calib-") as tmp, contextlib.redirect_stdout(sys.stderr):
        path = Path(tmp) / "model.onnx"
        onnx.save(model, str(path))
        calibrator = create_calibrator(path, list(QUANTIZED_OPS), augmented_model_path=str(Path(tmp) / "aug.onnx"),
                                       calibrate_method=method, extra_options={"symmetric": True})
        reader = _Reader(target.name, batches(samples, target))
        try:
            calibrator.collect_data(reader)
            ranges = calibrator.compute_data()
        except KeyboardInterrupt:
            raise Interrupted(f"INT8 calibration ({algo}) stopped in batch {reader.served} of {len(samples)} samples; "
                              "no calibration cache and no plan written") from None
    return {name: float(np.abs(np.asarray(data.range_value, dtype=np.float64)).max()) for name, data in ranges.items()}


def pre_process(model: onnx.ModelProto) -> onnx.ModelProto:
    """ONNX Runtime's recommended step before quantization: shape inference and constant folding (so that
    reshaped weights become initializers that get per-channel scales)."""
    import onnx
    from onnxruntime.quantization import quant_pre_process

    with tempfile.TemporaryDirectory(prefix="trtkit-calib-") as tmp, contextlib.redirect_stdout(sys.stderr):
        path = Path(tmp) / "pre.onnx"
        try:
            quant_pre_process(model, str(path))
        except Exception as e:  # symbolic shape inference gives up on some graphs: quantize them as they are
            log.warning(f"ONNX Runtime's quant_pre_process failed ({e}); quantizing the model without it")
            return model
        return onnx.load(str(path))


def quantize_graph(model: onnx.ModelProto, table: CalibrationTable, exclude: Sequence[str] = ()) -> bytes:
    """The Q/DQ graph for ``model`` with activation ranges from ``table`` (weights: per-channel, from the weights);
    the nodes named in ``exclude`` stay FP32 (a --layerPrecisions keep list)."""
    from onnxruntime import quantization as q

    if "calibration_cache_path" not in inspect.signature(q.quantize_static).parameters:
        raise TrtkitError("INT8 quantization needs onnxruntime >= 1.27 (quantize_static's calibration cache): "
                          "pip install -U onnxruntime")
    ranges = q.TensorsData(q.CalibrationMethod.MinMax,
                           {name: (np.float32(-amax), np.float32(amax)) for name, amax in table.amax.items()})
    # Biases stay float (TensorRT folds them into its INT8 kernels itself), so weight scales need no
    # widening for INT32 biases.
    options = {"ActivationSymmetric": True, "WeightSymmetric": True, "QuantizeBias": False,
               "QDQDisableWeightAdjustForInt32Bias": True, "OpTypesToExcludeOutputQuantization": list(QUANTIZED_OPS)}
    with tempfile.TemporaryDirectory(prefix="trtkit-calib-") as tmp, contextlib.redirect_stdout(sys.stderr):
        cache, output = Path(tmp) / "ranges.json", Path(tmp) / "int8.onnx"
        q.save_tensors_data(ranges, cache)
        q.quantize_static(model, output, None, quant_format=q.QuantFormat.QDQ, op_types_to_quantize=list(QUANTIZED_OPS),
                          per_channel=True, activation_type=q.QuantType.QInt8, weight_type=q.QuantType.QInt8,
                          calibrate_method=q.CalibrationMethod.MinMax, extra_options=options,
                          nodes_to_exclude=list(exclude),
                          calibration_cache_path=cache)
        return output.read_bytes()


def calibration_table(model: onnx.ModelProto, target: TensorInfo, options: PrecisionOptions,
                      flavour: Flavour) -> tuple[CalibrationTable, str]:
    """The cached table, else a fresh calibration written to --calibCache; and one line saying which."""
    path = cache_path(options)
    cached = read_table(path, options.calib_algo)
    if cached is not None:
        table = _for_model(cached, model, path)
        return table, f"{cached.algorithm} ranges of {len(table.amax)} tensors from cache {path}"
    if options.calib is None:
        raise UsageError(f"--calibCache={path} does not exist yet: give --calib data to calibrate")
    algo = options.calib_algo or DEFAULT_ALGO
    samples = load_calibration_data(options.calib, target, options.calib_samples, options.preprocess)
    if samples.dtype.kind == "f" and not np.isfinite(samples).all():
        bad = samples.size - int(np.count_nonzero(np.isfinite(samples)))
        raise TrtkitError(f"--calib={options.calib}: {bad} of {samples.size} values are NaN or Inf; calibration "
                          "ranges computed from them would be meaningless; clean the data")
    log.info(f"Calibrating INT8 ({algo}) on {len(samples)} samples from {options.calib}")
    data = CalibrationTable(ALGORITHMS[algo], compute_ranges(model, samples, target, algo),
                            version_code(flavour.version)).to_bytes()
    if path is not None:
        write_atomic(path, data)
        log.info(f"Calibration cache written to {path}")
    return CalibrationTable.parse(data, "calibration"), f"{algo} calibration on {len(samples)} samples"


def _for_model(table: CalibrationTable, model: onnx.ModelProto, path: Path | None) -> CalibrationTable:
    """The entries naming tensors of ``model``: a cache TensorRT wrote names its own tensors too (``(Unnamed
    Layer* 64) [Shuffle]_output``), and one from another export of the model may name tensors this one lacks.
    Those are ignored, and the log says how many."""
    graph = model.graph
    names = {i.name for i in graph.input} | {i.name for i in graph.initializer}
    names |= {o for node in graph.node for o in node.output}
    kept = {name: amax for name, amax in table.amax.items() if name in names}
    log.info(f"Calibration cache {path}: {table.algorithm} from {table.writer}, {len(kept)} tensor ranges used")
    if len(kept) < len(table.amax):
        log.warning(f"Calibration cache {path}: {len(table.amax) - len(kept)} of {len(table.amax)} entries name "
                    "tensors this model does not have; ignored")
    if not kept:
        raise TrtkitError(f"{path}: none of its {len(table.amax)} tensor names is a tensor of this model; "
                          "was it made for another model? Delete it to calibrate again")
    return CalibrationTable(table.algorithm, kept, table.version)


def quantize(onnx_path: Path, options: PrecisionOptions, flavour: Flavour,
             strongly_typed: bool = True) -> tuple[bytes, str]:
    """--int8, explicit: the Q/DQ graph trtkit hands TensorRT, and how its ranges were obtained. Strongly
    typed, nodes that --layerPrecisions/--layerOutputTypes give fp32 are left out of quantization."""
    from trtkit.precision.convert import load_model
    from trtkit.precision.layers import fp32_nodes, name_nodes

    model = name_nodes(pre_process(load_model(onnx_path)))
    table, how = calibration_table(model, model_input(model, onnx_path), options, flavour)
    exclude = fp32_nodes(model, options.layers) if strongly_typed and options.layers.active else []
    return quantize_graph(model, table, exclude), how + (f", {len(exclude)} nodes kept FP32" if exclude else "")
