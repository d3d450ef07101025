"""The faithful (``reference``) backend stores every tensor in its declared type: an FP16 overflow that ONNX
Runtime hides shows up, BF16 rounds as ml_dtypes does, INT8 Q/DQ is exact, FP32 models are unchanged."""

from __future__ import annotations

from pathlib import Path

import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from faithful_graphs import OVERFLOW_INPUT, overflow_model
from onnx import TensorProto, helper, numpy_helper

from trtkit.backends.loader import BACKEND_CHOICES, open_backend
from trtkit.backends.reference import run_all
from trtkit.platform.errors import UsageError


def test_fp16_overflow_is_inf_where_onnx_runtime_computes_fp32(tmp_path: Path) -> None:
    model = overflow_model()
    path = tmp_path / "overflow.onnx"
    onnx.save(model, path)
    hidden = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": OVERFLOW_INPUT})[0]
    assert np.isfinite(hidden).all() and np.allclose(hidden, 1200, rtol=1e-3)  # ORT ran the FP16 chain in FP32
    with open_backend(path, "reference") as backend:
        assert backend.name == "reference"
        assert np.isposinf(backend.run({"x": OVERFLOW_INPUT})["y"]).all()
    tensors = run_all(model, {"x": OVERFLOW_INPUT})
    assert list(tensors) == ["x16", "big", "back", "y"]  # every node output, in topological order
    assert tensors["big"].dtype == np.float16 and np.isposinf(tensors["big"]).all()
    assert tensors["x16"].dtype == np.float16 and tensors["y"].dtype == np.float32


def test_bf16_rounds_each_stored_tensor() -> None:
    tensors = run_all(overflow_model(TensorProto.BFLOAT16), {"x": OVERFLOW_INPUT}, outputs=["big", "y"])
    assert tensors["big"].dtype == ml_dtypes.bfloat16
    # 120000 is not a bfloat16: it is stored as its nearest neighbour 119808 (no overflow: BF16 has FP32's range)
    assert np.array_equal(tensors["big"].astype(np.float32), np.full((1, 4), 119808, np.float32))
    assert np.float32(np.float32(120000).astype(ml_dtypes.bfloat16)) == 119808
    assert np.isfinite(tensors["y"]).all()


def test_int8_qdq_is_exact() -> None:
    scale, zero = np.float32(0.05), np.int8(3)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "scale", "zero"], ["q"]),
        helper.make_node("DequantizeLinear", ["q", "scale", "zero"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64])],
        [numpy_helper.from_array(np.array(scale), "scale"), numpy_helper.from_array(np.array(zero), "zero")],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    x = np.linspace(-8, 8, 64, dtype=np.float32)
    tensors = run_all(model, {"x": x})
    expected_q = np.clip(np.rint(x / scale) + zero, -128, 127).astype(np.int8)  # ONNX: round half to even, saturate
    assert tensors["q"].dtype == np.int8 and np.array_equal(tensors["q"], expected_q)
    assert np.array_equal(tensors["y"], (expected_q.astype(np.float32) - zero) * scale)


def test_fp32_model_runs_as_on_onnx_runtime(model: Path) -> None:
    x = np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32)
    with open_backend(model, "onnxruntime") as ort_backend, open_backend(model, "reference") as reference:
        assert reference.inputs == ort_backend.inputs and reference.outputs == ort_backend.outputs
        np.testing.assert_allclose(reference.run({"input": x})["scores"], ort_backend.run({"input": x})["scores"],
                                   rtol=1e-5, atol=1e-5)  # fmt: skip


def test_reference_is_a_backend_choice_for_onnx_only(tmp_path: Path) -> None:
    assert "reference" in BACKEND_CHOICES and BACKEND_CHOICES[0] == "auto"
    plan = tmp_path / "model.plan"
    plan.write_bytes(b"plan")
    with pytest.raises(UsageError, match=r"--backend reference needs an \.onnx model"):
        open_backend(plan, "reference")


@pytest.mark.parametrize("half", [TensorProto.FLOAT16, TensorProto.BFLOAT16])
def test_every_producer_rounds_as_numpy_and_ml_dtypes_do(half: int) -> None:
    """An Add in the declared type, over values across the whole range (subnormals, overflow, ties): its output
    is the FP32 sum of the stored inputs, rounded once to the declared type."""
    dtype = np.float16 if half == TensorProto.FLOAT16 else ml_dtypes.bfloat16
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(20000) * np.exp2(rng.integers(-30, 30, 20000))).astype(np.float32)
    offset = helper.make_tensor("offset", half, [], [0.1])
    nodes = [helper.make_node("Cast", ["x"], ["x16"], to=half), helper.make_node("Add", ["x16", "offset"], ["sum"])]
    graph = helper.make_graph(nodes, "add", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [20000])],
                              [helper.make_tensor_value_info("sum", half, [20000])], [offset])  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    tensors = run_all(model, {"x": x})
    with np.errstate(over="ignore"):  # numpy warns where FP16 overflows to inf: the point of the test
        stored = x.astype(dtype).astype(np.float32)
        expected = (stored + np.float32(np.float32(0.1).astype(dtype))).astype(dtype)
    assert tensors["x16"].dtype == dtype and np.array_equal(tensors["x16"].astype(np.float32), stored)
    assert np.array_equal(tensors["sum"].astype(np.float32), expected.astype(np.float32), equal_nan=True)
    if half == TensorProto.FLOAT16:
        assert np.isinf(tensors["sum"]).any() and (np.abs(tensors["x16"]) < 6.2e-5).any()  # overflow, subnormals
