"""The build summary read back from the real TensorRT-RTX builder: every build flag changes what TensorRT holds
as the flag says, every optimization profile reaches the config with its own shapes, and each precision's parsed
network holds that precision.

Every test builds for real (TensorRT-RTX builds without a GPU); a failed build raises and fails the test. The
values come from TensorRT's objects (IBuilderConfig getters, IOptimizationProfile.get_shape, the parsed
INetworkDefinition's layers), never from trtkit's options, so an option that is parsed but never reaches
TensorRT reads back as the default.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import cli

from trtkit.builder.builder import BuildOptions, build
from trtkit.builder.profiles import profiles_from_flags
from trtkit.builder.summary import BuildSummary
from trtkit.precision.options import PrecisionOptions

pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")

MiB = 1 << 20
COMPUTE = ("CONVOLUTION", "MATRIX_MULTIPLY")


def build_info(capsys: pytest.CaptureFixture[str], tmp_path: Path, onnx: Path, *flags: str) -> dict[str, Any]:
    """`trtkit build --exportBuildInfo` through the CLI, as a user runs it; the JSON it wrote."""
    info = tmp_path / f"info{len(list(tmp_path.iterdir()))}.json"
    code, _, err = cli(capsys, "build", "--onnx", onnx, "--skipInference", "--flavor", "rtx",
                       "--exportBuildInfo", info, *flags)
    assert code == 0, err
    return json.loads(info.read_text())


@pytest.fixture
def defaults(capsys: pytest.CaptureFixture[str], tmp_path: Path, zoo_mnist8: Path) -> dict[str, Any]:
    """What TensorRT-RTX holds when no build flag is given: the baseline every flag must move away from."""
    return build_info(capsys, tmp_path, zoo_mnist8)


def test_defaults_are_tensorrts_own(defaults: dict[str, Any]) -> None:
    assert defaults["flavour"].startswith("TensorRT-RTX 1.")
    assert defaults["flags"] == ["TF32"]
    assert defaults["builder_optimization_level"] == 3
    assert defaults["max_aux_streams"] == -1
    assert defaults["hardware_compatibility_level"] is None
    assert defaults["version_compatible"] is False
    assert defaults["profiling_verbosity"] == "LAYER_NAMES_ONLY"
    assert defaults["memory_pools"]["TACTIC_SHARED_MEMORY"] == 1024 * MiB
    assert defaults["memory_pools"]["WORKSPACE"] > 1024 * MiB  # TensorRT's default is the whole device
    assert defaults["config_profiles"] == 0 and defaults["profiles"] == []
    assert defaults["strongly_typed"] is True
    assert defaults["inputs"] == [{"name": "Input3", "shape": [1, 1, 28, 28], "dtype": "FLOAT"}]
    assert defaults["outputs"] == [{"name": "Plus214_Output_0", "shape": [1, 10], "dtype": "FLOAT"}]
    assert set(defaults["layer_precisions"]) <= {"FLOAT", "INT64"}  # INT64: shape arithmetic of opset 8
    assert defaults["quantize_layers"] == defaults["dequantize_layers"] == 0


FLAG_CASES = [
    (["--memPoolSize=workspace:64M"], ("memory_pools", "WORKSPACE"), 64 * MiB),
    (["--memPoolSize=tacticSharedMem:48K"], ("memory_pools", "TACTIC_SHARED_MEMORY"), 48 << 10),
    (["--memPoolSize=workspace:1.5G,tacticSharedMem:3"], ("memory_pools", "TACTIC_SHARED_MEMORY"), 3 * MiB),
    (["--noTF32"], ("flags",), []),
    (["--builderOptimizationLevel=1"], ("builder_optimization_level",), 1),
    (["--builderOptimizationLevel=5"], ("builder_optimization_level",), 5),
    (["--maxAuxStreams=0"], ("max_aux_streams",), 0),
    (["--maxAuxStreams=2"], ("max_aux_streams",), 2),
    (["--profilingVerbosity=detailed"], ("profiling_verbosity",), "DETAILED"),
    (["--profilingVerbosity=none"], ("profiling_verbosity",), "NONE"),
]


@pytest.mark.parametrize(("flags", "key", "expected"), FLAG_CASES, ids=[case[0][0] for case in FLAG_CASES])
def test_each_flag_changes_what_tensorrt_holds(capsys: pytest.CaptureFixture[str], tmp_path: Path, zoo_mnist8: Path,
                                               defaults: dict[str, Any], flags: list[str], key: tuple[str, ...],
                                               expected: object) -> None:
    info = build_info(capsys, tmp_path, zoo_mnist8, *flags)
    value, default = info, defaults
    for k in key:
        value, default = value[k], default[k]
    assert value == expected
    assert default != expected, "the flag must move the read-back away from TensorRT's default"
    changed = {k for k in info if info[k] != defaults[k]}
    assert changed == {key[0]}, f"{flags} changed {changed}, expected only {key[0]}"


def test_both_memory_pools_in_one_flag(capsys: pytest.CaptureFixture[str], tmp_path: Path, zoo_mnist8: Path) -> None:
    info = build_info(capsys, tmp_path, zoo_mnist8, "--memPoolSize=workspace:64M,tacticSharedMem:48K")
    assert info["memory_pools"]["WORKSPACE"] == 64 * MiB
    assert info["memory_pools"]["TACTIC_SHARED_MEMORY"] == 48 << 10


def test_export_layer_info_asks_for_detailed_profiling(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       zoo_mnist8: Path) -> None:
    info = build_info(capsys, tmp_path, zoo_mnist8, "--exportLayerInfo", tmp_path / "layers.json")
    assert info["profiling_verbosity"] == "DETAILED"


def test_hardware_compatibility_level_is_ignored_by_rtx_and_tensorrt_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, zoo_mnist8: Path
) -> None:
    """TensorRT-RTX has no hardware compatibility level: its setter warns and keeps nothing. The warning (TensorRT's
    own words, through trtkit's logger) is the observable that the flag reached the config."""
    warning = "setHardwareCompatibilityLevel() is unsupported in TensorRT-RTX"
    info = build_info(capsys, tmp_path, zoo_mnist8)
    assert warning not in capsys.readouterr().err
    code, _, err = cli(capsys, "build", "--onnx", zoo_mnist8, "--skipInference", "--flavor", "rtx",
                       "--exportBuildInfo", tmp_path / "hw.json", "--hardwareCompatibilityLevel=ampere+")
    assert code == 0, err
    assert f"[TRT] [W] {warning}" in err
    hw = json.loads((tmp_path / "hw.json").read_text())
    assert hw["hardware_compatibility_level"] is None and hw == info


def test_version_compatible_reaches_the_config_and_rtx_refuses_to_build_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, zoo_mnist8: Path
) -> None:
    """TensorRT-RTX 1.7 accepts VERSION_COMPATIBLE on the config, then fails the build: the pip wheel ships no
    lean runtime (libnvinfer_lean) to embed. The summary printed before the build shows the flag set; the failure
    is one line, and nothing is written."""
    info, plan = tmp_path / "vc.json", tmp_path / "vc.plan"
    code, _, err = cli(capsys, "build", "--onnx", zoo_mnist8, "--skipInference", "--flavor", "rtx", "--verbose",
                       "--versionCompatible", "--exportBuildInfo", info, "--saveEngine", plan)
    assert code == 1
    assert "Builder flags set: TF32, VERSION_COMPATIBLE" in err
    assert "version compatible yes" in err
    assert "engine build failed" in err and "libnvinfer_lean" in err
    assert not info.exists() and not plan.exists()


def test_verbose_prints_the_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path, zoo_mnist8: Path) -> None:
    code, _, err = cli(capsys, "build", "--onnx", zoo_mnist8, "--skipInference", "--flavor", "rtx", "--verbose",
                       "--builderOptimizationLevel=2")
    assert code == 0, err
    assert "[I] Build summary (read back from TensorRT-RTX" in err
    assert "[I] Builder optimization level 2; max aux streams -1" in err
    code, _, err = cli(capsys, "build", "--onnx", zoo_mnist8, "--skipInference", "--flavor", "rtx")
    assert "Build summary" not in err


def test_export_into_a_missing_directory_fails_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                           zoo_mnist8: Path) -> None:
    plan = tmp_path / "m.plan"
    code, _, err = cli(capsys, "build", "--onnx", zoo_mnist8, "--skipInference", "--flavor", "rtx",
                       "--exportBuildInfo", tmp_path / "missing" / "info.json", "--saveEngine", plan)
    assert code == 1 and "Traceback" not in err
    assert "missing" in err.strip().splitlines()[-1] and "does not exist" in err
    assert not plan.exists()


# ---- optimization profiles: every profile, its own min/opt/max --------------------------------------------

def test_three_profiles_reach_the_config_with_their_own_shapes(model: Path) -> None:
    shapes = [((1, 1, 28, 28), (2, 1, 28, 28), (4, 1, 28, 28)),
              ((5, 1, 28, 28), (8, 1, 28, 28), (16, 1, 28, 28)),
              ((17, 1, 28, 28), (24, 1, 28, 28), (64, 1, 28, 28))]
    spec = [("x".join(map(str, s)) for s in triple) for triple in shapes]
    mins, opts, maxs = zip(*[[f"input:{s}" for s in triple] for triple in spec], strict=True)
    result = build(BuildOptions(onnx=model, profiles=profiles_from_flags(mins, opts, maxs), flavor="rtx",
                                verbosity=-1))
    summary = result.summary
    assert isinstance(summary, BuildSummary)
    assert summary.config_profiles == 3
    read = [(tuple(p["input"]["min"]), tuple(p["input"]["opt"]), tuple(p["input"]["max"])) for p in summary.profiles]
    assert read == shapes
    assert all(lo != opt != hi for lo, opt, hi in read)  # min and max are not opt in disguise


def test_opt_only_profile_reads_back_opt_for_min_and_max(model: Path) -> None:
    profiles = profiles_from_flags([], ["input:8x1x28x28"], [])
    summary = build(BuildOptions(onnx=model, profiles=profiles, flavor="rtx", verbosity=-1)).summary
    assert summary is not None
    assert summary.profiles == [{"input": {"min": [8, 1, 28, 28], "opt": [8, 1, 28, 28], "max": [8, 1, 28, 28]}}]


# ---- precision: the parsed network holds the precision asked for ---------------------------------------------

def summary_for(model: Path, precision: PrecisionOptions) -> BuildSummary:
    summary = build(BuildOptions(onnx=model, precision=precision, flavor="rtx", verbosity=-1)).summary
    assert summary is not None
    return summary


def test_fp32_network_has_no_reduced_precision(model: Path) -> None:
    summary = summary_for(model, PrecisionOptions())
    assert summary.parsed == str(model)
    assert set(summary.layer_precisions) <= {"FLOAT", "INT64"}
    assert summary.quantize_layers == summary.dequantize_layers == 0


@pytest.mark.parametrize(("flag", "dtype"), [("fp16", "HALF"), ("bf16", "BF16")])
def test_converted_graph_is_parsed_in_16_bit(model: Path, flag: str, dtype: str) -> None:
    """The compute layers of the parsed network are 16-bit, the I/O stays FP32 (the conversion keeps it): the
    builder parsed the converted graph, not the FP32 file."""
    fp32 = summary_for(model, PrecisionOptions())
    summary = summary_for(model, PrecisionOptions(**{flag: True}))
    assert summary.parsed.startswith(f"a converted graph of {model.name}: {flag.upper()}")
    assert summary.layer_precisions.get(dtype, 0) >= fp32.layer_precisions["FLOAT"] - 2  # all but the I/O casts
    assert summary.layer_precisions.get("FLOAT", 0) <= 2
    assert {t.dtype for t in summary.inputs + summary.outputs} == {"FLOAT"}
    assert summary.num_layers >= fp32.num_layers
    assert summary.quantize_layers == summary.dequantize_layers == 0


def test_int8_network_has_quantize_and_dequantize_layers(model: Path, mnist_dir: Path) -> None:
    summary = summary_for(model, PrecisionOptions(int8=True, calib=mnist_dir, calib_samples=64))
    assert summary.parsed.startswith(f"a converted graph of {model.name}: INT8")
    assert summary.quantize_layers >= 2 and summary.dequantize_layers >= summary.quantize_layers
    assert summary.layer_precisions.get("INT8", 0) >= summary.quantize_layers
    assert {t.dtype for t in summary.inputs + summary.outputs} == {"FLOAT"}
