"""`trtkit eval` on the real MNIST test set and on a folder-per-class set, and compare_precisions (what
`trtkit build --eval` reports), all through ONNX Runtime."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import cli

from trtkit.platform.errors import TrtkitError
from trtkit.platform.flavours import TensorRT10
from trtkit.precision.options import PrecisionOptions
from trtkit.precision.prepare import PreparedModel, prepare
from trtkit.tasks.accuracy import compare_precisions
from trtkit.tasks.eval import EvalOptions, evaluate

pytest.importorskip("onnxruntime", reason="eval of .onnx models runs ONNX Runtime (pip install 'trtkit[onnxruntime]')")



def test_mnist_test_split_accuracy_and_confusion(zoo_mnist8: Path, mnist_dir: Path) -> None:
    result = evaluate(EvalOptions(model=zoo_mnist8, data=mnist_dir, limit=1000))
    assert result.count == 1000 and result.confusion.shape == (10, 10)
    assert 97.0 <= result.accuracy <= 100.0  # the zoo reports 98.9% on all 10,000
    assert result.preprocessing.startswith("unit: p * 0.00392157")  # white-on-black IDX: p/255, not inverted
    assert result.confusion.sum(axis=1).tolist() == [85, 126, 116, 107, 110, 87, 87, 99, 89, 94]
    assert all(count > 0 for _, _, count in result.most_confused())


def test_dynamic_batch_model_runs_in_batches_with_the_same_answer(model: Path, mnist_dir: Path) -> None:
    batched = evaluate(EvalOptions(model=model, data=mnist_dir, limit=250, batch=64))
    single = evaluate(EvalOptions(model=model, data=mnist_dir, limit=250, batch=1))
    assert (batched.confusion == single.confusion).all() and batched.count == 250


def test_folder_per_class(model: Path, samples: list[Path], tmp_path: Path) -> None:
    """DATA/<label>/*.pgm; the samples are dark on light, so the default preset inverts them."""
    for digit, sample in enumerate(samples):
        (tmp_path / str(digit)).mkdir()
        shutil.copy(sample, tmp_path / str(digit) / sample.name)
    result = evaluate(EvalOptions(model=model, data=tmp_path))
    assert result.count == 10 and result.accuracy == 100.0
    assert result.preprocessing.startswith("invert")


def test_cli_prints_accuracy_and_json(zoo_mnist8: Path, mnist_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "eval", str(zoo_mnist8), str(mnist_dir), "--limit", "200")
    assert code == 0 and "Top-1 accuracy:" in out and "(200 samples" not in out and "/200)" in out
    code, out, _ = cli(capsys, "eval", str(zoo_mnist8), str(mnist_dir), "--limit", "200", "--json")
    report = json.loads(out)
    assert code == 0 and report["count"] == 200
    assert report["correct"] == sum(row[i] for i, row in enumerate(report["confusion"]))


def test_cli_bad_data_is_one_line(zoo_mnist8: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "eval", str(zoo_mnist8), str(tmp_path))
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0 and "class sub-folders" in err and str(tmp_path) in err


def test_plan_on_onnx_runtime_is_refused(tmp_path: Path, mnist_dir: Path) -> None:
    plan = tmp_path / "mnist.plan"
    plan.write_bytes(b"\0" * 16)
    with pytest.raises(TrtkitError, match=r"needs an \.onnx model"):
        evaluate(EvalOptions(model=plan, data=mnist_dir, backend="onnxruntime"))


def test_compare_precisions_fp16_graph(model: Path, mnist_dir: Path) -> None:
    pytest.importorskip("tensorrt_rtx")
    from trtkit.platform.trt import load

    prepared = prepare(model, PrecisionOptions(fp16=True), load("rtx"), strongly_typed=False)
    comparison = compare_precisions(model, prepared, mnist_dir, limit=500)
    assert comparison.reduced is not None and comparison.reference.count == 500
    assert comparison.delta == pytest.approx(comparison.reduced.accuracy - comparison.reference.accuracy)
    assert comparison.reduced.backend == "reference" and comparison.reference.backend == "onnxruntime"
    assert comparison.summary().startswith(f"Accuracy on {mnist_dir} (MNIST test), 500 samples: FP32 ")
    assert "FP16" in comparison.summary() and "(reference backend, tensors stored FP16)" in comparison.summary()


def test_compare_precisions_estimates_weak_typing_flags(zoo_mnist8: Path, mnist_dir: Path) -> None:
    bf16 = PreparedModel(None, ("bf16",), None, "BF16 (builder flags, weak typing)")
    comparison = compare_precisions(zoo_mnist8, bf16, mnist_dir, limit=100)
    assert comparison.reduced is not None and comparison.precision == "BF16"
    assert "estimated on the strongly typed BF16 graph" in comparison.summary()
    trt10 = TensorRT10(SimpleNamespace(__version__="10.13.3.9"))  # a record: prepare only reads its typing
    flags = prepare(zoo_mnist8, PrecisionOptions(fp16=True), trt10, strongly_typed=False)
    estimate = compare_precisions(zoo_mnist8, flags, mnist_dir, limit=100)
    assert estimate.reduced is not None and "estimated on the strongly typed FP16 graph" in estimate.summary()
