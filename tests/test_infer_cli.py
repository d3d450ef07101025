"""`trtkit infer` end to end on the CPU: every input format, presets, batching, output formats, error cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from helpers import cli
from onnx import helper, numpy_helper
from PIL import Image

from trtkit.data.inputs import load_image

REPO = Path(__file__).resolve().parents[1]



def infer_json(capsys: pytest.CaptureFixture[str], *args: object) -> dict:
    code, out, err = cli(capsys, "infer", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def classes(doc: dict) -> list[int]:
    return [p["class"] for p in doc["predictions"]]


def one_line_error(code: int, err: str, message: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trtkit: error: "), err
    assert message in lines[0], lines[0]


@pytest.fixture
def static_model() -> Path:
    path = REPO / "models" / "mnist_static.onnx"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


def with_batch(model: Path, out: Path, batch: int) -> Path:
    """models/mnist.onnx with a fixed batch dimension (its graph flattens per sample, so any batch works)."""
    m = onnx.load(model)
    for value in (*m.graph.input, *m.graph.output):
        value.type.tensor_type.shape.dim[0].dim_value = batch
    onnx.save(m, out)
    return out


def tiny_model(path: Path, op: str, inputs: dict[str, list], output: list) -> Path:
    """A one-node float model (Identity, Add, ...) for non-image inputs and outputs."""
    graph = helper.make_graph(
        [helper.make_node(op, list(inputs), ["y"])],
        "tiny",
        [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, output)],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


# --- the user's example and the display --------------------------------------------------------------------


def test_users_example_verbatim_in_a_subprocess(model: Path, samples: list[Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trtkit", "infer", "models/mnist.onnx", "samples/0.pgm"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "samples/0.pgm (scores):"
    assert lines[1].startswith(" Prob 0  ") and lines[1].endswith("Class 0: **********")
    assert [line.split()[1] for line in lines[1:11]] == [str(d) for d in range(10)]
    assert lines[-1] == " Predicted: 0"
    assert "[I] Model: models/mnist.onnx (onnxruntime)" in done.stderr  # progress on stderr, results on stdout


def test_ten_samples_classified_with_json(
    capsys: pytest.CaptureFixture[str], model: Path, samples: list[Path]
) -> None:
    doc = infer_json(capsys, model, *samples, "--topk", 5)
    assert classes(doc) == list(range(10))
    assert doc["backend"] == "onnxruntime" and doc["model"] == str(model)
    assert doc["inputs"] == [{"name": "input", "shape": [-1, 1, 28, 28], "dtype": "float32"}]
    assert doc["preprocess"].startswith("invert: (255 - p)")
    assert doc["outputs"] == [{"name": "scores", "shape": [10, 10], "dtype": "float32"}]
    first = doc["predictions"][0]
    assert first["input"] == str(samples[0]) and first["output"] == "scores"
    assert len(first["topk"]) == 5 and first["topk"][0]["class"] == 0
    assert sum(first["probabilities"]) == pytest.approx(1.0)
    assert first["probability"] == max(first["probabilities"]) > 0.5
    timings = doc["timings_ms"]
    assert len(timings["runs"]) == 1 and timings["infer"] > 0  # dynamic batch: one run for all ten


def test_quiet_prints_one_line_per_sample(capsys: pytest.CaptureFixture[str], model: Path, samples: list[Path]) -> None:
    code, out, err = cli(capsys, "infer", model, *samples[:3], "--quiet")
    assert code == 0 and err == ""
    assert out.splitlines()[1].startswith(f"{samples[1]}: 1 (")


# --- batching --------------------------------------------------------------------------------------------------


def test_static_model_runs_one_by_one_with_the_same_predictions(
    capsys: pytest.CaptureFixture[str], model: Path, static_model: Path, samples: list[Path]
) -> None:
    batched = infer_json(capsys, model, *samples)
    single = infer_json(capsys, static_model, *samples)
    assert len(single["timings_ms"]["runs"]) == 10
    assert classes(single) == classes(batched) == list(range(10))
    for a, b in zip(single["predictions"], batched["predictions"], strict=True):
        np.testing.assert_allclose(a["probabilities"], b["probabilities"], atol=1e-5)


def test_shapes_chooses_the_batch_of_a_dynamic_model(
    capsys: pytest.CaptureFixture[str], model: Path, samples: list[Path]
) -> None:
    doc = infer_json(capsys, model, *samples, "--shapes=input:1x1x28x28")
    assert len(doc["timings_ms"]["runs"]) == 10 and classes(doc) == list(range(10))


def test_fixed_batch_of_four_pads_the_last_chunk(
    capsys: pytest.CaptureFixture[str], model: Path, samples: list[Path], tmp_path: Path
) -> None:
    four = with_batch(model, tmp_path / "batch4.onnx", 4)
    export = tmp_path / "out.json"
    doc = infer_json(capsys, four, *samples, "--exportOutput", export)
    assert len(doc["timings_ms"]["runs"]) == 3  # 4 + 4 + 2 (padded to 4, padding dropped)
    assert classes(doc) == list(range(10))
    (entry,) = json.loads(export.read_text())
    assert entry["dimensions"] == "10x10"


def test_zoo_model_static_batch_one(capsys: pytest.CaptureFixture[str], zoo_mnist8: Path, samples: list[Path]) -> None:
    doc = infer_json(capsys, zoo_mnist8, *samples)
    assert len(doc["timings_ms"]["runs"]) == 10
    assert classes(doc) == list(range(10))


# --- input formats ---------------------------------------------------------------------------------------------


def test_png_jpeg_and_ascii_pgm_classify_like_the_binary_pgm(
    capsys: pytest.CaptureFixture[str], model: Path, samples: list[Path], tmp_path: Path
) -> None:
    files = []
    for digit in (2, 5, 8):
        pixels = load_image(samples[digit])
        Image.fromarray(pixels).save(tmp_path / f"{digit}.png")
        Image.fromarray(pixels).save(tmp_path / f"{digit}.jpg", quality=95)
        rows = "\n".join(" ".join(map(str, row)) for row in pixels)
        (tmp_path / f"{digit}.pgm").write_text(f"P2\n28 28\n255\n{rows}\n")
        files += [tmp_path / f"{digit}.png", tmp_path / f"{digit}.jpg", tmp_path / f"{digit}.pgm"]
    assert classes(infer_json(capsys, model, *files)) == [2, 2, 2, 5, 5, 5, 8, 8, 8]


def test_colour_image_into_a_grey_model(
    capsys: pytest.CaptureFixture[str], model: Path, samples: list[Path], tmp_path: Path
) -> None:
    Image.open(samples[4]).convert("RGB").resize((56, 56)).save(tmp_path / "big4.png")
    doc = infer_json(capsys, model, tmp_path / "big4.png")  # grey from RGB, resized to 28x28
    assert classes(doc) == [4]


def test_presets_unit_and_none(
    capsys: pytest.CaptureFixture[str], model: Path, samples: list[Path], tmp_path: Path
) -> None:
    """A white-on-black image (MNIST's convention) needs --preprocess unit; inverting the flag inverts it back."""
    Image.fromarray(255 - load_image(samples[3])).save(tmp_path / "mnist_style_3.png")
    assert classes(infer_json(capsys, model, tmp_path / "mnist_style_3.png", "--preprocess", "unit")) == [3]
    assert classes(infer_json(capsys, model, samples[3], "--preprocess", "unit", "--invert")) == [3]
    raw = infer_json(capsys, model, samples[3], "--preprocess", "none")
    assert raw["preprocess"].startswith("none: p * 1;")


def test_arrays_npy_npz_and_load_inputs(
    capsys: pytest.CaptureFixture[str], model: Path, samples: list[Path], tmp_path: Path
) -> None:
    x = 1.0 - np.stack([load_image(p) for p in samples])[:, None].astype(np.float32) / 255.0
    np.save(tmp_path / "all.npy", x)
    np.savez(tmp_path / "named.npz", input=x[:2])
    np.save(tmp_path / "f64.npy", x[7:8].astype(np.float64))  # cast within a kind
    (tmp_path / "seven.bin").write_bytes(x[7:8].tobytes())  # trtexec's raw format
    doc = infer_json(capsys, model, tmp_path / "all.npy", tmp_path / "named.npz", tmp_path / "f64.npy")
    assert classes(doc) == [*range(10), 0, 1, 7]
    assert doc["predictions"][3]["input"] == f"{tmp_path / 'all.npy'}[3]"
    assert doc["preprocess"] is None
    loaded = infer_json(capsys, model, "--loadInputs", f"input:{tmp_path / 'all.npy'}")
    assert classes(loaded) == list(range(10))
    raw = infer_json(capsys, model, f"--loadInputs=input:{tmp_path / 'seven.bin'}", "--shapes=input:1x1x28x28")
    assert classes(raw) == [7]


def test_zoo_tensor_proto_reproduces_its_output(
    capsys: pytest.CaptureFixture[str], zoo_mnist8: Path, zoo_test_data: Path, tmp_path: Path
) -> None:
    export = tmp_path / "out.json"
    doc = infer_json(capsys, zoo_mnist8, zoo_test_data / "input_0.pb", "--exportOutput", export)
    (entry,) = json.loads(export.read_text())
    assert entry["name"] == "Plus214_Output_0" and entry["dimensions"] == "1x10"
    expected = numpy_helper.to_array(onnx.load_tensor(str(zoo_test_data / "output_0.pb")))
    np.testing.assert_allclose(np.array(entry["values"]).reshape(1, 10), expected, rtol=1e-4, atol=1e-4)
    assert classes(doc) == [int(expected.argmax())]


def test_non_classifier_output_and_multiple_inputs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    identity = tiny_model(tmp_path / "id.onnx", "Identity", {"x": [1, 2, 3]}, [1, 2, 3])
    np.save(tmp_path / "x.npy", np.arange(6, dtype=np.float32).reshape(1, 2, 3))
    code, out, err = cli(capsys, "infer", identity, tmp_path / "x.npy")
    assert code == 0, err
    assert out.strip() == "Output 'y': 1x2x3 float32, min 0, max 5, mean 2.5 (all values: --exportOutput)"
    add = tiny_model(tmp_path / "add.onnx", "Add", {"a": ["n", 4], "b": ["n", 4]}, ["n", 4])
    np.save(tmp_path / "a.npy", np.ones((1, 4), np.float32))
    np.save(tmp_path / "b.npy", np.array([[0, 5, 1, 2]], np.float32))
    export = tmp_path / "sum.json"
    doc = infer_json(capsys, add, f"--loadInputs=a:{tmp_path / 'a.npy'},b:{tmp_path / 'b.npy'}", "--no-softmax",
                     "--exportOutput", export)
    assert classes(doc) == [1] and "probabilities" not in doc["predictions"][0]
    assert json.loads(export.read_text()) == [{"name": "y", "dimensions": "1x4", "values": [1.0, 6.0, 2.0, 3.0]}]


# --- errors: one line, non-zero exit, no traceback -------------------------------------------------------------


def test_errors_in_a_subprocess(model: Path, tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.onnx"
    bad.write_bytes(b"not an onnx model")
    cases = [
        (["infer", str(model), str(tmp_path / "missing.pgm")], "missing.pgm: image not found"),
        (["infer", str(bad), "samples/0.pgm"], "corrupt.onnx: ONNX Runtime cannot load the model"),
        (["infer", str(model), "samples/0.pgm", "--backend", "tensorrt"], "is an ONNX model; build a plan first"),
    ]
    for args, message in cases:
        done = subprocess.run([sys.executable, "-m", "trtkit", *args], cwd=REPO, capture_output=True, text=True,
                              timeout=120)
        one_line_error(done.returncode, done.stderr, message)
        assert done.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{bad_png}"], "bad.png: not a readable image"),
        (["--loadInputs=image:{npy}"], "--loadInputs names 'image', which is not an input; the inputs are: input"),
        (["{wrong_shape}"], "array for input 'input' has shape 1x28x28, the input takes ?x1x28x28"),
        (["{ints}"], "array for input 'input' is int64, the input takes float32"),
        (["{npz_two}"], "holds 'a', 'b', but the inputs to fill are 'input'"),
        (["notes.txt"], "notes.txt: unknown input type .txt"),
        (["samples/0.pgm", "--shapes=image:1x1x28x28"], "--shapes names 'image', which is not an input"),
        (["samples/0.pgm", "--shapes=input:1x3x28x28"], "--shapes input:1x3x28x28 does not fit the input's shape"),
        (["samples/0.pgm", "--preprocess", "imagenet"], "input 'input' has 1 channel(s)"),
        (["samples/0.pgm", "--mean", "0.1,x"], "expected numbers separated by commas"),
        (["--loadInputs=input:{tmp}/absent.npy"], "absent.npy: input file not found"),
        (["--loadInputs=input:{raw}"], "a raw file needs a static shape; give --shapes=input:DxD"),
    ],
)
def test_errors_in_process(
    capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "bad.png").write_bytes(b"garbage")
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 28, 28), np.float32))
    np.save(tmp_path / "wrong.npy", np.zeros((1, 28, 28), np.float32))
    np.save(tmp_path / "ints.npy", np.zeros((1, 1, 28, 28), np.int64))
    np.savez(tmp_path / "two.npz", a=np.zeros(1), b=np.zeros(1))
    (tmp_path / "x.bin").write_bytes(bytes(784 * 4))
    names = {"bad_png": tmp_path / "bad.png", "npy": tmp_path / "x.npy", "wrong_shape": tmp_path / "wrong.npy",
             "ints": tmp_path / "ints.npy", "npz_two": tmp_path / "two.npz", "tmp": tmp_path, "raw": tmp_path / "x.bin"}
    code, _, err = cli(capsys, "infer", model, *(a.format(**names) for a in args))
    if "expected numbers" in message:  # click's own usage error: its usual two-line form, exit 2
        assert code == 2 and message in err and "Traceback" not in err
        return
    one_line_error(code, err, message)


def test_missing_model_and_plan_without_runtime(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "infer", tmp_path / "absent.onnx", "samples/0.pgm")
    one_line_error(code, err, "absent.onnx: ONNX model not found")
    code, _, err = cli(capsys, "infer", "samples/0.pgm", "samples/0.pgm", "--backend", "onnxruntime")
    one_line_error(code, err, "--backend onnxruntime needs an .onnx model")


def test_bad_plan_fails_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """auto picks TensorRT for a plan; without TensorRT, a GPU or a valid plan it is one trtkit line (after
    TensorRT's own ``[TRT] [E]`` log lines, where TensorRT is installed), not a traceback."""
    pytest.importorskip("trtkit.backends.tensorrt", reason="the TensorRT backend (another module) is not here yet")
    plan = tmp_path / "mnist.plan"
    plan.write_bytes(b"not really a plan")
    code, out, err = cli(capsys, "infer", plan, "samples/0.pgm")
    assert code != 0 and out == "" and "Traceback" not in err
    *log, last = err.strip().splitlines()
    assert all(line.startswith("[TRT] ") for line in log), err
    assert last.startswith(f"trtkit: error: {plan}")


def test_cli_backend_choices_match_open_backend() -> None:
    from trtkit.backends.loader import BACKEND_CHOICES
    from trtkit.cli.infer import BACKEND_CHOICES as CLI_CHOICES

    assert CLI_CHOICES == BACKEND_CHOICES


def test_images_need_exactly_one_input_without_data(
    capsys: pytest.CaptureFixture[str], samples: list[Path], tmp_path: Path
) -> None:
    add = tiny_model(tmp_path / "add.onnx", "Add", {"a": [1, 1, 28, 28], "b": [1, 1, 28, 28]}, [1, 1, 28, 28])
    code, _, err = cli(capsys, "infer", add, samples[0])
    one_line_error(code, err, "images feed exactly one input, but inputs without data are: a, b")
    np.save(tmp_path / "b.npy", np.full((1, 1, 28, 28), 0.5, np.float32))
    export = tmp_path / "sum.json"
    code, _, err = cli(capsys, "infer", add, samples[0], f"--loadInputs=b:{tmp_path / 'b.npy'}", "--exportOutput",
                       export)
    assert code == 0, err
    (entry,) = json.loads(export.read_text())
    expected = 1.0 - load_image(samples[0]).astype(np.float32) / 255.0 + 0.5
    np.testing.assert_allclose(np.reshape(entry["values"], (28, 28)), expected, atol=1e-6)


@pytest.mark.gpu
def test_plan_on_the_gpu_matches_onnxruntime(
    capsys: pytest.CaptureFixture[str], model: Path, samples: list[Path], tmp_path: Path
) -> None:
    """The user's example on a GPU: build a plan with the installed flavour, classify the samples with it, and
    compare it against ONNX Runtime (FP32 plan: TF32 convolutions allow ~1e-3)."""
    pytest.importorskip("pycuda.driver", reason="TensorRT runs need pycuda and a CUDA GPU")
    plan = tmp_path / "mnist.plan"
    code, _, err = cli(capsys, "build", "--onnx", model, "--saveEngine", plan, "--minShapes=input:1x1x28x28",
                       "--optShapes=input:10x1x28x28", "--maxShapes=input:16x1x28x28", "--skipInference")
    assert code == 0, err
    doc = infer_json(capsys, plan, *samples)
    assert doc["backend"] != "onnxruntime" and classes(doc) == list(range(10))
    code, out, err = cli(capsys, "infer", plan, samples[0])
    assert code == 0 and out.splitlines()[-1] == " Predicted: 0", err
    code, out, err = cli(capsys, "compare", model, "--engine", plan, *samples, "--atol", "1e-3", "--rtol", "1e-3")
    assert code == 0, out + err


def test_no_inputs_classifies_the_bundled_samples(capsys: pytest.CaptureFixture[str]) -> None:
    """A plain install has something to show: the ten sample digits ship inside the package."""
    from trtkit.data.examples import BUNDLED_MODEL, sample_images

    code, out, err = cli(capsys, "infer", BUNDLED_MODEL, "--json")
    assert code == 0, err
    assert "bundled sample digits" in err
    predicted = [p["class"] for p in json.loads(out)["predictions"]]
    assert [s.stem for s in sample_images()] == [str(d) for d in range(10)]
    assert predicted == list(range(10))


def test_no_inputs_for_another_model_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The bundled samples are only for MNIST-shaped inputs; any other model still needs its data named."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    code, out, err = cli(capsys, "infer", path)
    one_line_error(code, err, "no data for input 'x'")
    assert out == ""
