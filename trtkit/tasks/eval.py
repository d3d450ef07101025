"""Top-1 accuracy of a plan or ONNX model on a labelled set (``trtkit eval``), on any backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trtkit.backends.base import Backend
from trtkit.backends.faithful import choose_backend
from trtkit.builder.cpu_model import open_model
from trtkit.data.labelled import LabelledSet, batches_of, load_labelled, pipeline_for
from trtkit.data.preprocess import PreprocessOptions
from trtkit.platform import log
from trtkit.platform.errors import Interrupted, TrtkitError, UsageError
from trtkit.precision.options import PrecisionOptions


@dataclass
class EvalOptions:
    """``trtkit eval`` flags; the same fields drive the Python API."""

    model: Path  # --loadEngine PLAN or --onnx MODEL
    data: Path  # --data: MNIST IDX folder or DATA/<label>/*.png
    split: str = "test"  # --split test|train (MNIST IDX)
    limit: int | None = None  # --limit: only the first N samples
    batch: int = 100  # --batch: samples per run where the batch dimension is dynamic
    backend: str = "auto"  # --backend auto|tensorrt|onnxruntime|openvino
    preprocess: PreprocessOptions = field(default_factory=PreprocessOptions)  # --preprocess
    flavor: str | None = None  # --flavor
    verbosity: int = 0  # --verbose / --quiet
    device: int = 0  # --device: GPU ordinal a plan runs on
    use_profile: int | None = None  # --useProfile: optimization profile of a multi-profile plan
    precision: PrecisionOptions = field(default_factory=PrecisionOptions)  # --fp16 --bf16 --int8 --calib...
    threads: int = 0  # --cpuThreads


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
    predictions: list[np.ndarray] = []
    log.info(f"Evaluating {len(dataset.labels)} samples of {dataset.source} on {backend.name}")
    try:
        for tensor, count in batches_of(dataset.images, target, pipe, batch):
            scores = np.asarray(backend.run({target.name: tensor})[output])
            if not predictions:
                _check_scores(scores, output, model, len(dataset.classes))
            predictions.append(scores.reshape(scores.shape[0], -1)[:count].argmax(axis=1))
    except KeyboardInterrupt:
        done = sum(len(p) for p in predictions)
        if not done:
            raise Interrupted(f"eval of {model} stopped before the first batch finished") from None
        partial = _result(backend, model, dataset, np.concatenate(predictions), pipe.describe())
        raise Interrupted(f"eval of {model} stopped after {done} of {len(dataset.labels)} samples: top-1 "
                          f"{partial.accuracy:.2f}% ({partial.correct}/{partial.count}) on those") from None
    return _result(backend, model, dataset, np.concatenate(predictions), pipe.describe())


def _check_scores(scores: np.ndarray, output: str, model: Path, classes: int) -> None:
    """Top-1 is meaningful only for one row of class scores per sample ([N, C], or [N, C, 1, 1]); anything
    else (an image, one regression value) would print a confident but meaningless accuracy."""
    per_sample = scores.shape[1:]
    width = int(np.prod(per_sample)) if per_sample else 1
    if scores.dtype.kind != "f" or scores.ndim < 2 or any(d != 1 for d in per_sample[1:]) or width < 2:
        raise TrtkitError(f"{model}: output {output!r} has shape {tuple(scores.shape)} ({scores.dtype}), not one "
                          "row of class scores per sample ([N, classes]); eval measures classifiers only")
    if width < classes:
        raise TrtkitError(f"{model}: output {output!r} gives {width} scores per sample, but the data has "
                          f"{classes} classes; is this the model for this data set?")


def _result(backend: Backend, model: Path, dataset: LabelledSet, predicted: np.ndarray,
            preprocessing: str) -> EvalResult:
    labels = dataset.labels[: len(predicted)]
    classes = max(len(dataset.classes), int(labels.max()) + 1, int(predicted.max()) + 1)
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    names = dataset.classes + tuple(str(i) for i in range(len(dataset.classes), classes))
    return EvalResult(str(model), backend.name, dataset.source, names, confusion, preprocessing)


def evaluate(options: EvalOptions) -> EvalResult:
    """`trtkit eval`: open the model on its backend and measure top-1 accuracy on ``options.data``."""
    if options.limit is not None and options.limit < 1:
        raise UsageError(f"--limit={options.limit}: expected a positive number")
    dataset = load_labelled(options.data, options.split, options.limit)
    backend_name = choose_backend(options.model, options.backend)
    with open_model(options.model, backend_name, precision=options.precision, threads=options.threads,
                    flavor=options.flavor, verbosity=options.verbosity, gpu=options.device,
                    profile=options.use_profile) as backend:
        return run_eval(backend, options.model, dataset, options.preprocess, options.batch)


