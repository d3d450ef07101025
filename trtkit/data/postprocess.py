"""Outputs -> what people read: softmax, top-k, the TensorRT MNIST sample's ASCII bars, and trtexec's
``--exportOutput`` JSON layout.

The bars mirror sampleOnnxMNIST's ``verifyOutput``: one line per class, `` Prob i  0.9876 Class i: ``
followed by ``round(10 * p)`` stars.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trtkit.platform.files import write_atomic

ALL_CLASSES_UP_TO = 10  # like the sample, print every class of small heads; only the top-k of larger ones


def softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax in float64 (the max is subtracted first, so large logits do not overflow)."""
    x = np.asarray(scores, dtype=np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def is_class_scores(array: np.ndarray, rows: int) -> bool:
    """True for a 2-D [N, C] float output with one row per sample: the shape of a classifier's scores."""
    return array.ndim == 2 and array.shape[0] == rows and array.shape[1] > 1 and array.dtype.kind == "f"


@dataclass(frozen=True)
class Prediction:
    """One sample's classification from one output."""

    source: str  # the input file (``file[i]`` for rows of an array file)
    output: str
    scores: np.ndarray  # raw output row
    probabilities: np.ndarray | None  # softmax of the row; None with --no-softmax
    topk: tuple[tuple[int, float], ...]  # (class, value) best first

    @property
    def label(self) -> int:
        return self.topk[0][0]

    @property
    def values(self) -> np.ndarray:
        """What the display and top-k rank: probabilities, or the raw row with --no-softmax."""
        return self.probabilities if self.probabilities is not None else self.scores

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "input": self.source,
            "output": self.output,
            "class": self.label,
            "topk": [{"class": c, "value": v} for c, v in self.topk],
            "scores": [float(v) for v in self.scores],
        }
        if self.probabilities is not None:
            doc["probability"] = self.topk[0][1]
            doc["probabilities"] = [float(v) for v in self.probabilities]
        return doc


def classify(
    scores: np.ndarray, sources: Sequence[str], output: str, *, topk: int = 3, apply_softmax: bool = True
) -> list[Prediction]:
    """Rows of a [N, C] score output -> one Prediction per sample (``sources`` names the rows)."""
    rows = np.asarray(scores, dtype=np.float64)
    probs = softmax(rows) if apply_softmax else None
    ranked = probs if probs is not None else rows
    k = max(1, min(topk, rows.shape[1]))
    predictions = []
    for i, source in enumerate(sources):
        order = np.argsort(-ranked[i], kind="stable")[:k]
        predictions.append(
            Prediction(
                source=source,
                output=output,
                scores=rows[i],
                probabilities=None if probs is None else probs[i],
                topk=tuple((int(c), float(ranked[i, c])) for c in order),
            )
        )
    return predictions


def bar(value: float) -> str:
    """sampleOnnxMNIST's bar: floor(10 p + 0.5) stars, clipped to 0..10 for values outside [0, 1]."""
    if not math.isfinite(value):
        return ""
    return "*" * int(min(10, max(0, math.floor(value * 10 + 0.5))))


def format_prediction(prediction: Prediction) -> str:
    """The sample's per-class lines (every class up to 10 classes, else the top-k), then top-k and the class."""
    values = prediction.values
    kind = "Prob" if prediction.probabilities is not None else "Score"
    shown = range(len(values)) if len(values) <= ALL_CLASSES_UP_TO else [c for c, _ in prediction.topk]
    lines = [f"{prediction.source} ({prediction.output}):"]
    lines += [f" {kind} {c}  {values[c]:5.4f} Class {c}: {bar(float(values[c]))}" for c in shown]
    top = ", ".join(f"{c} ({v:.4f})" for c, v in prediction.topk)
    lines.append(f" Top-{len(prediction.topk)}: {top}")
    lines.append(f" Predicted: {prediction.label}")
    return "\n".join(lines)


def export_outputs(path: str | Path, outputs: Sequence[tuple[str, np.ndarray]]) -> Path:
    """trtexec's --exportOutput file: a JSON list of ``{"name", "dimensions": "1x10", "values": [...]}``,
    one entry per output (per run where runs' outputs cannot be stacked), values flattened in C order."""
    entries = [
        {
            "name": name,
            "dimensions": "x".join(str(d) for d in array.shape),
            "values": _plain(np.asarray(array)).ravel().tolist(),
        }
        for name, array in outputs
    ]
    return write_atomic(path, (json.dumps(entries, indent=2) + "\n").encode())


def _plain(array: np.ndarray) -> np.ndarray:
    """Integers and booleans stay exact; every floating type (float16, bfloat16, fp8) becomes float64."""
    return array if array.dtype.kind in "iubO" else array.astype(np.float64)
