"""`trtkit bench --backend openvino` end to end: both loops, the report's settings, the exports, compiled blobs,
and the CPU thread flag on both CPU backends (short --duration so each run measures well under a second)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import cli

from trtkit.backends.onnxruntime import OnnxRuntimeBackend
from trtkit.bench.benchmark import ModelOptions, benchmark
from trtkit.bench.options import BenchOptions
from trtkit.bench.stats import timings
from trtkit.platform import log

pytest.importorskip("openvino")
FAST = ["--duration", "0.1", "--warmUp", "20", "--iterations", "20"]
SHAPES = ["--shapes", "input:1x1x28x28"]


@pytest.fixture(autouse=True)
def _reset_log_level() -> Iterator[None]:
    yield
    log.set_verbosity(0)


def _json(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[dict[str, object], str]:
    code, out, err = cli(capsys, "bench", *FAST, "--json", *args)
    assert code == 0, err
    return json.loads(out), err


def test_latency_hint_runs_the_synchronous_loop(model: Path) -> None:
    """One stream: the latency hint, f32 set explicitly; each query's latency is OpenVINO's own and lies inside
    the host time of its infer() call."""
    result = benchmark(ModelOptions(onnx=model, backend="openvino", shapes={"input": (1, 1, 28, 28)}),
                       BenchOptions(duration_s=0.1, warm_up_ms=20, progress=False))
    assert result.backend == "openvino" and not result.device_timed
    assert result.settings["PERFORMANCE_HINT"] == "LATENCY" and result.settings["NUM_STREAMS"] == "1"
    assert result.settings["INFERENCE_PRECISION_HINT"] == "f32"
    trace = result.run.trace
    durations = timings(trace)
    assert len(trace) >= 10 and set(trace["stream"]) == {0}
    assert np.all(durations["latency"] > 0) and np.all(durations["h2d"] == 0) and np.all(durations["d2h"] == 0)
    assert np.median(durations["enqueue"]) >= np.median(durations["latency"])  # the call encloses the inference
    assert np.all(np.diff(trace["startEnqMs"]) > 0)  # one query after another


def test_throughput_hint_keeps_n_requests_in_flight_and_exports(model: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    times, profile, layers, plot = (tmp_path / n for n in ("times.json", "profile.json", "layers.json", "plot.png"))
    doc, err = _json(capsys, "--onnx", model, "--backend", "openvino", *SHAPES, "--infStreams", "2",
                     "--cpuThreads", "2", "--exportTimes", times, "--exportProfile", profile,
                     "--exportLayerInfo", layers, "--plot", plot)
    settings = doc["settings"]
    assert isinstance(settings, dict)
    assert settings["PERFORMANCE_HINT"] == "THROUGHPUT" and settings["NUM_STREAMS"] == "2"
    assert settings["INFERENCE_NUM_THREADS"] == "2" and settings["PERF_COUNT"] == "YES"
    assert "Backend openvino: PERFORMANCE_HINT=THROUGHPUT" in err
    records = json.loads(times.read_text())
    assert len(records) == doc["queries"] and len(records) % 2 == 0  # benchmark_app stops on a multiple of N
    assert all(r["startComputeMs"] is None for r in records)  # host-timed: no device fields (trex's rule)
    starts = np.array([r["startEnqMs"] for r in records])
    ends = starts + np.array([r["latencyMs"] for r in records])
    overlapping = np.sum(starts[1:] < ends[:-1])
    assert overlapping > len(records) // 4  # two requests in flight: queries overlap
    count, *rows = json.loads(profile.read_text())
    assert count["count"] == min(len(records), 1000)
    assert any("Convolution" in r["name"] or "conv" in r["name"].lower() for r in rows)
    info = json.loads(layers.read_text())
    assert info["Source"] == "OpenVINO runtime model" and info["Bindings"] == ["input", "scores"]
    assert any(layer["LayerType"] == "Convolution" and layer["RuntimePrecision"] == "f32" for layer in info["Layers"])
    assert plot.stat().st_size > 0


def test_compiled_blob_saves_and_loads_with_the_flags_given(model: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """--saveEngine writes the compiled blob; loading it (auto picks OpenVINO for .blob) gives the same outputs.
    The CPU plugin recompiles a blob with the options given at import, so a blob saved with --bf16 loads as
    f32 unless --bf16 is given again: trtkit reports what actually runs."""
    blob = tmp_path / "mnist.blob"
    doc, _ = _json(capsys, "--onnx", model, "--backend", "openvino", *SHAPES, "--bf16", "--saveEngine", blob,
                   "--dumpOutput")
    assert doc["settings"]["INFERENCE_PRECISION_HINT"] == "bf16"  # type: ignore[index]
    assert blob.stat().st_size > 0
    loaded, _ = _json(capsys, blob, "--bf16")
    assert loaded["backend"] == "openvino" and loaded["inputs"] == {"input": [1, 1, 28, 28]}
    assert loaded["settings"]["INFERENCE_PRECISION_HINT"] == "bf16"  # type: ignore[index]
    plain, _ = _json(capsys, "--loadEngine", blob, "--backend", "openvino")
    assert plain["settings"]["INFERENCE_PRECISION_HINT"] == "f32"  # type: ignore[index]
    code, _, err = cli(capsys, "bench", *FAST, blob, "--shapes", "input:2x1x28x28")
    assert code == 2 and err.strip().endswith("is compiled with fixed shapes; give them when compiling")


def test_onnxruntime_thread_count_is_set_and_reported(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc, err = _json(capsys, "--onnx", model, "--cpuThreads", "1")
    assert doc["backend"] == "onnxruntime"
    assert doc["settings"]["intra_op_num_threads"] == "1"  # type: ignore[index]
    assert "Backend onnxruntime: provider=CPUExecutionProvider, intra_op_num_threads=1" in err
    with OnnxRuntimeBackend(model, intra_op_threads=1) as backend:
        assert backend.session.get_session_options().intra_op_num_threads == 1
    default, _ = _json(capsys, "--onnx", model)
    assert default["settings"]["intra_op_num_threads"].startswith("0 (")  # type: ignore[index]


def test_cpu_flags_on_a_plan_fail_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "m.plan"
    plan.write_bytes(b"not a plan")
    code, _, err = cli(capsys, "bench", plan, "--cpuThreads", "2")
    assert code == 2 and err.strip().splitlines() == [
        f"trtkit: error: --cpuThreads=2: sets the CPU backends' threads; {plan} runs on TensorRT"]
    code, _, err = cli(capsys, "bench", plan, "--bf16")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "precision was fixed when it was built" in err
    code, _, err = cli(capsys, "bench", "--onnx", str(tmp_path / "absent.onnx"), "--backend", "openvino")
    assert code == 1 and err.strip().splitlines() == [f"trtkit: error: {tmp_path / 'absent.onnx'}: model not found"]
