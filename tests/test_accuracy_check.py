"""trtexec 11.1's accuracy check on infer and bench, and compare's metrics with --saveOutputs/--loadOutputs, all
on ONNX Runtime with real files: each algorithm passes the right output and fails a wrong one, exit codes and
the one-line failure are trtexec's; reduced-precision graphs are judged on the reference backend."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from faithful_graphs import OVERFLOW_INPUT, overflow_model
from helpers import cli
from onnx import TensorProto, helper, numpy_helper

from trtkit.cli.accuracy_options import ALGORITHMS as CLI_ALGORITHMS
from trtkit.data.accuracy import ALGORITHMS, NAMES, loss

# A threshold per algorithm that the right output (loss 0) stays under and the wrong one (-ref - 1) reaches.
THRESHOLDS = {"l0": "0.01", "l1": "0.01", "l2": "0.0001", "lInf": "0.01", "cos": "0.001"}
FAILED = "Accuracy validation FAILED: one or more tensors exceeded the threshold"


@pytest.fixture
def refs(model: Path, tmp_path: Path) -> dict[str, Path]:
    """Two MNIST-shaped inputs, the model's true outputs (npy, npz, pb, raw) and a wrong output."""
    x = np.random.default_rng(7).random((2, 1, 28, 28), dtype=np.float32)
    y = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    files = {"x": tmp_path / "x.npy", "npy": tmp_path / "y.npy", "npz": tmp_path / "y.npz",
             "pb": tmp_path / "y.pb", "raw": tmp_path / "y.raw", "wrong": tmp_path / "wrong.npy"}  # fmt: skip
    np.save(files["x"], x)
    np.save(files["npy"], y)
    np.savez(files["npz"], scores=y, other=-y)
    files["pb"].write_bytes(numpy_helper.from_array(y, "scores").SerializeToString())
    y.tofile(files["raw"])
    np.save(files["wrong"], -y - 1)
    return files


def test_metrics_follow_trtexec() -> None:
    ref = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    out = np.array([1.0, 2.5, 3.0, 2.0], np.float32)
    assert loss(out, ref, "l0", 1e-5, 1e-5) == 0.5  # 2 of 4 elements beyond atol + rtol*|ref|
    assert loss(out, ref, "l1", 0, 0) == pytest.approx(2.5 / 4)
    assert loss(out, ref, "l2", 0, 0) == pytest.approx(4.25 / 4)  # mean squared error, no square root
    assert loss(out, ref, "lInf", 0, 0) == 2.0
    assert loss(2 * ref, ref, "cos", 0, 0) == pytest.approx(0.0, abs=1e-12) and loss(-ref, ref, "cos", 0, 0) == 2.0
    assert loss(np.zeros(4), np.zeros(4), "cos", 0, 0) == 1.0  # trtexec: zero vectors are a full loss
    nan = np.array([np.nan, 2.0, 3.0, 4.0])
    assert loss(nan, ref, "l0", 0, 0) == 0.0 and loss(nan, ref, "lInf", 0, 0) == 0.0  # C++ comparisons skip NaN
    assert np.isnan(loss(nan, ref, "l1", 0, 0))  # ... and NaN >= threshold is false: it never fails, as in trtexec
    assert CLI_ALGORITHMS == ALGORITHMS


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_infer_passes_the_right_reference_and_fails_a_wrong_one(
    algorithm: str, model: Path, refs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--loadInputs", f"input:{refs['x']}", "--accuracyAlgorithm", algorithm,
              "--accuracyThreshold", THRESHOLDS[algorithm]]  # fmt: skip
    code, out, err = cli(capsys, "infer", model, *common, "--loadRefOutputs", f"scores:{refs['npy']}")
    assert code == 0, err
    assert f"Accuracy loss for tensor scores ({NAMES[algorithm]}): 0.000000" in err
    code, out, err = cli(capsys, "infer", model, *common, "--loadRefOutputs", f"scores:{refs['wrong']}")
    assert code == 1 and "[FAIL: >= threshold" in err
    assert err.strip().splitlines()[-1].startswith(f"trtkit: error: {FAILED}: scores (")
    assert "Predicted" in out  # the report is printed before failing, as trtexec prints its performance summary


@pytest.mark.parametrize("kind", ["npz", "pb", "raw"])
def test_reference_file_formats(
    kind: str, model: Path, refs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "infer", model, "--loadInputs", f"input:{refs['x']}", "--loadRefOutputs",
                       f"scores:{refs[kind]}", "--accuracyThreshold", "1e-6", "--atol", "1e-4")  # fmt: skip
    assert code == 0 and "Accuracy loss for tensor scores (L0): 0.000000" in err


def test_trtexec_refusals(model: Path, refs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"scores:{refs['npy']}"
    cases = {
        ("--loadRefOutputs", ref, "--accuracyThreshold", "0.1"): "--loadRefOutputs requires --loadInputs",
        ("--loadInputs", f"input:{refs['x']}", "--loadRefOutputs", ref): "--accuracyThreshold (with a positive value)",
        ("--loadInputs", f"input:{refs['x']}", "--loadRefOutputs", ref, "--accuracyThreshold", "0.1",
         "--accuracyAlgorithm", "cos", "--rtol", "0.1"): "only valid for the L0 accuracy algorithm",
        ("--refPair", "0", "--refPair", "2", "--loadRefOutputs", ref, "--accuracyThreshold", "0.1"): "without gaps",
        ("--loadInputs", f"input:{refs['x']}", "--loadRefOutputs", f"logits:{refs['npy']}",
         "--accuracyThreshold", "0.1"): "'logits' is not an output of the model",
    }  # fmt: skip
    for args, message in cases.items():
        code, out, err = cli(capsys, "infer", model, *args)
        assert code != 0 and out == "" and message in err and len(err.strip().splitlines()) == 1, (args, err)


def test_ref_pairs_check_each_pair(model: Path, refs: dict[str, Path], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    other = tmp_path / "x2.npy"
    np.save(other, np.zeros((2, 1, 28, 28), np.float32))
    pairs = ["--refPair", "0", "--refPair", "1", "--loadInputs", f"input:{refs['x']}", "--loadInputs",
             f"input:{other}", "--loadRefOutputs", f"scores:{refs['npy']}", "--accuracyThreshold", "0.01"]  # fmt: skip
    code, _, err = cli(capsys, "infer", model, *pairs, "--loadRefOutputs", f"scores:{refs['npy']}")
    assert code == 1  # pair 1's inputs (zeros) do not produce pair 0's outputs
    assert "pair 0: Accuracy loss for tensor scores (L0): 0.000000\n" in err and "pair 1: Accuracy loss" in err


def test_bench_validates_before_timing_and_fails_on_wrong_refs(
    model: Path, refs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fast = ["--onnx", model, "--duration", "0.05", "--warmUp", "10", "--iterations", "5", "--loadInputs",
            f"input:{refs['x']}", "--accuracyThreshold", "0.01"]  # fmt: skip
    code, out, err = cli(capsys, "bench", *fast, "--loadRefOutputs", f"scores:{refs['npy']}")
    assert code == 0, err
    assert err.index("Accuracy loss for tensor scores (L0): 0.000000") < err.index("Starting inference")
    code, out, err = cli(capsys, "bench", *fast, "--loadRefOutputs", f"scores:{refs['wrong']}")
    assert code == 1 and "Throughput" in out + err  # the performance report is still printed
    assert err.strip().splitlines()[-1].startswith(f"trtkit: error: {FAILED}")


def negated(model: Path, tmp_path: Path) -> Path:
    """The model with its output negated: a candidate that is wrong by every metric."""
    graph = onnx.load(model)
    out = graph.graph.output[0].name
    for node in graph.graph.node:
        node.output[:] = [f"{o}_raw" if o == out else o for o in node.output]
    graph.graph.node.append(helper.make_node("Neg", [f"{out}_raw"], [out]))
    path = tmp_path / "negated.onnx"
    onnx.save(graph, path)
    return path


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_compare_metrics_with_saved_outputs(
    algorithm: str, model: Path, refs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "ref.npz"
    metric = ["--accuracyAlgorithm", algorithm, "--accuracyThreshold", THRESHOLDS[algorithm]]
    code, out, err = cli(capsys, "compare", model, model, "--loadInputs", f"input:{refs['x']}", "--saveOutputs",
                         saved, *metric)  # fmt: skip
    assert code == 0, err
    assert set(np.load(saved).files) == {"input/input", "output/scores"}
    code, out, err = cli(capsys, "compare", "--loadOutputs", saved, model, *metric)
    assert code == 0 and "PASSED | All outputs match" in out, err
    code, out, err = cli(capsys, "compare", "--loadOutputs", saved, negated(model, tmp_path), *metric)
    assert code == 1 and "FAILED | scores" in out
    assert err.strip().splitlines()[-1].startswith(f"trtkit: error: outputs differ beyond {algorithm} threshold")


def test_saved_outputs_serve_infer_references(model: Path, refs: dict[str, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    saved = tmp_path / "ref.npz"
    assert cli(capsys, "compare", model, model, "--loadInputs", f"input:{refs['x']}", "--saveOutputs", saved)[0] == 0
    code, out, err = cli(capsys, "infer", model, "--loadInputs", f"input:{refs['x']}", "--loadRefOutputs",
                         f"scores:{saved}", "--accuracyThreshold", "0.01", "--json")  # fmt: skip
    assert code == 0 and "Accuracy loss for tensor scores (L0): 0.000000" in err
    assert json.loads(out)["accuracy"] == [{"pair": 0, "tensor": "scores", "loss": 0.0, "failed": False}]


def test_converted_graphs_are_judged_faithfully(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The FP16 overflow graph against its FP32 twin: ONNX Runtime alone says they match; trtkit's default
    (the reference backend for a reduced-precision graph) reports the inf."""
    fp32, fp16, x = tmp_path / "fp32.onnx", tmp_path / "fp16.onnx", tmp_path / "x.npy"
    onnx.save(overflow_model(TensorProto.FLOAT), fp32)
    onnx.save(overflow_model(), fp16)
    np.save(x, OVERFLOW_INPUT)
    code, out, err = cli(capsys, "compare", fp32, fp16, "--loadInputs", f"x:{x}", "--rtol", "1e-3")
    assert code == 1 and "reference backend" in err and "candidate: " in err and "inf" in out + err
    check = ["--loadInputs", f"x:{x}", "--loadRefOutputs", f"y:{x}", "--accuracyAlgorithm", "lInf",
             "--accuracyThreshold", "1e9", "--no-softmax"]  # fmt: skip
    code, out, err = cli(capsys, "infer", fp16, *check, "--backend", "onnxruntime")
    assert code == 0 and "Accuracy loss for tensor y (LInf): 1100.25" in err  # ORT ran the FP16 chain in FP32
    code, out, err = cli(capsys, "infer", fp16, *check)
    assert code == 1 and "Accuracy loss for tensor y (LInf): inf [FAIL" in err
