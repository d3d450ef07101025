"""`trtkit compare` on the CPU: two ONNX models through ONNX Runtime, Polygraphy's tolerance rule, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from helpers import cli
from onnx import numpy_helper

from trtkit.data.feeds import InputOptions
from trtkit.tasks.compare import CompareOptions, run_compare


def perturbed(model: Path, out: Path, scale: float) -> Path:
    """``model`` with its last layer's bias shifted by ``scale`` (relative): the same graph, other numbers."""
    m = onnx.load(model)
    bias = m.graph.initializer[-1]
    values = numpy_helper.to_array(bias)
    bias.CopyFrom(numpy_helper.from_array((values * (1 + scale) + scale).astype(values.dtype), bias.name))
    onnx.save(m, out)
    return out


def test_zoo_opset_8_and_12_match(capsys: pytest.CaptureFixture[str], zoo_mnist8: Path, zoo_mnist12: Path) -> None:
    code, out, err = cli(capsys, "compare", zoo_mnist8, zoo_mnist12)
    assert code == 0, err
    assert "[I] PASSED | Plus214_Output_0 (1x10): max abs " in out
    assert out.strip().endswith("[I] PASSED | All outputs match")
    assert "seeded random data (seed 1)" in err and "atol 1e-05, rtol 1e-05" in err


def test_on_the_samples_with_json(
    capsys: pytest.CaptureFixture[str], model: Path, samples: list[Path]
) -> None:
    static = Path(__file__).resolve().parents[1] / "models" / "mnist_static.onnx"
    if not static.exists():
        pytest.skip(f"{static} is absent")
    code, out, err = cli(capsys, "compare", model, static, *samples, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["passed"] is True and doc["reference"]["backend"] == "onnxruntime"
    (output,) = doc["outputs"]
    assert output["name"] == "scores" and output["size"] == 100 and output["mismatches"] == 0
    assert "10 sample(s) in 10 run(s) from files" in err  # the static candidate sets the batch: one by one


def test_perturbed_weights_mismatch_with_exit_1(
    capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path
) -> None:
    other = perturbed(model, tmp_path / "perturbed.onnx", 0.01)
    code, out, err = cli(capsys, "compare", model, other, "--shapes=input:4x1x28x28")
    assert code == 1
    assert "[E] FAILED | scores (4x10): max abs " in out
    assert "[E] FAILED | Mismatched outputs: ['scores']" in out
    (line,) = err.strip().splitlines()[-1:]
    assert line.startswith("trtkit: error: outputs differ beyond atol 1e-05 / rtol 1e-05: scores: max abs ")
    assert "Traceback" not in err


def test_tolerances_decide(model: Path, tmp_path: Path) -> None:
    """The perturbation's errors pass once either tolerance covers them, as in Polygraphy (abs OR rel)."""
    other = perturbed(model, tmp_path / "p.onnx", 1e-3)
    strict = run_compare(CompareOptions(model, other))
    (error,) = strict.errors
    assert not strict.passed and error.mismatches > 0 and error.max_abs > 1e-5
    assert run_compare(CompareOptions(model, other, atol=error.max_abs)).passed
    assert run_compare(CompareOptions(model, other, rtol=error.max_rel)).passed
    assert not run_compare(CompareOptions(model, other, atol=error.max_abs / 2, rtol=error.max_rel / 2)).passed


def test_seed_changes_the_random_inputs(model: Path) -> None:
    a = run_compare(CompareOptions(model, model, InputOptions(seed=1)))
    b = run_compare(CompareOptions(model, model, InputOptions(seed=2)))
    assert a.passed and b.passed and a.errors[0].max_abs == 0.0
    feeds_a, feeds_b = a.feeds.runs[0].feeds["input"], b.feeds.runs[0].feeds["input"]
    assert feeds_a.shape == (1, 1, 28, 28) and not np.array_equal(feeds_a, feeds_b)


def test_models_with_other_inputs_are_refused(
    capsys: pytest.CaptureFixture[str], model: Path, zoo_mnist8: Path
) -> None:
    code, _, err = cli(capsys, "compare", model, zoo_mnist8)
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("trtkit: error: ")
    assert "inputs ['Input3'] differ from the reference's ['input']" in err


def test_usage_errors(capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "compare", model)
    assert code == 2 and "give a CANDIDATE model after REFERENCE, or --engine PLAN" in err
    code, _, err = cli(capsys, "compare", model, tmp_path / "absent.onnx")
    assert code == 1 and err.strip() == f"trtkit: error: {tmp_path / 'absent.onnx'}: ONNX model not found"
    code, _, err = cli(capsys, "compare", model, "--engine", model)
    assert code == 2 and "is an ONNX model; build a plan first" in err
