"""`trtkit build` with the real TensorRT-RTX builder (it builds on a machine with no GPU).

Every test here parses and builds for real; where the flavour is missing the module is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from helpers import cli, help_in_fresh_process
from onnx import TensorProto, helper, numpy_helper

from trtkit.builder.builder import BuildOptions, build, parse_mem_pool_sizes
from trtkit.builder.profiles import ProfileSpec, parse_shape_spec, profiles_from_flags
from trtkit.platform.errors import UsageError

pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")

REPO = Path(__file__).resolve().parents[1]



def linear_model(path: Path, batch: str | int = "N", op: str = "MatMul") -> Path:
    """A tiny classifier x[batch,1,28,28] -> y[batch,10]: Flatten, MatMul, Add (``op`` lets a test break it)."""
    rng = np.random.default_rng(0)
    weights = numpy_helper.from_array(rng.standard_normal((784, 10)).astype(np.float32), "W")
    bias = numpy_helper.from_array(rng.standard_normal(10).astype(np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["x"], ["flat"], name="flatten"),
            helper.make_node(op, ["flat", "W"], ["mm"], name="matmul"),
            helper.make_node("Add", ["mm", "b"], ["y"], name="add"),
        ],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 1, 28, 28])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 10])],
        [weights, bias],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def test_static_zoo_model_builds_a_plan(zoo_mnist8: Path, tmp_path: Path) -> None:
    plan = tmp_path / "mnist.plan"
    result = build(BuildOptions(onnx=zoo_mnist8, save_engine=plan))
    assert plan.read_bytes() == result.plan and len(result.plan) > 10_000
    assert result.inputs == {"Input3": (1, 1, 28, 28)}
    assert result.outputs == {"Plus214_Output_0": (1, 10)}
    assert result.num_layers > 5 and result.profiles == []


def test_users_example_verbatim(model: Path, tmp_path: Path) -> None:
    """`trtkit build --onnx mnist.onnx --fp16 --saveEngine mnist.plan`, as the user types it."""
    (tmp_path / "mnist.onnx").write_bytes(model.read_bytes())
    proc = subprocess.run(
        [sys.executable, "-m", "trtkit", "build", "--onnx", "mnist.onnx", "--fp16", "--saveEngine", "mnist.plan"],
        cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mnist.plan").stat().st_size > 10_000
    assert "Precision: FP16" in proc.stderr and "Engine built in" in proc.stderr


def test_dynamic_batch_one_profile(model: Path, tmp_path: Path) -> None:
    profiles = profiles_from_flags(["input:1x1x28x28"], ["input:8x1x28x28"], ["input:32x1x28x28"])
    result = build(BuildOptions(onnx=model, save_engine=tmp_path / "m.plan", profiles=profiles))
    assert result.inputs["input"][0] == -1
    assert len(result.profiles) == 1
    assert result.profiles[0].max["input"] == (32, 1, 28, 28)


def test_dynamic_batch_two_profiles(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "m.plan"
    code, _, err = cli(capsys, "build", "--onnx", str(model), "--saveEngine", str(plan), "--skipInference",
         "--minShapes=input:1x1x28x28", "--optShapes=input:1x1x28x28", "--maxShapes=input:4x1x28x28",
         "--minShapes=input:5x1x28x28", "--optShapes=input:16x1x28x28", "--maxShapes=input:64x1x28x28")
    assert code == 0, err
    assert "Optimization profile 0: input min 1x1x28x28 opt 1x1x28x28 max 4x1x28x28" in err
    assert "Optimization profile 1: input min 5x1x28x28 opt 16x1x28x28 max 64x1x28x28" in err
    assert plan.stat().st_size > 10_000


def test_dynamic_input_without_shapes_defaults_to_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = build(BuildOptions(onnx=linear_model(tmp_path / "lin.onnx")))
    assert result.profiles == [ProfileSpec({"x": (1, 1, 28, 28)}, {"x": (1, 1, 28, 28)}, {"x": (1, 1, 28, 28)})]
    assert "dynamic input 'x' (?x1x28x28) has no shape flags; using 1x1x28x28" in capsys.readouterr().err


def test_timing_cache_written_then_reused(zoo_mnist8: Path, tmp_path: Path) -> None:
    from trtkit.platform.trt import load

    if not load().has_timing_cache:
        pytest.skip(f"{load()} has no timing cache (its cache calls are no-ops); see the RTX test below")
    cache = tmp_path / "timing.cache"
    first = build(BuildOptions(onnx=zoo_mnist8, timing_cache_file=cache))
    written = cache.read_bytes()
    assert not first.timing_cache_loaded and len(written) > 0
    second = build(BuildOptions(onnx=zoo_mnist8, timing_cache_file=cache))
    assert second.timing_cache_loaded
    assert len(cache.read_bytes()) >= len(written)


def test_timing_cache_on_rtx_is_ignored_with_a_warning(zoo_mnist8: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """TensorRT-RTX deprecated its timing cache into no-ops: trtkit says so and writes no empty file."""
    cache = tmp_path / "timing.cache"
    code, _, err = cli(capsys, "build", "--onnx", str(zoo_mnist8), "--timingCacheFile", str(cache), "--skipInference",
                        "--flavor", "rtx")
    assert code == 0, err
    assert "--timingCacheFile ignored: TensorRT-RTX" in err
    assert not cache.exists()


def test_layer_info_export_is_parsed(zoo_mnist8: Path, tmp_path: Path) -> None:
    info_path = tmp_path / "layers.json"
    result = build(BuildOptions(onnx=zoo_mnist8, export_layer_info=info_path))
    info = json.loads(info_path.read_text())
    assert info["Source"] == result.layer_info_source
    assert len(info["Layers"]) == result.num_layers
    names = {layer["Name"] for layer in info["Layers"]}
    assert len(names) == result.num_layers
    assert {"Input3", "Plus214_Output_0"} <= set(info["Bindings"])
    conv = [layer for layer in info["Layers"] if layer["ParameterType"] == "Convolution"]
    assert conv and conv[0]["Inputs"][0]["Dimensions"] == [1, 1, 28, 28]


def test_builder_options_reach_the_config(zoo_mnist8: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """All of them at once, read back from TensorRT's config (one flag at a time: tests/test_build_summary.py)."""
    info = tmp_path / "info.json"
    code, _, err = cli(
        capsys, "build", "--onnx", str(zoo_mnist8), "--saveEngine", str(tmp_path / "m.plan"), "--skipInference",
         "--memPoolSize=workspace:64M,tacticSharedMem:48K", "--noTF32", "--builderOptimizationLevel=1",
         "--maxAuxStreams=0", "--hardwareCompatibilityLevel=ampere+", "--profilingVerbosity=detailed",
         "--flavor", "rtx", "--exportBuildInfo", str(info))
    assert code == 0, err
    held = json.loads(info.read_text())
    assert held["memory_pools"]["WORKSPACE"] == 64 << 20 and held["memory_pools"]["TACTIC_SHARED_MEMORY"] == 48 << 10
    assert "TF32" not in held["flags"]
    assert (held["builder_optimization_level"], held["max_aux_streams"]) == (1, 0)
    assert held["profiling_verbosity"] == "DETAILED"
    assert held["hardware_compatibility_level"] is None  # TensorRT-RTX has none; it warns:
    assert "setHardwareCompatibilityLevel() is unsupported in TensorRT-RTX" in err


# ---- errors: one line naming the file or flag, non-zero exit, no traceback, no partial output ----

def assert_one_line_error(code: int, err: str, *needles: str, exit_code: int = 1) -> None:
    assert code == exit_code, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("trtkit: error: ") or last.startswith("Error: "), last
    for needle in needles:
        assert needle in last, last


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "ONNX model not found"),
        (b"\x08\x07garbage\xff" * 50, "not a valid ONNX model"),
        (b"", "empty graph"),
        ("dir", "is a directory"),  # click's own check of --onnx: a usage error
    ],
    ids=["missing", "corrupt", "empty", "directory"],
)
def test_bad_onnx_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | str | None,
                       needle: str) -> None:
    path = tmp_path / "bad.onnx"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    plan = tmp_path / "out.plan"
    code, _, err = cli(capsys, "build", "--onnx", str(path), "--saveEngine", str(plan))
    assert_one_line_error(code, err, "bad.onnx", needle, exit_code=2 if content == "dir" else 1)
    assert not plan.exists()


def test_unsupported_op_names_the_node(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = linear_model(tmp_path / "odd.onnx", op="NoSuchOperator")
    plan = tmp_path / "odd.plan"
    plan.write_bytes(b"previous plan")
    code, _, err = cli(capsys, "build", "--onnx", str(model), "--saveEngine", str(plan))
    assert_one_line_error(code, err, "odd.onnx", "ONNX parser failed", "matmul", "NoSuchOperator")
    assert plan.read_bytes() == b"previous plan"  # untouched: plans are written atomically, only on success
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    ("flags", "needles"),
    [
        (["--optShapes=nosuch:1x1x28x28"], ["'nosuch'", "not an input", "x"]),
        (["--optShapes=x:1xax28x28"], ["--optShapes", "integers"]),
        (["--optShapes=x"], ["--optShapes", "name:DxDxD"]),
        (["--minShapes=x:8x1x28x28", "--optShapes=x:4x1x28x28", "--maxShapes=x:16x1x28x28"], ["min <= opt <= max"]),
        (["--minShapes=x:1x1x28x28", "--optShapes=x:4x1x28x28", "--maxShapes=x:2x1x28x28"], ["min <= opt <= max"]),
        (["--optShapes=x:1x3x28x28"], ["fixed dimension 1"]),
        (["--optShapes=x:1x28x28"], ["3 dimensions", "declares 4"]),
        (["--minShapes=x:1x1x28x28", "--optShapes=x:1x1x28x28"], ["got 1/1/0", "repeat the whole group"]),
        (["--maxShapes=x:1x1x28x28"], ["got 0/0/1"]),
        (["--memPoolSize=workspace:lots"], ["--memPoolSize", "B/K/M/G"]),
        (["--memPoolSize=dlaSRAM:1M"], ["unknown pool 'dlaSRAM'"]),
        (["--builderOptimizationLevel=9"], ["--builderOptimizationLevel=9", "0 to 5"]),
        (["--int8"], ["--int8"]),
    ],
)
def test_bad_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], needles: list[str]) -> None:
    model = linear_model(tmp_path / "lin.onnx")
    plan = tmp_path / "lin.plan"
    code, _, err = cli(capsys, "build", "--onnx", str(model), "--saveEngine", str(plan), *flags)
    assert_one_line_error(code, err, *needles, exit_code=code if code in (1, 2) else -1)
    assert not plan.exists()


def test_conflicting_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = linear_model(tmp_path / "lin.onnx")
    code, _, err = cli(capsys, "build", "--onnx", str(model), "--saveEngine", str(model))
    assert_one_line_error(code, err, "--saveEngine", "overwrite the ONNX model", exit_code=2)
    code, _, err = cli(capsys, "build", "--onnx", str(model), "--verbose", "--quiet")
    assert code == 2 and "--verbose and --quiet" in err


def test_trtexec_flag_not_supported_yet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "build", "--onnx", "m.onnx", "--useDLACore=0")
    assert_one_line_error(code, err, "--useDLACore", "does not support yet", exit_code=2)
    code, _, err = cli(capsys, "build", "--onnx", "m.onnx", "--frobnicate")
    assert code == 2 and "No such option '--frobnicate'" in err and "Traceback" not in err


def test_verbose_shows_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "build", "--onnx", str(tmp_path / "missing.onnx"), "--verbose")
    assert code == 1 and "Traceback" in err and "missing.onnx: ONNX model not found" in err


def test_no_tensorrt_installed_says_how_to_install(tmp_path: Path) -> None:
    model = linear_model(tmp_path / "lin.onnx")
    blocker = "import sys; sys.modules['tensorrt'] = None; sys.modules['tensorrt_rtx'] = None\n"
    code = blocker + f"from trtkit.cli import main; main(['build', '--onnx', {str(model)!r}])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert "no TensorRT flavour is installed" in last and "pip install 'trtkit[rtx]'" in last
    proc = subprocess.run([sys.executable, "-c", code.replace("'build',", "'build', '--flavor', 'tensorrt',")],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 1 and "--flavor tensorrt: not installed" in proc.stderr


def test_help_imports_nothing_heavy() -> None:
    out, imported = help_in_fresh_process(
        ["--help"], ("numpy", "onnx", "onnxruntime", "tensorrt", "tensorrt_rtx", "pycuda", "PIL", "matplotlib"))
    assert imported == []
    assert "build" in out and "bench" in out


# ---- the pure parsers ----

def test_shape_spec_parsing() -> None:
    assert parse_shape_spec("input:1x1x28x28") == {"input": (1, 1, 28, 28)}
    assert parse_shape_spec("'in:0':4x3,b:2") == {"in:0": (4, 3), "b": (2,)}
    with pytest.raises(UsageError, match="given twice"):
        parse_shape_spec("a:1,a:2")


def test_opt_only_profile_uses_opt_for_min_and_max() -> None:
    [p] = profiles_from_flags([], ["x:4x1"], [])
    assert p.min == p.opt == p.max == {"x": (4, 1)}


def test_mem_pool_sizes() -> None:
    assert parse_mem_pool_sizes("workspace:512M,tacticSharedMem:64K") == {
        "workspace": 512 << 20, "tacticSharedMem": 64 << 10}
    assert parse_mem_pool_sizes("workspace:1.5G") == {"workspace": int(1.5 * (1 << 30))}
    assert parse_mem_pool_sizes("workspace:256") == {"workspace": 256 << 20}


def test_inference_after_build_says_why_it_is_skipped(zoo_mnist8: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """trtexec runs the engine it built; where no GPU can, trtkit says so and the build still succeeds."""
    from trtkit.backends.tensorrt import TensorRTBackend
    from trtkit.platform.errors import TrtkitError

    plan = tmp_path / "m.plan"
    code, out, err = cli(capsys, "build", "--onnx", zoo_mnist8, "--saveEngine", plan)
    assert code == 0, err
    try:
        TensorRTBackend(plan).close()
    except TrtkitError as e:
        assert f"[I] Inference skipped: {e}" in err
    else:
        assert "=== Performance summary ===" in out + err
