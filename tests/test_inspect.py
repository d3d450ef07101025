"""`trtkit inspect`: a plan's writer and version from its header, checked against a real plan built here by
the TensorRT-RTX builder; ONNX summaries, external data and the TensorRT-RTX parser's verdict on a model
with an op it rejects."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import onnx
import pytest
from helpers import cli
from onnx import TensorProto, helper, numpy_helper

from trtkit.tasks.inspect_onnx import inspect_onnx
from trtkit.tasks.inspect_plan import inspect_plan

REPO = Path(__file__).resolve().parents[1]
MNIST = REPO / "models" / "mnist.onnx"


@pytest.fixture(scope="module")
def rtx_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")
    from trtkit.builder.builder import BuildOptions, build

    path = tmp_path_factory.mktemp("plans") / "mnist.plan"
    build(BuildOptions(onnx=MNIST, save_engine=path, flavor="rtx", verbosity=-1))
    return path


def test_a_real_rtx_plan_names_its_writer(rtx_plan: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import tensorrt_rtx

    data = rtx_plan.read_bytes()
    assert data[:4] == b"vtrt" and struct.unpack_from("<I", data, 4) == (0,), "the layout trtexec reads"
    report = inspect_plan(rtx_plan, "rtx")
    assert report["flavour"] == "TensorRT-RTX" and report["flavour_key"] == "rtx1"
    assert report["version"] == tensorrt_rtx.__version__ and report["size"] == len(data)
    code, out, err = cli(capsys, "inspect", rtx_plan)
    assert code == 0, err
    assert f"Plan was created with TensorRT-RTX version {tensorrt_rtx.__version__} (tag 'vtrt')" in out
    try:
        from trtkit.platform import cuda

        cuda.Device().close()
    except Exception:
        assert report["engine"] is None and "cannot run here" in report["engine_skipped"]
        assert "Engine: not deserialized (this plan cannot run here" in out


def test_the_rtx_header_carries_the_plan_size(rtx_plan: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    cut = tmp_path / "cut.plan"
    cut.write_bytes(rtx_plan.read_bytes()[:-100])
    report = inspect_plan(cut, "rtx")
    assert report["version"].startswith("1.") and "truncated or padded" in report["engine_skipped"]
    code, out, _ = cli(capsys, "inspect", cut, "--json")
    assert code == 0 and json.loads(out)["engine"] is None


def _header(tag: bytes, version: tuple[int, int, int, int], serialization: int = 0) -> bytes:
    return tag + struct.pack("<I", serialization) + bytes(16) + bytes(version) + bytes(100)


def test_tensorrt_plans_are_read_as_trtexec_reads_them(tmp_path: Path) -> None:
    """trtexec's printPlanVersion layout: "ftrt", serialization 0, version bytes at 24..27."""
    for major, key in ((10, "tensorrt10"), (11, "tensorrt11")):
        plan = tmp_path / f"trt{major}.plan"
        plan.write_bytes(_header(b"ftrt", (major, 16, 1, 11)))
        report = inspect_plan(plan, "rtx")
        assert (report["flavour"], report["flavour_key"], report["version"]) == ("TensorRT", key, f"{major}.16.1.11")
        if report["engine_skipped"] is not None and "wrote it" in report["engine_skipped"]:
            assert report["engine_skipped"].startswith(f"TensorRT {major}.16.1.11 wrote it; the loaded runtime is")


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "the plan file is empty"),
    (b"ftrt" + bytes(10), "not a TensorRT plan (14 bytes"),
    (_header(b"ftrt", (9, 0, 0, 0)), "not a plan of a TensorRT flavour trtkit knows (tag 'ftrt'"),
    (_header(b"vtrt", (1, 7, 1, 116), serialization=3), "serialization 3"),
    (_header(b"xxxx", (10, 0, 0, 0)), "tag 'xxxx'"),
])
def test_what_is_no_known_plan_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes,
                                           expected: str) -> None:
    path = tmp_path / "x.engine"
    path.write_bytes(data)
    code, out, err = cli(capsys, "inspect", path)
    assert code == 1 and out == "" and expected in err and err.count("\n") == 1


def test_onnx_summary(tmp_path: Path) -> None:
    report = inspect_onnx(MNIST, parser=False)
    model = onnx.load(MNIST)
    assert report["opsets"] == {"ai.onnx": model.opset_import[0].version}
    assert report["producer"].startswith(model.producer_name)
    assert report["inputs"] == [{"name": "input", "dtype": "FLOAT", "shape": ["batch", 1, 28, 28]}]
    assert report["outputs"][0]["shape"][0] == "batch"
    assert sum(report["ops"].values()) == report["nodes"] == len(model.graph.node)
    assert report["ops"]["Conv"] == sum(n.op_type == "Conv" for n in model.graph.node)
    weights = sum(numpy_helper.to_array(t).nbytes for t in model.graph.initializer)
    assert report["initializers"] == {"count": len(model.graph.initializer), "bytes": weights, "external_files": []}


def _custom_op_model() -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="relu"),
             helper.make_node("MyOp", ["a"], ["b"], name="custom", domain="com.example"),
             helper.make_node("Sigmoid", ["b"], ["y"], name="sigmoid")]
    graph = helper.make_graph(nodes, "custom", [x], [y])
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="trtkit-tests")


def test_the_rtx_parser_rejects_a_custom_domain_op(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")
    path = tmp_path / "custom.onnx"
    onnx.save(_custom_op_model(), path)
    report = inspect_onnx(path, "rtx")
    parser = report["parser"]
    assert parser["runtime"].startswith("TensorRT-RTX") and parser["supported"] is False
    assert [(n["node"], n["name"], n["op"]) for n in parser["rejected_nodes"]] == [(1, "custom", "MyOp")]
    assert "Plugin not found" in parser["rejected_nodes"][0]["reason"]
    assert parser["operators"] == {"Relu": True, "Sigmoid": True, "com.example:MyOp": False}
    assert report["opsets"] == {"ai.onnx": 17, "com.example": 1}
    code, out, err = cli(capsys, "inspect", path, "--flavor", "rtx")
    assert code == 0, err
    assert "does NOT support the whole model" in out and "rejects node 1 'custom' (MyOp)" in out
    assert inspect_onnx(MNIST, "rtx")["parser"]["supported"] is True


def test_external_data_present_and_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = onnx.load(MNIST)
    weights = sum(numpy_helper.to_array(t).nbytes for t in model.graph.initializer)
    path = tmp_path / "ext.onnx"
    onnx.save_model(model, path, save_as_external_data=True, location="weights.bin", size_threshold=0)
    present = inspect_onnx(path, parser=False)["initializers"]
    assert present["external_files"] == [{"location": "weights.bin", "present": True}]
    assert present["bytes"] == weights == (tmp_path / "weights.bin").stat().st_size
    (tmp_path / "weights.bin").unlink()
    report = inspect_onnx(path)
    assert report["initializers"]["external_files"] == [{"location": "weights.bin", "present": False}]
    assert report["parser"] is None and report["parser_skipped"] is not None
    code, out, _ = cli(capsys, "inspect", path, "--json")
    assert code == 0 and json.loads(out)["initializers"]["external_files"][0]["present"] is False


def test_get_plan_version_only(rtx_plan: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import tensorrt_rtx

    code, out, err = cli(capsys, "bench", "--loadEngine", rtx_plan, "--getPlanVersionOnly")
    assert (code, out, err) == (0, f"[I] Plan was created with TensorRT-RTX version {tensorrt_rtx.__version__}\n", "")
