"""trtkit's exports checked against what TensorRT Engine Explorer (trex) reads from trtexec's.

trex (NVIDIA/TensorRT tools/experimental/trt-engine-explorer, release/10.x to 11.0; removed in 11.1) is not
installed or vendored here: what it reads is written out below, field by field, from its parser
(trex/parser.py, layer.py, activations.py, df_preprocessing.py, engine_plan.py, utils/parse_trtexec_log.py)
and from the trtexec file set it ships as its example (tests/inputs/mobilenet.qat.onnx.engine.*: a TensorRT
8.x engine's --exportLayerInfo, --exportProfile, --exportTimes and the metadata trex derives from trtexec's
log). The plans are real TensorRT-RTX builds of the bundled models/mnist.onnx (and its static twin); on a
machine without a GPU their layer information comes from the network definition.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from helpers import cli

from trtkit.bench.benchmark import BenchResult, ModelOptions, benchmark
from trtkit.bench.export import DURATION_KEYS, TIMES_KEYS, unjoined_profile_names, write_exports
from trtkit.bench.options import BenchOptions
from trtkit.bench.report import summary_lines
from trtkit.bench.stats import summarize, walltime_ms
from trtkit.bench.trace import BenchRun, empty_trace
from trtkit.builder.builder import BuildOptions, build
from trtkit.builder.layer_info import NETWORK_SOURCE
from trtkit.builder.profiles import ProfileSpec
from trtkit.data.examples import BUNDLED_MODEL

STATIC_MODEL = BUNDLED_MODEL.with_name("mnist_static.onnx")

# ---- trex's expectations ------------------------------------------------------------------------------

# trex/activations.py: "Format/Datatype" (dots removed) is looked up, case-sensitively, in a table of the
# inspector's format strings; the short name's first word gives the precision and bytes per element. Any
# string not in the table is "Unknown format": precision "Unknown", 0 bytes. The linear formats:
TREX_LINEAR_FORMATS = {
    "Row major linear FP32": ("FP32", 4),
    "Row major linear FP16 format": ("FP16", 2),
    "Row major linear BFloat16 format": ("BF16", 0),  # trex's size table has no BF16
    "Row major Int8 format": ("INT8", 1),
    "Row major linear Int32": ("INT32", 4),
    "Row major linear Int64 format": ("INT64", 8),
    "Row major linear BOOL": ("Bool", 0),
    "Row major linear UInt8 format": ("UINT8", 1),
    "Row major linear FP8 format": ("FP8", 1),
    "Row major linear FP4 format": ("FP4", 0.5),
    "Int4": ("INT4", 0.5),  # kgen spelling; the table has no linear INT4 string
}
# trex/layer.py _parse_constant: bytes per weight by "Type"; any other type counts 0 bytes.
TREX_WEIGHT_BYTES = {"Int8": 1, "Half": 2, "Float": 4, "Int32": 4, "FP16": 2, "FP32": 4}
# engine_plan.py / parser.py: layers trex leaves out of its table, by LayerType.
TREX_DROPPED = {"Constant", "NoOp", "shape_call", "signal", "wait"}

# trtexec's --exportLayerInfo for a convolution (trex's tests/inputs/mobilenet.qat.onnx.engine.graph.json,
# 2nd layer), field by field with the JSON type of each value; tensors carry TRTEXEC_TENSOR_FIELDS.
TRTEXEC_CONVOLUTION = {
    "Name": str, "LayerType": str, "Inputs": list, "Outputs": list, "ParameterType": str, "Kernel": list,
    "PaddingMode": str, "PrePadding": list, "PostPadding": list, "Stride": list, "Dilation": list, "OutMaps": int,
    "Groups": int, "Weights": dict, "Bias": dict, "HasSparseWeights": int, "Activation": str, "HasBias": int,
    "HasReLU": int, "TacticName": str, "TacticValue": str,
}
TRTEXEC_POOLING = {  # examples/pytorch/resnet/A100/fp32, MaxPool_2
    "Name": str, "LayerType": str, "Inputs": list, "Outputs": list, "ParameterType": str, "PoolingType": str,
    "WindowSize": list, "PaddingMode": str, "PrePadding": list, "PostPadding": list, "Stride": list,
    "BlendFactor": int, "AverageCountExcludesPadding": int, "TacticValue": str,
}
TRTEXEC_TENSOR_FIELDS = ["Name", "Location", "Dimensions", "Format/Datatype"]
# trtexec's --exportTimes record keys, in order (sampleReporting.cpp exportJSONTrace, TensorRT 8.4 and later).
TRTEXEC_TIMES_KEYS = ["startEnqMs", "endEnqMs", "startH2dMs", "endH2dMs", "startComputeMs", "endComputeMs",
                      "startD2hMs", "endD2hMs", "h2dMs", "computeMs", "d2hMs", "latencyMs"]
# utils/parse_trtexec_log.py: the prefix of the "key: value" lines a section keeps.
TREX_KV_LINE = re.compile(r"(\[\d+/\d+/\d+-\d+:\d+:\d+\] \[I\] )")
TREX_FLOAT = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def trex_tensor(tensor: dict[str, Any]) -> tuple[str, float]:
    """(precision, bytes) of one tensor as trex's Activation derives them."""
    precision, size = TREX_LINEAR_FORMATS.get(tensor["Format/Datatype"].replace(".", ""), ("Unknown", 0))
    return precision, float(np.prod(tensor["Dimensions"])) * size


def trex_weights_bytes(layer: dict[str, Any]) -> float:
    weights = layer.get("Weights")
    if not isinstance(weights, dict) or weights.get("Type") not in TREX_WEIGHT_BYTES:
        return 0
    return weights["Count"] * TREX_WEIGHT_BYTES[weights["Type"]]


def trex_rows(info: dict[str, Any]) -> list[dict[str, Any]]:
    """trex's table: one row per layer it keeps, with its type (ParameterType, else LayerType), precision
    (of the first input), io and weights bytes."""
    rows = []
    for layer in info["Layers"]:
        if layer["LayerType"] in TREX_DROPPED:
            continue
        inputs = [trex_tensor(t) for t in layer["Inputs"]]
        outputs = [trex_tensor(t) for t in layer["Outputs"]]
        rows.append({
            "Name": layer["Name"], "type": layer.get("ParameterType", layer["LayerType"]),
            "precision": inputs[0][0] if inputs else None,
            "io_bytes": sum(b for _, b in inputs + outputs), "weights_bytes": trex_weights_bytes(layer),
        })
    return rows


def get_layers_by_type(info: dict[str, Any], layer_type: str) -> list[dict[str, Any]]:
    return [row for row in trex_rows(info) if row["type"] == layer_type]


# ---- the plans ----------------------------------------------------------------------------------------

def _build(tmp_path: Path, model: Path, profiles: list[ProfileSpec]) -> dict[str, Any]:
    pytest.importorskip("tensorrt_rtx", reason="the layer-info tests build with TensorRT-RTX")
    path = tmp_path / f"{model.stem}.graph.json"
    build(BuildOptions(onnx=model, export_layer_info=path, profiles=profiles, flavor="rtx"))
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def static_info(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _build(tmp_path_factory.mktemp("static"), STATIC_MODEL, [])


@pytest.fixture(scope="module")
def dynamic_info(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    image = (1, 28, 28)
    profile = ProfileSpec({"input": (1, *image)}, {"input": (8, *image)}, {"input": (16, *image)})
    return _build(tmp_path_factory.mktemp("dynamic"), BUNDLED_MODEL, [profile])


@pytest.fixture(params=["static", "dynamic"])
def info(request: pytest.FixtureRequest) -> dict[str, Any]:
    return request.getfixturevalue(f"{request.param}_info")


def _tensors(info: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for layer in info["Layers"] for t in layer["Inputs"] + layer["Outputs"]]


def _onnx_nodes(model: Path, op: str) -> list[onnx.NodeProto]:
    return [n for n in onnx.load(str(model)).graph.node if n.op_type == op]


# ---- --exportLayerInfo --------------------------------------------------------------------------------

def test_every_tensor_format_is_one_trex_knows(info: dict[str, Any]) -> None:
    tensors = _tensors(info)
    assert tensors
    unknown = {t["Format/Datatype"] for t in tensors if trex_tensor(t)[0] == "Unknown"}
    assert not unknown, f"formats trex does not know: {unknown}"
    assert all(list(t) == TRTEXEC_TENSOR_FIELDS for t in tensors)
    assert {t["Location"] for t in tensors} <= {"Device", "Host"}


def test_trex_derives_a_precision_for_every_compute_layer(info: dict[str, Any]) -> None:
    rows = trex_rows(info)
    assert rows and all(row["precision"] not in (None, "Unknown") for row in rows)
    assert {row["precision"] for row in get_layers_by_type(info, "Convolution")} == {"FP32"}


def test_get_layers_by_type_finds_the_models_convolutions(info: dict[str, Any]) -> None:
    convs = get_layers_by_type(info, "Convolution")
    assert len(convs) == len(_onnx_nodes(BUNDLED_MODEL, "Conv")) == 2
    assert len(get_layers_by_type(info, "Pooling")) == len(_onnx_nodes(BUNDLED_MODEL, "MaxPool"))


def test_weights_are_counted_for_convolutions_and_gemms(info: dict[str, Any]) -> None:
    model = onnx.load(str(BUNDLED_MODEL))
    sizes = {init.name: int(np.prod(init.dims)) for init in model.graph.initializer}
    layers = {layer["Name"]: layer for layer in info["Layers"]}
    for node in _onnx_nodes(BUNDLED_MODEL, "Conv"):
        conv = layers[node.name]
        assert conv["Weights"] == {"Type": "Float", "Count": sizes[node.input[1]]}
        assert conv["Bias"] == {"Type": "Float", "Count": sizes[node.input[2]]}
    gemms = get_layers_by_type(info, "MatrixMultiply")
    assert len(gemms) == len(_onnx_nodes(BUNDLED_MODEL, "Gemm")) == 2
    assert all(row["weights_bytes"] > 0 for row in gemms + get_layers_by_type(info, "Convolution"))
    if info["Source"] == NETWORK_SOURCE:
        # Every parameter once, at the layer computing with it; trex leaves convolution biases out of its total.
        conv_biases = sum(sizes[n.input[2]] for n in _onnx_nodes(BUNDLED_MODEL, "Conv"))
        assert sum(row["weights_bytes"] for row in trex_rows(info)) == 4 * (sum(sizes.values()) - conv_biases)


def test_convolution_and_pooling_records_have_trtexecs_fields(info: dict[str, Any]) -> None:
    conv = next(layer for layer in info["Layers"] if layer.get("ParameterType") == "Convolution")
    pool = next(layer for layer in info["Layers"] if layer.get("ParameterType") == "Pooling")
    optional = {"TacticName"}  # the kernel a build chose: only an engine knows it
    for record, reference in ((conv, TRTEXEC_CONVOLUTION), (pool, TRTEXEC_POOLING)):
        for key, kind in reference.items():
            if key in optional and key not in record:
                continue
            assert isinstance(record[key], kind if kind is not int else (int, float)), (key, record[key])
    assert (conv["Kernel"], conv["Stride"], conv["PrePadding"], conv["Groups"], conv["OutMaps"]) == (
        [5, 5], [1, 1], [2, 2], 1, 16)
    assert conv["PaddingMode"].startswith("k") and conv["HasBias"] == 1
    assert (pool["PoolingType"], pool["WindowSize"], pool["Stride"]) == ("MAX", [2, 2], [2, 2])
    assert all(re.fullmatch(r"0x[0-9a-f]{16}", layer["TacticValue"]) for layer in info["Layers"])


def test_constants_are_marked_as_trex_expects(info: dict[str, Any]) -> None:
    constants = [layer for layer in info["Layers"] if layer["LayerType"] == "Constant"]
    names = {layer["Name"] for layer in constants}
    assert {"7.weight", "9.weight"} <= names
    assert all(layer["ParameterType"] == "Constant" and not layer["Inputs"] for layer in constants)
    assert not names & {row["Name"] for row in trex_rows(info)}


def test_dimensions_are_concrete_at_the_opt_shapes(static_info: dict[str, Any], dynamic_info: dict[str, Any]) -> None:
    for info, batch in ((static_info, 1), (dynamic_info, 8)):
        assert all(d >= 0 for t in _tensors(info) for d in t["Dimensions"])
        by_name = {t["Name"]: t["Dimensions"] for t in _tensors(info)}
        assert by_name["input"] == [batch, 1, 28, 28] and by_name["scores"] == [batch, 10]
        assert info["Bindings"] == ["input", "scores"]


def test_the_network_keeps_its_declared_shapes_after_the_export() -> None:
    """The fallback sets the opt shapes on the network's inputs to read propagated dimensions, then puts the
    declared ones back."""
    pytest.importorskip("tensorrt_rtx")
    from trtkit.builder.layer_info import network_info
    from trtkit.platform.trt import load

    flavour = load("rtx")
    trt = flavour.module
    logger = flavour.make_logger(-2)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    assert trt.OnnxParser(network, logger).parse_from_file(str(BUNDLED_MODEL))
    image = (1, 28, 28)
    profile = ProfileSpec({"input": (1, *image)}, {"input": (4, *image)}, {"input": (8, *image)})
    info = network_info(flavour, network, [profile])
    assert info["Layers"][0]["Inputs"][0]["Dimensions"] == [4, *image]
    assert tuple(network.get_input(0).shape) == (-1, *image)
    assert tuple(network.get_output(0).shape) == (-1, 10)


# ---- --exportTimes on a host-timed backend ----------------------------------------------------------

def test_onnxruntime_times_hold_only_what_the_host_clock_measured(tmp_path: Path) -> None:
    path = tmp_path / "times.json"
    result = benchmark(ModelOptions(onnx=BUNDLED_MODEL),
                       BenchOptions(warm_up_ms=0, iterations=20, duration_s=0, export_times=path, progress=False))
    assert not result.device_timed
    records = json.loads(path.read_text())
    assert len(records) == result.summary.queries
    device = [k for k in TRTEXEC_TIMES_KEYS if k not in ("startEnqMs", "endEnqMs", "latencyMs")]
    for record in records:
        assert list(record) == [*TRTEXEC_TIMES_KEYS, "timedBy"]
        assert all(record[k] is None for k in device)
        assert record["latencyMs"] > 0
        assert record["latencyMs"] == pytest.approx(record["endEnqMs"] - record["startEnqMs"])
        assert record["timedBy"] == "onnxruntime, host clock (time.perf_counter)"
    latencies = [rec["latencyMs"] for rec in records]  # trex's read_timing_file
    assert np.mean(latencies) == pytest.approx(result.summary.results["latency"].mean)
    assert [k for k, _ in TIMES_KEYS] + [k for k, _ in DURATION_KEYS] == TRTEXEC_TIMES_KEYS


# ---- --exportProfile joined to --exportLayerInfo ----------------------------------------------------

REFERENCE_INFO = {"Layers": [  # the shape of trex's mobilenet example: a Reformat, convolutions, a trailing NoOp
    {"Name": "QuantizeLinear_2", "LayerType": "Reformat"},
    {"Name": "features.0.0.weight + QuantizeLinear_8 + Conv_12 + PWN(Clip_16)", "LayerType": "CaskConvolution"},
    {"Name": "w", "LayerType": "Constant"},
    {"Name": "copied_squeeze_after_(Unnamed Layer* 850) [ElementWise]", "LayerType": "NoOp"},
]}


def test_profile_names_of_the_same_engine_join_by_position() -> None:
    names = [layer["Name"] for layer in REFERENCE_INFO["Layers"] if layer["LayerType"] != "Constant"]
    assert unjoined_profile_names(REFERENCE_INFO, names) == []  # the NoOp's record is dropped, as trex does
    renamed = [names[0], "Conv_12", names[2]]
    assert unjoined_profile_names(REFERENCE_INFO, renamed) == ["Conv_12"]
    assert unjoined_profile_names(REFERENCE_INFO, [names[1]]) == []  # fewer records: trex merges by name
    assert unjoined_profile_names(REFERENCE_INFO, [names[1], "extra", names[0]]) == ["extra"]
    assert unjoined_profile_names(REFERENCE_INFO, [names[1], names[0]]) == names[1::-1]  # misjoined by position


def test_layer_info_from_bench_needs_an_engine(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "bench", "--onnx", BUNDLED_MODEL, "--duration", "0", "--iterations", "1",
                       "--exportLayerInfo", tmp_path / "g.json")
    assert code == 2 and "--exportLayerInfo: the onnxruntime backend has no engine inspector" in err
    assert "Traceback" not in err and not (tmp_path / "g.json").exists()


# ---- the log ------------------------------------------------------------------------------------------

def trex_sections(lines: list[str], headers: list[str]) -> dict[str, dict[str, str]]:
    """parse_trtexec_log.py's state machine: a header line opens a section, which keeps each following
    ``[date-time] [I] key: value`` line (key before the first ':', value up to the second, minus its first
    character) and ends at the first line that is not one."""
    sections: dict[str, dict[str, str]] = {}
    current: str | None = None
    for line in lines:
        if current is not None:
            match = TREX_KV_LINE.search(line)
            text = line[match.span()[1]:].strip() if match else ""
            if match and ":" in text:
                kv = text.split(":")
                sections[current][kv[0]] = kv[1][1:]
                continue
            current = None
        for header in headers:
            if header not in sections and re.search(header, line):
                current, sections[header] = header, {}
    return sections


def trex_stats(value: str) -> list[float]:
    """__get_stats: the number after each '=' of a comma-separated list."""
    return [float(TREX_FLOAT.search(part.split("=")[1]).group()) for part in value.split(",")]  # type: ignore[union-attr]


def test_bench_log_gives_trex_its_metadata(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "bench.log"
    code, out, err = cli(capsys, "bench", "--onnx", BUNDLED_MODEL, "--duration", "0", "--iterations", "20",
                         "--warmUp", "0", "--exportLog", log)
    assert code == 0, err
    # The console shows the same report without timestamps (none asked for): no line where a number is missing.
    assert "[I] === Performance summary ===" in out.splitlines() and "GPU Compute Time:" not in out
    lines = log.read_text().splitlines()
    assert lines and all(re.match(r"\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\] \[[IWEV]\] ", line) for line in lines)
    sections = trex_sections(lines, ["=== Performance summary ===", "=== Inference Options ==="])
    perf = sections["=== Performance summary ==="]
    assert float(TREX_FLOAT.search(perf["Throughput"]).group()) > 0  # type: ignore[union-attr]
    latency = trex_stats(perf["Latency"])
    assert len(latency) == 7 and latency[0] <= latency[3] <= latency[1]  # min, max, mean, median, p90, p95, p99
    assert len(trex_stats(perf["Enqueue Time"])) == 7
    assert not {"H2D Latency", "GPU Compute Time", "D2H Latency", "Total GPU Compute Time"} & set(perf)
    assert all("n/a" not in value for value in perf.values())
    options = sections["=== Inference Options ==="]
    assert options["Iterations"] == "20" and options["Batch"] == "Explicit"


def test_build_log_gives_trex_its_builder_configuration(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("tensorrt_rtx")
    log = tmp_path / "build.log"
    code, _, err = cli(capsys, "build", "--onnx", STATIC_MODEL, "--skipInference", "--flavor", "rtx",
                       "--logTimestamps", "--exportLog", log)
    assert code == 0, err
    stamped = [line for line in err.splitlines() if line.strip()]
    assert stamped and all(re.match(r"\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\] \[[IWEV]\] ", line) for line in stamped)
    sections = trex_sections(log.read_text().splitlines(), ["=== Model Options ===", "=== Build Options ==="])
    assert sections["=== Model Options ==="] == {"Format": "ONNX", "Model": str(STATIC_MODEL)}
    build_options = sections["=== Build Options ==="]
    assert build_options["Precision"] == "FP32" and build_options["TensorRT runtime"].startswith("TensorRT-RTX")


def test_log_flags_do_not_outlive_the_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "bench", "--onnx", BUNDLED_MODEL, "--duration", "0", "--iterations", "1",
                       "--logTimestamps")
    assert code == 0 and err.startswith("[")
    code, out, err = cli(capsys, "bench", "--onnx", BUNDLED_MODEL, "--duration", "0", "--iterations", "1")
    assert code == 0 and all(line.startswith("[I] ") or line.startswith("[W] ") for line in err.splitlines() if line)
    assert "[I] GPU Compute Time: n/a" in out


def test_export_log_into_a_missing_directory_is_refused_before_running(capsys: pytest.CaptureFixture[str],
                                                                       tmp_path: Path) -> None:
    target = tmp_path / "absent" / "bench.log"
    times = tmp_path / "times.json"
    code, _, err = cli(capsys, "bench", "--onnx", BUNDLED_MODEL, "--exportTimes", times, "--exportLog", target)
    assert code == 2 and err.strip().splitlines()[-1] == (
        f"trtkit: error: --exportLog={target}: directory {target.parent} does not exist; create it first")
    assert not times.exists()


def test_device_timed_summary_in_trtexec_format_gives_trex_every_figure() -> None:
    """A TensorRT run's summary keeps every line in trtexec's format, each parsed to numbers as trex does."""
    trace = empty_trace(4)
    for i in range(4):  # stream, enqueue start/end, H2D start/end, compute start/end, D2H start/end (ms)
        t = 2.0 * i
        trace[i] = (0, t, t + 0.1, t, t + 0.2, t + 0.2, t + 1.2 + 0.1 * i, t + 1.2 + 0.1 * i, t + 1.3 + 0.1 * i)
    summary = summarize(trace, walltime_ms(trace), (90.0, 95.0, 99.0))
    lines = [f"[01/02/2026-03:04:05] [I] {line}" for line in summary_lines(summary, trtexec_format=True)]
    perf = trex_sections(lines, ["=== Performance summary ==="])["=== Performance summary ==="]
    for key in ("Latency", "Enqueue Time", "H2D Latency", "GPU Compute Time", "D2H Latency"):
        assert len(trex_stats(perf[key])) == 7, key
    assert trex_stats(perf["GPU Compute Time"])[:2] == pytest.approx([1.0, 1.3])
    assert float(perf["Total GPU Compute Time"].split()[0]) == pytest.approx(summary.total_gpu_compute_s)


def test_bench_writes_the_runs_layer_info_and_warns_about_profile_names_trex_cannot_join(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """write_exports with what a TensorRT run hands it (the GPU test tests/gpu/test_trex_gpu.py makes the same
    from a measured context): the inspector's JSON as is, and a warning for a profiled layer it lacks."""
    trace = empty_trace(2)
    trace[0] = (0, 0.0, 0.1, 0.0, 0.2, 0.2, 1.2, 1.2, 1.3)
    trace[1] = (0, 2.0, 2.1, 2.0, 2.2, 2.2, 3.2, 3.2, 3.3)
    info = {"Layers": [{"Name": "conv", "LayerType": "CaskConvolution"}, {"Name": "w", "LayerType": "Constant"}],
            "Bindings": ["x", "y"], "Source": "engine inspector"}
    run = BenchRun(trace, walltime_ms(trace), layer_times_ms={"conv": np.array([1.0, 1.0]), "ghost": np.array([0.5])},
                   layer_info=info)
    options = BenchOptions(export_profile=tmp_path / "p.json", export_layer_info=tmp_path / "g.json", progress=False)
    summary = summarize(trace, run.walltime_ms, options.percentiles)
    write_exports(BenchResult(Path("m.plan"), "tensorrt", True, {"x": (1,)}, run, summary, options), options)
    assert json.loads((tmp_path / "g.json").read_text()) == info
    assert [r.get("name") for r in json.loads((tmp_path / "p.json").read_text())] == [None, "conv", "ghost"]
    assert "[W] --exportProfile: layer 'ghost' is not in --exportLayerInfo; trex will not join it" in \
        capsys.readouterr().err.splitlines()
