"""trtkit.data.postprocess: softmax, top-k, the MNIST sample's bars and trtexec's --exportOutput layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trtkit.data.postprocess import bar, classify, export_outputs, format_prediction, is_class_scores, softmax


def test_softmax_is_stable_and_normalised() -> None:
    p = softmax(np.array([[1000.0, 1000.0, 0.0], [1.0, 2.0, 3.0]]))
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], [0.5, 0.5, 0.0], atol=1e-12)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p[1], e / e.sum())


@pytest.mark.parametrize(("p", "stars"), [(0.0, 0), (0.04, 0), (0.05, 1), (0.5, 5), (0.94, 9), (0.95, 10), (1.0, 10)])
def test_bar_rounds_like_the_sample(p: float, stars: int) -> None:
    assert bar(p) == "*" * stars  # floor(10 p + 0.5)


def test_bar_clips_raw_scores() -> None:
    assert bar(7.0) == "*" * 10 and bar(-3.0) == "" and bar(float("nan")) == ""


def test_classify_topk_and_json() -> None:
    scores = np.array([[0.0, 3.0, 1.0, 2.0], [5.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    preds = classify(scores, ["a", "b"], "scores", topk=3)
    assert [p.label for p in preds] == [1, 0]
    assert [c for c, _ in preds[0].topk] == [1, 3, 2]
    doc = preds[0].to_json()
    assert doc["class"] == 1 and doc["input"] == "a" and doc["output"] == "scores"
    np.testing.assert_allclose(doc["probabilities"], softmax(scores[0]))
    assert doc["probability"] == pytest.approx(softmax(scores[0])[1])
    assert len(doc["topk"]) == 3 and doc["scores"] == [0.0, 3.0, 1.0, 2.0]


def test_no_softmax_ranks_raw_values() -> None:
    (pred,) = classify(np.array([[0.1, 0.7, 0.2]]), ["x"], "probs", apply_softmax=False, topk=10)
    assert pred.probabilities is None and pred.topk[0] == (1, pytest.approx(0.7))
    assert len(pred.topk) == 3  # top-k never exceeds the classes
    assert "probabilities" not in pred.to_json()
    assert " Score 1  0.7000 Class 1: *******" in format_prediction(pred)


def test_format_mirrors_sample_onnx_mnist() -> None:
    scores = np.log(np.array([[0.01, 0.02, 0.9, 0.07] + [1e-9] * 6]))
    (pred,) = classify(scores, ["samples/2.pgm"], "scores")
    lines = format_prediction(pred).splitlines()
    assert lines[0] == "samples/2.pgm (scores):"
    assert lines[1] == " Prob 0  0.0100 Class 0: "
    assert lines[3] == " Prob 2  0.9000 Class 2: *********"
    assert lines[4] == " Prob 3  0.0700 Class 3: *"
    assert len(lines) == 1 + 10 + 2  # every class of a 10-class head, then top-k and the class
    assert lines[-2] == " Top-3: 2 (0.9000), 3 (0.0700), 1 (0.0200)"
    assert lines[-1] == " Predicted: 2"


def test_large_heads_show_only_the_topk() -> None:
    scores = np.zeros((1, 1000))
    scores[0, 417] = 20.0
    (pred,) = classify(scores, ["cat.jpg"], "logits", topk=5)
    lines = format_prediction(pred).splitlines()
    assert len(lines) == 1 + 5 + 2 and lines[1].startswith(" Prob 417  1.0000 Class 417: **********")


def test_is_class_scores() -> None:
    assert is_class_scores(np.zeros((3, 10), np.float32), 3)
    assert not is_class_scores(np.zeros((3, 10), np.float32), 2)  # rows are not the samples
    assert not is_class_scores(np.zeros((1, 3, 8, 8), np.float32), 1)
    assert not is_class_scores(np.zeros((3, 10), np.int64), 3)
    assert not is_class_scores(np.zeros((3, 1), np.float32), 3)


def test_export_output_layout(tmp_path: Path) -> None:
    path = export_outputs(
        tmp_path / "out.json",
        [("scores", np.arange(20, dtype=np.float16).reshape(2, 10)), ("ids", np.array([[3], [7]], np.int64))],
    )
    doc = json.loads(path.read_text())
    assert doc == [
        {"name": "scores", "dimensions": "2x10", "values": [float(v) for v in range(20)]},
        {"name": "ids", "dimensions": "2x1", "values": [3, 7]},
    ]
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left behind
