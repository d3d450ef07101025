"""The ONNX Runtime backend on the project's model, the zoo's model and its reference data, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from trtkit.backends.loader import open_backend
from trtkit.backends.onnxruntime import OnnxRuntimeBackend
from trtkit.data.inputs import load_arrays, load_image
from trtkit.data.preprocess import preprocess
from trtkit.data.tensors import TensorInfo
from trtkit.platform.errors import TrtkitError, UsageError


def test_tensor_info_of_the_dynamic_model(model: Path) -> None:
    with OnnxRuntimeBackend(model) as backend:
        assert backend.name == "onnxruntime"
        assert backend.inputs == (TensorInfo("input", (-1, 1, 28, 28), np.dtype(np.float32)),)
        assert backend.outputs == (TensorInfo("scores", (-1, 10), np.dtype(np.float32)),)
        assert backend.inputs[0].is_dynamic


def test_open_backend_auto_picks_onnxruntime(zoo_mnist8: Path) -> None:
    with open_backend(zoo_mnist8, verbosity=-1, flavor=None) as backend:
        assert isinstance(backend, OnnxRuntimeBackend)
        assert backend.inputs[0] == TensorInfo("Input3", (1, 1, 28, 28), np.dtype(np.float32))


@pytest.mark.parametrize("fixture", ["zoo_mnist8", "zoo_mnist12"])
def test_zoo_reference_output(fixture: str, zoo_test_data: Path, request: pytest.FixtureRequest) -> None:
    """The zoo's input_0.pb reproduces output_0.pb (scores up to ~6.6e3: 1e-4 relative, as the zoo checks)."""
    path = request.getfixturevalue(fixture)
    (x,) = load_arrays(zoo_test_data / "input_0.pb").values()
    (expected,) = load_arrays(zoo_test_data / "output_0.pb").values()
    with OnnxRuntimeBackend(path) as backend:
        (got,) = backend.run({"Input3": x}).values()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert got.argmax() == expected.argmax()


def test_all_ten_samples_in_one_batch(model: Path, samples: list[Path]) -> None:
    with OnnxRuntimeBackend(model) as backend:
        x = preprocess([load_image(p) for p in samples], backend.inputs[0])
        scores = backend.run({"input": x})["scores"]
    assert scores.shape == (10, 10)
    assert scores.argmax(axis=1).tolist() == list(range(10))


def test_bind_runs_the_same_computation(model: Path, samples: list[Path]) -> None:
    with OnnxRuntimeBackend(model, intra_op_threads=1) as backend:
        x = preprocess([load_image(samples[7])], backend.inputs[0])
        call = backend.bind({"input": x})
        (bound,) = call()  # type: ignore[misc]
        np.testing.assert_array_equal(bound, backend.run({"input": x})["scores"])


def test_bind_checks_the_feeds_once(model: Path) -> None:
    with OnnxRuntimeBackend(model) as backend, pytest.raises(TrtkitError, match=r"input 'input': expected dtype"):
        backend.bind({"input": np.zeros((1, 1, 28, 28), np.float64)})


@pytest.mark.parametrize(
    ("feeds", "message"),
    [
        ({"image": np.zeros((1, 1, 28, 28), np.float32)}, "input 'image' is not an input of the model; its inputs are"),
        ({}, "input 'input' (?x1x28x28 float32) is missing"),
        ({"input": np.zeros((1, 28, 28), np.float32)}, "input 'input': expected shape ?x1x28x28, got 1x28x28"),
        ({"input": np.zeros((2, 1, 28, 27), np.float32)}, "input 'input': expected shape ?x1x28x28, got 2x1x28x27"),
        ({"input": np.zeros((1, 1, 28, 28), np.float64)}, "input 'input': expected dtype float32, got float64"),
    ],
)
def test_wrong_feeds(model: Path, feeds: dict[str, np.ndarray], message: str) -> None:
    with OnnxRuntimeBackend(model) as backend, pytest.raises(TrtkitError) as info:
        backend.run(feeds)
    assert message in str(info.value)


def test_missing_and_corrupt_models(tmp_path: Path) -> None:
    with pytest.raises(TrtkitError, match=r"absent.onnx: ONNX model not found"):
        OnnxRuntimeBackend(tmp_path / "absent.onnx")
    with pytest.raises(TrtkitError, match=r"is a directory"):
        OnnxRuntimeBackend(tmp_path)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"definitely not protobuf")
    with pytest.raises(TrtkitError, match=r"bad.onnx: ONNX Runtime cannot load the model: .*[Pp]rotobuf") as info:
        OnnxRuntimeBackend(bad)
    assert "\n" not in str(info.value) and "[ONNXRuntimeError]" not in str(info.value)


def test_truncated_model(model: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.onnx"
    data = model.read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(TrtkitError, match=r"cut.onnx: ONNX Runtime cannot load the model"):
        OnnxRuntimeBackend(cut)


def test_symbolic_and_unknown_dims_become_minus_one(tmp_path: Path) -> None:
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT16, ["n", None, 3])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT16, ["n", None, 3])
    graph = onnx.helper.make_graph([onnx.helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    path = tmp_path / "identity.onnx"
    onnx.save(onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)]), path)
    with OnnxRuntimeBackend(path) as backend:
        assert backend.inputs == (TensorInfo("x", (-1, -1, 3), np.dtype(np.float16)),)
        out = backend.run({"x": np.ones((2, 5, 3), np.float16)})["y"]
    assert out.shape == (2, 5, 3) and out.dtype == np.float16


def test_device_choice(model: Path) -> None:
    with pytest.raises(UsageError, match=r"--device tpu"):
        OnnxRuntimeBackend(model, device="tpu")


def test_closed_backend(model: Path) -> None:
    backend = OnnxRuntimeBackend(model)
    backend.close()
    with pytest.raises(TrtkitError, match=r"closed"):
        backend.run({"input": np.zeros((1, 1, 28, 28), np.float32)})
