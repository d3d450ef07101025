"""trtexec's everyday build flags on a real TensorRT-RTX builder: --shapes (one profile, min = opt = max),
--inputIOFormats/--outputIOFormats (read back from the real network), and plugin libraries loaded before
parsing (--dynamicPlugins through TensorRT-RTX's own plugin registry, --staticPlugins into the process,
--setPluginsToSerialize embedded in the plan)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import onnx
import pytest
from helpers import cli
from onnx import TensorProto, helper

from trtkit.builder.io_formats import IOFormat, apply_io_formats, parse_io_formats
from trtkit.platform.errors import TrtkitError, UsageError

trt = pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")
REPO = Path(__file__).resolve().parents[1]
STATIC = REPO / "models" / "mnist_static.onnx"
DYNAMIC = REPO / "models" / "mnist.onnx"


@pytest.fixture
def flavour():
    from trtkit.platform.trt import load

    return load("rtx")


def _network(flavour, path: Path = STATIC):
    logger = flavour.make_logger(-2, [])
    builder = trt.Builder(logger)
    network = builder.create_network(flavour.network_flags(False))
    parser = trt.OnnxParser(network, logger)
    assert parser.parse_from_file(str(path))
    return builder, network, parser


def test_io_formats_parse_both_generations() -> None:
    assert parse_io_formats("fp16:chw+hwc8,int8:chw32", "--inputIOFormats") == [
        IOFormat("fp16", ("chw", "hwc8")), IOFormat("int8", ("chw32",))]
    assert parse_io_formats("hwc", "--outputIOFormats") == [IOFormat(None, ("hwc",))]
    with pytest.raises(UsageError, match="unknown format 'nhwc'"):
        parse_io_formats("fp16:nhwc", "--inputIOFormats")
    with pytest.raises(UsageError, match="unknown type 'fp64'"):
        parse_io_formats("fp64:chw", "--inputIOFormats")


def test_io_formats_reach_the_real_network(flavour) -> None:
    _builder, network, _parser = _network(flavour)
    inputs, outputs = [network.get_input(0)], [network.get_output(0)]
    apply_io_formats(flavour, inputs, parse_io_formats("hwc", "--inputIOFormats"), "--inputIOFormats", True)
    apply_io_formats(flavour, outputs, parse_io_formats("fp32:chw+hwc", "--outputIOFormats"), "--outputIOFormats",
                     True)
    assert network.get_input(0).allowed_formats == 1 << int(trt.TensorFormat.HWC)
    assert network.get_output(0).allowed_formats == (1 << int(trt.TensorFormat.LINEAR)) | (
        1 << int(trt.TensorFormat.HWC))
    with pytest.raises(UsageError, match=r"'input' is FLOAT in the graph and TensorRT-RTX .* strongly typed"):
        apply_io_formats(flavour, inputs, [IOFormat("fp16", ("chw",))], "--inputIOFormats", True)
    with pytest.raises(UsageError, match="2 formats for 1 network inputs"):
        apply_io_formats(flavour, inputs, parse_io_formats("chw,hwc", "--inputIOFormats"), "--inputIOFormats", True)


def test_build_with_shapes_and_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "m.plan"
    code, _, err = cli(capsys, "build", "--onnx", DYNAMIC, "--shapes", "input:4x1x28x28", "--inputIOFormats", "hwc",
                       "--outputIOFormats", "chw", "--flavor", "rtx", "--saveEngine", plan, "--skipInference")
    assert code == 0, err
    assert "[I] Optimization profile 0: input min 4x1x28x28 opt 4x1x28x28 max 4x1x28x28" in err
    assert plan.read_bytes()[:4] == b"vtrt"
    code, _, err = cli(capsys, "build", "--onnx", DYNAMIC, "--inputIOFormats", "fp16:chw", "--flavor", "rtx",
                       "--skipInference")
    assert code == 2 and "give the format alone (e.g. chw)" in err


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shared library with the plugin entry points TensorRT looks up, and no creators."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to make the plugin library")
    folder = tmp_path_factory.mktemp("plugins")
    source = folder / "empty.c"
    source.write_text("#include <stdint.h>\n#include <stddef.h>\nvoid setLoggerFinder(void* f) { (void)f; }\n"
                      "void* const* getCreators(int32_t* n) { *n = 0; return NULL; }\n")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(folder / "libempty_plugins.so"), str(source)], check=True)
    return folder / "libempty_plugins.so"


def _custom_op_model(path: Path) -> Path:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    node = helper.make_node("MyOp", ["x"], ["y"], domain="com.example")
    model = helper.make_model(helper.make_graph([node], "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    onnx.save(model, path)
    return path


def test_dynamic_plugins_reach_the_registry_before_parsing(library: Path, tmp_path: Path, flavour,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """TensorRT-RTX's registry opens the library and rejects it for having no creators; the model, which the
    parser would reject too, is never parsed: the plugin error comes first."""
    model = _custom_op_model(tmp_path / "custom.onnx")
    code, _, err = cli(capsys, "build", "--onnx", model, "--dynamicPlugins", library, "--flavor", "rtx",
                       "--skipInference")
    assert code == 1 and err.count("trtkit: error:") == 1 and "parser" not in err
    assert f"--dynamicPlugins={library}: TensorRT-RTX" in err and "No creator returned" in err
    errors: list[str] = []
    registry = trt.Builder(flavour.make_logger(-2, errors)).get_plugin_registry()
    with pytest.raises(TrtkitError, match="No creator returned"):
        flavour.load_plugins(registry, (), (str(library),), errors)


def test_static_plugins_load_into_the_process_and_serialized_ones_into_the_plan(
        library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "with.plan"
    code, _, err = cli(capsys, "build", "--onnx", STATIC, "--staticPlugins", library, "--setPluginsToSerialize",
                       library, "--flavor", "rtx", "--saveEngine", plan, "--skipInference")
    assert code == 0, err
    assert library.read_bytes() in plan.read_bytes(), "the plugin library is embedded in the plan"
    code, _, err = cli(capsys, "build", "--onnx", STATIC, "--plugins", library, "--flavor", "rtx", "--skipInference")
    assert code == 0 and "[W] --plugins flag has been deprecated, use --staticPlugins flag instead." in err
    code, _, err = cli(capsys, "build", "--onnx", STATIC, "--staticPlugins", tmp_path / "absent.so", "--flavor", "rtx",
                       "--skipInference")
    assert code == 1 and f"--staticPlugins={tmp_path / 'absent.so'}: cannot load the library" in err
