"""Top-1 accuracy of a plan or ONNX model on a labelled set, on any backend, and the accuracy a reduced
precision costs (``trtkit build --eval``).

Labelled sets are MNIST IDX folders (``t10k-images-idx3-ubyte.gz`` + labels; ``--split train`` for the
training files) or one folder per class (``DATA/<label>/*.png``). IDX digits are white on black, so their
default preprocessing is ``p/255`` (the ``unit`` preset), not the inverted preset of the dark-on-light samples.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trtkit.errors import TrtkitError, UsageError
from trtkit.preprocess import Pipeline, PreprocessOptions, preprocess, resolve

if TYPE_CHECKING:
    from trtkit.backends.base import Backend, TensorInfo
    from trtkit.precision import PreparedModel

SPLITS = ("test", "train")


@dataclass
class EvalOptions:
    """``trtkit eval`` flags; the same fields drive the Python API."""

    model: Path  # --loadEngine PLAN or --onnx MODEL
    data: Path  # --data: MNIST IDX folder or DATA/<label>/*.png
    split: str = "test"  # --split test|train (MNIST IDX)
    limit: int | None = None  # --limit: only the first N samples
    batch: int = 100  # --batch: samples per run where the batch dimension is dynamic
    backend: str = "auto"  # --backend auto|tensorrt|onnxruntime
    preprocess: PreprocessOptions = field(default_factory=PreprocessOptions)  # --preprocess
    flavor: str | None = None  # --flavor
    verbosity: int = 0  # --verbose / --quiet


@dataclass
class LabelledSet:
    """Raw ``uint8`` images with integer labels, and where they came from."""

    images: Sequence[np.ndarray]
    labels: np.ndarray
    classes: tuple[str, ...]
    source: str
    white_on_black: bool  # MNIST IDX: preprocessing defaults to p/255


@dataclass
class EvalResult:
    """Accuracy, per-class counts and the confusion matrix (rows: true class, columns: predicted)."""

    model: str
    backend: str
    data: str
    classes: tuple[str, ...]
    confusion: np.ndarray
    preprocessing: str

    @property
    def count(self) -> int:
        return int(self.confusion.sum())

    @property
    def correct(self) -> int:
        return int(np.trace(self.confusion))

    @property
    def accuracy(self) -> float:
        """Top-1 accuracy in percent."""
        return 100.0 * self.correct / self.count if self.count else 0.0

    def most_confused(self, n: int = 3) -> list[tuple[str, str, int]]:
        """The ``n`` largest off-diagonal cells as (true, predicted, count)."""
        off = self.confusion.copy()
        np.fill_diagonal(off, 0)
        cells = np.argsort(off, axis=None)[::-1][:n]
        rows, cols = np.unravel_index(cells, off.shape)
        return [(self._name(r), self._name(c), int(off[r, c])) for r, c in zip(rows, cols, strict=True) if off[r, c]]

    def _name(self, index: int) -> str:
        return self.classes[index] if index < len(self.classes) else str(index)

    def summary(self) -> list[str]:
        """The lines `trtkit eval` prints."""
        per_class = self.confusion.sum(axis=1)
        recall = [
            f"{self._name(i)}: {100.0 * self.confusion[i, i] / n:.1f}%" for i, n in enumerate(per_class) if n
        ]
        confused = ", ".join(f"{t}->{p} x{k}" for t, p, k in self.most_confused()) or "none"
        return [
            f"Model: {self.model} ({self.backend})",
            f"Data: {self.data}; preprocessing {self.preprocessing}",
            f"Top-1 accuracy: {self.accuracy:.2f}% ({self.correct}/{self.count})",
            f"Per class: {', '.join(recall)}",
            f"Most confused (true->predicted): {confused}",
        ]

    def to_json(self) -> dict[str, Any]:
        per_class = self.confusion.sum(axis=1)
        return {
            "model": self.model,
            "backend": self.backend,
            "data": self.data,
            "preprocessing": self.preprocessing,
            "count": self.count,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "per_class": {
                self._name(i): {"count": int(n), "correct": int(self.confusion[i, i])}
                for i, n in enumerate(per_class)
                if n
            },
            "most_confused": [{"true": t, "predicted": p, "count": k} for t, p, k in self.most_confused()],
            "confusion": self.confusion.tolist(),
        }


def image_files(directory: Path) -> list[Path]:
    """Every image below ``directory``, in a stable (sorted) order."""
    from trtkit.inputs import is_image

    return sorted(p for p in directory.rglob("*") if p.is_file() and is_image(p))


def load_mnist_split(directory: Path, split: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST IDX images and labels, with the dataset reader's errors as one trtkit line."""
    from trtkit.datasets import load_mnist

    if split not in SPLITS:
        raise UsageError(f"--split {split}: expected one of {', '.join(SPLITS)}")
    try:
        images, labels = load_mnist(directory, split)
    except (FileNotFoundError, ValueError) as e:
        raise TrtkitError(str(e)) from None
    return images[:limit], labels[:limit]


def is_mnist_dir(directory: Path, split: str) -> bool:
    from trtkit.datasets import mnist_paths

    return directory.is_dir() and mnist_paths(directory, split)[0].is_file()


def load_labelled(data: Path, split: str = "test", limit: int | None = None) -> LabelledSet:
    """An MNIST IDX folder, or one sub-folder of images per class (named by its label)."""
    from trtkit.inputs import load_image

    if not data.is_dir():
        raise TrtkitError(f"{data}: labelled data must be a folder (MNIST IDX files, or a sub-folder per class)")
    if is_mnist_dir(data, split):
        images, labels = load_mnist_split(data, split, limit)
        classes = tuple(str(d) for d in range(10))
        return LabelledSet(images, labels.astype(np.int64), classes, f"{data} (MNIST {split})", True)
    folders = sorted(p for p in data.iterdir() if p.is_dir())
    if not folders:
        raise TrtkitError(
            f"{data}: neither MNIST IDX files for --split {split} nor class sub-folders (DATA/<label>/*.png)"
        )
    numeric = all(p.name.isdigit() for p in folders)
    if numeric:
        folders.sort(key=lambda p: int(p.name))
    files: list[tuple[Path, int]] = []
    for index, folder in enumerate(folders):
        label = int(folder.name) if numeric else index
        files.extend((f, label) for f in image_files(folder))
    if not files:
        raise TrtkitError(f"{data}: the class folders hold no images")
    files = files[:limit]
    labels = np.array([lab for _, lab in files], dtype=np.int64)
    classes = tuple(str(i) for i in range(labels.max() + 1)) if numeric else tuple(p.name for p in folders)
    images = [load_image(f) for f, _ in files]
    return LabelledSet(images, labels, classes, str(data), False)


def pipeline_for(target: TensorInfo, options: PreprocessOptions | None, white_on_black: bool) -> Pipeline:
    """Resolve preprocessing; MNIST's white-on-black digits default to p/255 instead of the inverted preset."""
    options = options or PreprocessOptions()
    if white_on_black and options.preset == "auto":
        options = dataclasses.replace(options, preset="unit")
    return resolve(target, options)


def batches_of(
    images: Sequence[np.ndarray], target: TensorInfo, pipe: Pipeline, batch: int
) -> Iterator[tuple[np.ndarray, int]]:
    """Yield ``(tensor, count)``: preprocessed batches of the input's fixed batch size, or of ``batch`` where
    it is dynamic; a short last batch of a fixed size is padded by repeating its last image."""
    fixed = bool(target.shape) and target.shape[0] > 0
    size = target.shape[0] if fixed else batch
    for start in range(0, len(images), size):
        chunk = list(images[start : start + size])
        count = len(chunk)
        if fixed:
            chunk += [chunk[-1]] * (size - count)
        yield preprocess(chunk, target, pipe), count


def run_eval(backend: Backend, model: Path, dataset: LabelledSet,
             preprocess_options: PreprocessOptions | None = None, batch: int = 100) -> EvalResult:
    """Classify every sample of ``dataset`` with ``backend`` and count (true, predicted) pairs."""
    if len(backend.inputs) != 1:
        names = ", ".join(i.name for i in backend.inputs)
        raise UsageError(f"eval feeds one image input; the model has {len(backend.inputs)} ({names})")
    if batch < 1:
        raise UsageError(f"--batch={batch}: expected a positive number")
    target = backend.inputs[0]
    pipe = pipeline_for(target, preprocess_options, dataset.white_on_black)
    output = backend.outputs[0].name
    predictions = []
    for tensor, count in batches_of(dataset.images, target, pipe, batch):
        scores = np.asarray(backend.run({target.name: tensor})[output])
        predictions.append(scores.reshape(scores.shape[0], -1)[:count].argmax(axis=1))
    predicted = np.concatenate(predictions)
    classes = max(len(dataset.classes), int(dataset.labels.max()) + 1, int(predicted.max()) + 1)
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (dataset.labels, predicted), 1)
    names = dataset.classes + tuple(str(i) for i in range(len(dataset.classes), classes))
    return EvalResult(str(model), backend.name, dataset.source, names, confusion, pipe.describe())


def evaluate(options: EvalOptions) -> EvalResult:
    """`trtkit eval`: open the model on its backend and measure top-1 accuracy on ``options.data``."""
    from trtkit.backends.base import open_backend

    if options.limit is not None and options.limit < 1:
        raise UsageError(f"--limit={options.limit}: expected a positive number")
    dataset = load_labelled(options.data, options.split, options.limit)
    with open_backend(options.model, options.backend, flavor=options.flavor, verbosity=options.verbosity) as backend:
        return run_eval(backend, options.model, dataset, options.preprocess, options.batch)


@dataclass
class PrecisionComparison:
    """FP32 accuracy next to the accuracy of the graph trtkit hands TensorRT (both on ONNX Runtime)."""

    precision: str
    reference: EvalResult
    reduced: EvalResult | None
    note: str = ""

    @property
    def delta(self) -> float | None:
        """Reduced minus FP32 top-1, in points."""
        return None if self.reduced is None else self.reduced.accuracy - self.reference.accuracy

    def summary(self) -> str:
        head = f"Accuracy on {self.reference.data}, {self.reference.count} samples (ONNX Runtime): "
        fp32 = f"FP32 {self.reference.accuracy:.2f}%"
        if self.reduced is None:
            return f"{head}{fp32}; {self.precision}: not measured ({self.note})"
        note = f" ({self.note})" if self.note else ""
        return f"{head}{fp32}, {self.precision} {self.reduced.accuracy:.2f}% ({self.delta:+.2f} points){note}"


def compare_precisions(
    original_onnx: Path,
    prepared: PreparedModel,
    data: Path,
    *,
    split: str = "test",
    limit: int | None = None,
    preprocess_options: PreprocessOptions | None = None,
) -> PrecisionComparison:
    """Evaluate the FP32 model and the converted/quantized graph of ``prepared`` through ONNX Runtime (a plan
    cannot run without a GPU). On TensorRT 10's weak typing, FP16 flags are estimated with the strongly typed
    FP16 conversion; BF16 and implicit INT8 cannot be measured on ONNX Runtime's CPU kernels."""
    from trtkit.backends.base import open_backend
    from trtkit.precision import convert_float, load_model

    precision = prepared.description.split(" (")[0]
    graph, note = prepared.onnx, ""
    if graph is None and prepared.calibrator is not None:
        note = "TensorRT computes implicit INT8 scales during the build"
    elif graph is None and "fp16" in prepared.builder_flags:
        graph = convert_float(load_model(original_onnx), "fp16")
        precision, note = "FP16", "estimated on the strongly typed FP16 graph; weak typing picks per layer"
    elif graph is None:
        note = "nothing to compare" if not prepared.builder_flags else "ONNX Runtime on CPU has no BF16 kernels"
    elif _has_bfloat16(graph):
        graph, note = None, "ONNX Runtime on CPU has no BF16 kernels"
    dataset = load_labelled(data, split, limit)
    with open_backend(original_onnx, "onnxruntime") as backend:
        reference = run_eval(backend, original_onnx, dataset, preprocess_options)
    if graph is None:
        return PrecisionComparison(precision, reference, None, note)
    with tempfile.TemporaryDirectory(prefix="trtkit-eval-") as tmp:
        path = Path(tmp) / f"{original_onnx.stem}.{precision.lower()}.onnx"
        path.write_bytes(graph)
        with open_backend(path, "onnxruntime") as backend:
            reduced = run_eval(backend, original_onnx, dataset, preprocess_options)
    return PrecisionComparison(precision, reference, reduced, note)


def _has_bfloat16(graph: bytes) -> bool:
    import onnx

    model = onnx.load_model_from_string(graph)
    return any(t.data_type == onnx.TensorProto.BFLOAT16 for t in model.graph.initializer)
