"""The OpenVINO backend on the CPU: its numbers against ONNX Runtime, what each precision hint does to them,
MNIST accuracy per precision, IR and auto, and one-line errors.

Models: the project's MNIST model and a ResNet-50 layout at a quarter of its width with random weights
(scripts/make_resnet.py, generated once per run into a temporary folder: 2 M parameters, 224x224).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import cli

from scripts.make_resnet import make_resnet
from trtkit.backends.loader import open_backend, resolve_backend
from trtkit.backends.options import RuntimeOptions
from trtkit.data.preprocess import PreprocessOptions
from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.precision.options import PrecisionOptions
from trtkit.tasks.compare import CompareOptions, run_compare
from trtkit.tasks.eval import EvalOptions, evaluate

ov = pytest.importorskip("openvino")
CAPABILITIES = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
needs_bf16 = pytest.mark.skipif("BF16" not in CAPABILITIES, reason="this CPU has no BF16 kernels for OpenVINO")
needs_fp16 = pytest.mark.skipif("FP16" not in CAPABILITIES, reason="this CPU has no FP16 kernels for OpenVINO")


@pytest.fixture(scope="module")
def resnet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import onnx

    path = tmp_path_factory.mktemp("resnet") / "resnet50_w0.25.onnx"
    onnx.save(make_resnet(width=0.25), str(path))
    return path


def _outputs(path: Path, backend: str, x: np.ndarray, **runtime: object) -> np.ndarray:
    with open_backend(path, backend, runtime=RuntimeOptions(**runtime)) as b:  # type: ignore[arg-type]
        return b.run({b.inputs[0].name: x})[b.outputs[0].name]


def _relative(a: np.ndarray, reference: np.ndarray) -> float:
    return float(np.abs(a - reference).max() / np.abs(reference).max())


@pytest.mark.parametrize("which", ["mnist", "resnet"])
def test_fp32_matches_onnxruntime(which: str, model: Path, resnet: Path) -> None:
    """trtkit compare, ONNX Runtime against OpenVINO on the same seeded inputs: FP32 agrees to 1e-4."""
    path = model if which == "mnist" else resnet
    result = run_compare(CompareOptions(path, path, candidate_backend="openvino", atol=1e-4, rtol=1e-4))
    assert result.backends == ("onnxruntime", "openvino")
    assert result.passed, result.to_text()
    assert 0 < result.errors[0].max_abs < 1e-4  # two different kernels libraries: close, not bit-equal


def test_default_is_explicit_fp32_not_openvinos_own_choice(resnet: Path) -> None:
    """Without flags the backend sets f32 and reads it back; OpenVINO left alone would pick its own (BF16 on
    this CPU) and give other numbers."""
    x = np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32)
    with open_backend(resnet, "openvino") as b:
        assert b.settings["INFERENCE_PRECISION_HINT"] == "f32"
        ours = b.run({"input": x})["logits"]
    assert _outputs(resnet, "openvino", x, inference_precision="f32").tobytes() == ours.tobytes()
    reference = _outputs(resnet, "onnxruntime", x)
    assert _relative(ours, reference) < 1e-5
    core = ov.Core()
    untouched = core.compile_model(str(resnet), "CPU")
    own = untouched.get_property("INFERENCE_PRECISION_HINT")
    theirs = untouched.create_infer_request().infer({"input": x})[0]
    if own != ov.Type.f32:
        assert _relative(theirs, reference) > 1e-4  # what trtkit's explicit hint prevents


@needs_bf16
@needs_fp16
def test_bf16_and_fp16_hints_change_outputs_by_their_precision(resnet: Path) -> None:
    """BF16 (8-bit mantissa) moves the logits by ~0.1-1%, FP16 (11-bit) by less, FP32 by ~1e-6."""
    x = np.random.default_rng(1).standard_normal((2, 3, 224, 224)).astype(np.float32)
    reference = _outputs(resnet, "onnxruntime", x)
    errors = {}
    for hint in ("f32", "f16", "bf16"):
        with open_backend(resnet, "openvino", runtime=RuntimeOptions(inference_precision=hint)) as b:
            assert b.settings["INFERENCE_PRECISION_HINT"] == hint
            errors[hint] = _relative(b.run({"input": x})["logits"], reference)
    assert errors["f32"] < 1e-5
    assert 1e-5 < errors["f16"] < 1e-2
    assert 5e-4 < errors["bf16"] < 5e-2
    assert errors["bf16"] > errors["f16"] > errors["f32"]


def test_eval_accuracy_per_precision(model: Path, mnist_dir: Path, tmp_path: Path) -> None:
    """Top-1 on 1000 MNIST test digits: FP32 on OpenVINO classifies exactly as ONNX Runtime does; BF16, FP16 and
    trtkit's INT8 Q/DQ graph (calibrated on 200 training digits) stay within a point, and INT8 runs INT8 kernels."""
    def run(backend: str, **precision: object) -> float:
        options = EvalOptions(model, mnist_dir, limit=1000, backend=backend,
                              precision=PrecisionOptions(**precision))  # type: ignore[arg-type]
        result = evaluate(options)
        assert result.count == 1000 and result.backend == backend
        return result.accuracy

    reference = run("onnxruntime")
    assert reference > 95.0
    assert run("openvino") == reference
    calib = {"int8": True, "calib": mnist_dir, "calib_samples": 200, "calib_cache": tmp_path / "mnist.calib",
             "preprocess": PreprocessOptions(preset="unit")}
    accuracies = {"bf16": run("openvino", bf16=True), "fp16": run("openvino", fp16=True),
                  "int8": run("openvino", **calib)}
    for precision, accuracy in accuracies.items():
        assert abs(accuracy - reference) <= 1.0, (precision, accuracy, reference)
    assert (tmp_path / "mnist.calib").read_text().startswith("TRT-0-EntropyCalibration2")
    # The cache serves ONNX Runtime too: the same Q/DQ graph, no recalibration.
    assert abs(run("onnxruntime", **calib) - accuracies["int8"]) <= 0.5

    from trtkit.builder.cpu_model import open_model

    with open_model(model, "openvino", precision=PrecisionOptions(**calib)) as b:  # type: ignore[arg-type]
        precisions = {layer["RuntimePrecision"] for layer in b.layer_info()["Layers"]}  # type: ignore[index]
    assert precisions & {"i8", "u8"}, precisions


def test_ir_runs_and_auto_sends_it_to_openvino(model: Path, tmp_path: Path) -> None:
    xml = tmp_path / "mnist.xml"
    ov.save_model(ov.Core().read_model(str(model)), str(xml), compress_to_fp16=False)  # the default halves weights
    assert resolve_backend(xml) == "openvino" and resolve_backend(model) == "onnxruntime"
    assert resolve_backend(tmp_path / "m.blob") == "openvino" and resolve_backend(tmp_path / "m.plan") == "tensorrt"
    x = np.random.default_rng(2).random((3, 1, 28, 28), dtype=np.float32)
    with open_backend(xml) as b:
        assert b.name == "openvino" and b.inputs[0].shape == (-1, 1, 28, 28)
        got = b.run({"input": x})["scores"]
    assert np.allclose(got, _outputs(model, "onnxruntime", x), atol=1e-4)


def test_shapes_reshape_the_model_before_compiling(model: Path) -> None:
    with open_backend(model, "openvino", runtime=RuntimeOptions(shapes={"input": (4, 1, 28, 28)})) as b:
        assert b.inputs[0].shape == (4, 1, 28, 28) and b.outputs[0].shape == (4, 10)
        with pytest.raises(TrtkitError, match=r"input 'input': expected shape 4x1x28x28, got 2x1x28x28"):
            b.run({"input": np.zeros((2, 1, 28, 28), np.float32)})
    with pytest.raises(UsageError, match=r"--shapes input:4x3x28x28 does not fit"):
        open_backend(model, "openvino", runtime=RuntimeOptions(shapes={"input": (4, 3, 28, 28)}))


@pytest.mark.parametrize(("name", "content", "message"), [
    ("digit.pgm", b"P5 28 28 255\n", r"OpenVINO runs ONNX models \(.onnx\), OpenVINO IR .* not .pgm$"),
    ("broken.onnx", b"hello", r"broken.onnx: OpenVINO cannot read the model: Model can't be parsed$"),
    ("broken.xml", b"<net>", r"broken.xml: OpenVINO cannot read the model: Start-end tags mismatch at offset 4$"),
    ("broken.blob", b"garbage", r"broken.blob: OpenVINO cannot import the compiled blob: \[CPU\] Cannot import"),
    ("absent.onnx", None, r"absent.onnx: model not found$"),
])
def test_bad_files_fail_in_one_line_with_nothing_on_stderr(
    name: str, content: bytes | None, message: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TrtkitError, match=message) as info:
        open_backend(path, "openvino")
    assert "\n" not in str(info.value) and "Exception from" not in str(info.value)
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # no frontend (TensorFlow's parser) wrote to the terminal


def test_cli_errors_are_one_line(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "infer", model, "--backend", "onnxruntime", "--bf16")
    assert code == 2 and err.strip().splitlines() == [
        "trtkit: error: --bf16: ONNX Runtime's CPU provider has no FP16/BF16 kernels (it would run FP32); use "
        "--backend openvino"]
    code, _, err = cli(capsys, "infer", model, "--backend", "openvino", "--fp16", "--bf16")
    assert code == 2
    assert err.strip() == "trtkit: error: --fp16 --bf16: a CPU backend runs one reduced float type; pick one"
    code, _, err = cli(capsys, "bench", "--onnx", model, "--backend", "openvino", "--int8")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--int8 needs calibration data" in err


def test_infer_classifies_the_samples_as_onnxruntime_does(model: Path, samples: list[Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import json

    results = {}
    for backend in ("onnxruntime", "openvino"):
        code, out, err = cli(capsys, "infer", model, *samples, "--backend", backend, "--json")
        assert code == 0, err
        results[backend] = json.loads(out)
    assert results["openvino"]["backend"] == "openvino"
    labels = {b: [p["class"] for p in r["predictions"]] for b, r in results.items()}
    assert labels["openvino"] == labels["onnxruntime"] == list(range(10))
