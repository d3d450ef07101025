"""`trtkit bench` end to end through ONNX Runtime (short --duration/--warmUp so each test takes well under
a second of measuring), its default model, its files, and its one-line errors.

A TensorRT test builds a plan with the installed flavour and benchmarks it; it runs where a GPU, pycuda and
trtkit's TensorRT backend are present (the lent H100) and skips elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import help_in_fresh_process

from trtkit.bench.benchmark import ModelOptions, benchmark
from trtkit.bench.options import BenchOptions
from trtkit.cli import main
from trtkit.data.examples import BUNDLED_MODEL
from trtkit.data.inputs import load_arrays
from trtkit.platform import log

FAST = ["--duration", "0.05", "--warmUp", "10", "--iterations", "20"]


@pytest.fixture(autouse=True)
def _reset_log_level() -> Iterator[None]:
    """The command sets trtkit.platform.log's level for the process; leave it as other tests expect it."""
    yield
    log.set_verbosity(0)


def bench(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """Run `trtkit bench ARGS` in-process, as the console script does; (exit code, stdout, stderr)."""
    try:
        main(["bench", *args])
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_onnx_model_runs_on_onnxruntime_with_the_trtexec_report(zoo_mnist8: Path, capsys: pytest.CaptureFixture
                                                                ) -> None:
    code, out, err = bench(capsys, "--onnx", str(zoo_mnist8), *FAST, "--percentile", "50,99.9")
    assert code == 0, err
    lines = out.splitlines()
    assert "[I] === Performance summary ===" in lines
    assert any(line.startswith("[I] Throughput: ") and line.endswith(" qps") for line in lines)
    latency = next(line for line in lines if line.startswith("[I] Latency: "))
    assert "percentile(50%) = " in latency and "percentile(99.9%) = " in latency
    assert "[I] GPU Compute Time: n/a" in lines and "[I] Total GPU Compute Time: n/a" in lines
    queries = int(next(line for line in lines if line.startswith("[I] Timing trace has")).split()[4])
    assert queries >= 20
    assert "on onnxruntime (host-timed)" in err


def test_json_summary_on_stdout(model: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = bench(capsys, "--onnx", str(model), "--shapes", "input:4x1x28x28", *FAST, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["backend"] == "onnxruntime" and summary["inputs"] == {"input": [4, 1, 28, 28]}
    assert summary["queries"] >= 20 and summary["throughputQps"] > 0
    assert summary["computeMs"] is None and summary["totalGpuComputeTimeS"] is None
    assert set(summary["latencyMs"]["percentiles"]) == {"90", "95", "99"}
    assert summary["latencyMs"]["min"] <= summary["latencyMs"]["median"] <= summary["latencyMs"]["max"]
    assert "=== Performance summary ===" in err  # the human report moved to stderr


def test_no_model_uses_the_bundled_mnist_and_says_so(capsys: pytest.CaptureFixture) -> None:
    code, out, err = bench(capsys, *FAST)
    assert code == 0, err
    assert f"[I] no model given: using the bundled MNIST model {BUNDLED_MODEL}" in err
    assert "=== Performance summary ===" in out


def test_exports_and_plot(zoo_mnist8: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("matplotlib")
    times, plot = tmp_path / "times.json", tmp_path / "latency.png"
    code, out, err = bench(capsys, str(zoo_mnist8), *FAST, "--exportTimes", str(times), "--plot", str(plot))
    assert code == 0, err
    records = json.loads(times.read_text())
    queries = int(next(line for line in out.splitlines() if line.startswith("[I] Timing trace has")).split()[4])
    assert len(records) == queries
    # ONNX Runtime is host-timed: host latency only, device figures null (tests/test_trex_exports.py has the rest).
    assert all(r["computeMs"] is None and r["latencyMs"] == pytest.approx(r["endEnqMs"] - r["startEnqMs"])
               for r in records)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_load_inputs_and_dump_output_match_the_zoo_reference(zoo_mnist8: Path, zoo_test_data: Path,
                                                             capsys: pytest.CaptureFixture) -> None:
    """The Python API is the command's code path: the zoo's input gives the zoo's output."""
    result = benchmark(
        ModelOptions(onnx=zoo_mnist8, load_inputs={"Input3": zoo_test_data / "input_0.pb"}),
        BenchOptions(warm_up_ms=0, iterations=3, duration_s=0, dump_output=True, progress=False),
    )
    (expected,) = load_arrays(zoo_test_data / "output_0.pb").values()
    assert result.run.outputs is not None
    np.testing.assert_allclose(result.run.outputs["Plus214_Output_0"], expected, rtol=1e-4, atol=1e-4)
    code, out, err = bench(capsys, "--onnx", str(zoo_mnist8), "--loadInputs",
                           f"Input3:{zoo_test_data / 'input_0.pb'}", *FAST, "--dumpOutput")
    assert code == 0, err
    assert "[I] Output Tensors:" in out and "[I] Plus214_Output_0: (1x10)" in out


def test_use_cuda_graph_on_onnxruntime_warns_and_runs(zoo_mnist8: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = bench(capsys, "--onnx", str(zoo_mnist8), *FAST, "--useCudaGraph")
    assert code == 0, err
    assert "[W] --useCudaGraph has no effect on the onnxruntime backend" in err
    assert "=== Performance summary ===" in out


def test_quiet_keeps_the_results_only(zoo_mnist8: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = bench(capsys, "--onnx", str(zoo_mnist8), *FAST, "--quiet")
    assert code == 0 and err == ""
    assert "=== Performance summary ===" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["missing.plan"], 1, "missing.plan: model not found"),
        (["--onnx", "missing.onnx"], 1, "missing.onnx: model not found"),
        (["MODEL", "--percentile", "abc"], 2, "--percentile=abc: 'abc' is not a number"),
        (["MODEL", "--percentile", "90,120"], 2, "--percentile=90,120: 120 is outside 0..100"),
        (["MODEL", "--exportProfile", "p.json"], 2, "--exportProfile: the onnxruntime backend has no per-layer"),
        (["MODEL", "--shapes", "image:1x1x28x28"], 2, "--shapes names 'image', which is not an input"),
        (["MODEL", "--shapes", "input:1x3x28x28"], 2, "--shapes input:1x3x28x28 does not fit the input's shape"),
        (["MODEL", "--saveEngine", "x.plan"], 2, "--saveEngine keeps the plan built from --onnx with --backend"),
        (["MODEL", "--plot", "latency.txt"], 2, "--plot latency.txt: the file must end in .png, .svg, .pdf"),
        (["MODEL", "--loadInputs", "input:absent.npy"], 1, "absent.npy: input file not found"),
        (["MODEL", "--loadEngine", "other.plan"], 2, "give either a plan (MODEL or --loadEngine) or --onnx"),
    ],
)
def test_errors_are_one_line(model: Path, capsys: pytest.CaptureFixture, args: list[str], code: int,
                             message: str) -> None:
    """MODEL stands for --onnx with the project's model."""
    args = [a for arg in args for a in (["--onnx", str(model)] if arg == "MODEL" else [arg])]
    got, out, err = bench(capsys, *FAST, *args)
    assert got == code, err
    assert err.strip().splitlines()[-1].startswith(f"trtkit: error: {message}")
    assert "Traceback" not in err and "=== Performance summary ===" not in out


def test_help_imports_nothing_heavy() -> None:
    out, imported = help_in_fresh_process(
        ["bench", "--help"], ("numpy", "onnx", "onnxruntime", "tensorrt", "tensorrt_rtx", "matplotlib", "tqdm"))
    assert "--loadEngine" in out and "--exportTimes" in out
    assert imported == []


def test_onnx_with_tensorrt_backend_builds_the_plan_first(model: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    """--backend tensorrt builds with --shapes as the profile; without a GPU the run then fails in one line."""
    from trtkit.platform.errors import TrtkitError
    from trtkit.platform.trt import load

    try:
        load()
    except TrtkitError as e:
        pytest.skip(f"no TensorRT flavour to build with: {e}")
    plan = tmp_path / "mnist.plan"
    code, out, err = bench(capsys, "--onnx", str(model), "--backend", "tensorrt", "--saveEngine", str(plan),
                           "--shapes", "input:4x1x28x28", *FAST)
    assert "Optimization profile 0: input min 4x1x28x28 opt 4x1x28x28 max 4x1x28x28" in err
    assert plan.stat().st_size > 0
    if code == 0:
        assert "[I] GPU Compute Time: min = " in out
    else:
        assert err.strip().splitlines()[-1].startswith(f"trtkit: error: {plan}: ")
        assert "Traceback" not in err


@pytest.mark.gpu
def test_tensorrt_plan_is_device_timed(zoo_mnist8: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Build with the installed flavour, then bench the plan: GPU figures present, exports in trtexec layout."""
    pytest.importorskip("pycuda.driver", reason="TensorRT runs need pycuda and a CUDA GPU")
    pytest.importorskip("trtkit.backends.tensorrt", reason="trtkit's TensorRT backend is not in this checkout")
    plan, times = tmp_path / "mnist.plan", tmp_path / "times.json"
    code, out, err = bench(capsys, "--onnx", str(zoo_mnist8), "--backend", "tensorrt", "--saveEngine", str(plan),
                           *FAST)
    assert code == 0, err
    code, out, err = bench(capsys, "--loadEngine", str(plan), *FAST, "--exportTimes", str(times), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["deviceTimed"] and summary["computeMs"]["mean"] > 0 and summary["totalGpuComputeTimeS"] > 0
    assert summary["backend"] != "onnxruntime"
    records = json.loads(times.read_text())
    assert len(records) == summary["queries"]
    assert all(r["latencyMs"] == pytest.approx(r["h2dMs"] + r["computeMs"] + r["d2hMs"]) for r in records)
