"""Bench's inference switches follow the trtexec of the flavour that runs the plan: trtexec 10's defaults
on TensorRT 10, trtexec 11's (CUDA graph, no transfers, spin-wait, separate profile run) on TensorRT 11 and
TensorRT-RTX; both generations' flags are accepted everywhere, with trtexec 11's deprecation warnings; and
the report starts with trtexec's options blocks. No TensorRT is needed: the defaults are class attributes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cli

from trtkit.bench.banner import inference_lines
from trtkit.bench.options import BenchOptions, given_switches, resolve
from trtkit.bench.stats import bound_warnings
from trtkit.platform import log
from trtkit.platform.flavours import TensorRT10, TensorRT11, TensorRTRTX
from trtkit.platform.trtexec import TRTEXEC10, TRTEXEC11

SOURCES = Path("/tmp/research/src")


def test_each_flavour_carries_its_trtexec_defaults() -> None:
    assert TensorRT10.inference is TRTEXEC10 and TensorRT11.inference is TRTEXEC11
    assert TensorRTRTX.inference is TRTEXEC11, "tensorrt_rtx is trtexec 11's code built against TensorRT-RTX"
    assert (TRTEXEC10.cuda_graph, TRTEXEC10.data_transfers, TRTEXEC10.spin_wait, TRTEXEC10.separate_profile_run) == (
        False, True, False, False)
    assert (TRTEXEC11.cuda_graph, TRTEXEC11.data_transfers, TRTEXEC11.spin_wait, TRTEXEC11.separate_profile_run) == (
        True, False, True, True)


def test_defaults_as_the_trtexec_sources_declare_them() -> None:
    """sampleOptions.h: the InferenceOptions members and their initialisers, per version."""
    if not (SOURCES / "10.16" / "sampleOptions.h").is_file():
        pytest.skip(f"trtexec sources not extracted in {SOURCES}")
    old = (SOURCES / "10.16" / "sampleOptions.h").read_text()
    new = (SOURCES / "11.1" / "sampleOptions.h").read_text()
    assert "bool graph{false};" in old and "bool skipTransfers{false};" in old and "bool spin{false};" in old
    assert "bool rerun{false};" in old
    assert "bool graph{true};" in new and "bool includeTransfers{false};" in new and "bool spin{true};" in new
    assert "rerun" not in new
    parser = (SOURCES / "11.1" / "sampleOptions.cpp").read_text()
    for warning in TRTEXEC11.deprecated.values():
        first = warning.split(". ")[0]
        assert f'"{first}.' in parser, f"trtexec 11.1 does not print {first!r}"


def test_unset_switches_take_the_flavour_defaults_and_given_ones_win(capsys: pytest.CaptureFixture[str]) -> None:
    log.set_verbosity(0)
    unset = BenchOptions()
    ten, eleven = resolve(unset, TRTEXEC10), resolve(unset, TRTEXEC11)
    assert (ten.use_cuda_graph, ten.no_data_transfers, ten.use_spin_wait, ten.separate_profile_run) == (
        False, False, False, False)
    assert (eleven.use_cuda_graph, eleven.no_data_transfers, eleven.use_spin_wait, eleven.separate_profile_run) == (
        True, True, True, True)
    assert capsys.readouterr().err == ""
    back = resolve(BenchOptions(use_cuda_graph=False, no_data_transfers=False, use_spin_wait=False), TRTEXEC11)
    assert (back.use_cuda_graph, back.no_data_transfers, back.use_spin_wait) == (False, False, False)
    assert capsys.readouterr().err == "", "--noCudaGraph/--includeDataTransfers/--noSpinWait are no deprecated flags"


def test_trtexec11_warns_about_the_10x_spellings(capsys: pytest.CaptureFixture[str]) -> None:
    log.set_verbosity(0)
    old = BenchOptions(use_cuda_graph=True, no_data_transfers=True, use_spin_wait=True, separate_profile_run=True)
    resolve(old, TRTEXEC10)
    assert capsys.readouterr().err == "", "trtexec 10 knows these flags"
    resolve(old, TRTEXEC11)
    err = capsys.readouterr().err.splitlines()
    assert err == [f"[W] {TRTEXEC11.deprecated[f]}" for f in given_switches(old)]
    assert len(err) == 4 and err[2].startswith("[W] --useSpinWait is deprecated. Spin wait is now enabled")


def test_banner_follows_the_generation() -> None:
    ten = inference_lines(resolve(BenchOptions(), TRTEXEC10, warn=False), 10, {}, {})
    eleven = inference_lines(resolve(BenchOptions(), TRTEXEC11, warn=False), 11, {"input": (4, 1, 28, 28)},
                             {"input": Path("x.bin")}, use_profile=1)
    assert ten[0] == "=== Inference Options ===" and "Input inference shapes: model" in ten
    assert {"Data transfers: Enabled", "Spin-wait: Disabled", "CUDA Graph: Disabled",
            "Separate profiling: Disabled"} <= set(ten)
    assert {"Data transfers: Disabled", "Spin-wait: Enabled", "CUDA Graph: Enabled",
            "Optimization Profile Index: 1", "Input inference shape : input=4x1x28x28", "input<-x.bin"} <= set(eleven)
    assert not any(line.startswith("Separate profiling") for line in eleven), "trtexec 11 dropped the line"
    assert "Duration: 3s (+ 200ms warm up)" in ten and "Sleep time: 0ms" in ten


def test_banner_labels_are_trtexecs() -> None:
    if not (SOURCES / "11.1" / "sampleOptions.cpp").is_file():
        pytest.skip(f"trtexec sources not extracted in {SOURCES}")
    source = "".join((SOURCES / v / "sampleOptions.cpp").read_text() for v in ("10.16", "11.1"))
    for line in inference_lines(resolve(BenchOptions(), TRTEXEC10, warn=False), 10, {}, {"a": Path("f")}):
        label = line.split(":")[0] + ":" if ":" in line and "<-" not in line else line
        if "<-" in line or line.startswith("Input inference"):
            continue
        assert f'"{label}' in source, f"{label!r} is not a label trtexec prints"


def test_summary_advice_is_the_flavours() -> None:
    from trtkit.bench.stats import PerformanceResult, Summary

    slow = PerformanceResult(1.0, 1.0, 1.0, 1.0, (1.0,), 5.0)
    results = {k: slow for k in ("latency", "enqueue", "h2d", "compute", "d2h")}
    summary = Summary(10, 10.0, 1000.0, (90.0,), results, 0.01, True)
    ten, eleven = bound_warnings(summary), bound_warnings(summary, TRTEXEC11.hints)
    assert "  Add --noDataTransfers flag to disable data transfers." in ten
    assert "  If you are using --noCudaGraph, removing it may increase throughput." in eleven
    assert not any("--noDataTransfers" in line for line in eleven)


def test_onnxruntime_takes_both_spellings_without_tensorrt(zoo_mnist8: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    code, stdout, err = cli(capsys, "bench", "--onnx", zoo_mnist8, "--iterations", 3, "--duration", 0, "--warmUp", 0,
                            "--noCudaGraph", "--includeDataTransfers", "--idleTime", 1, "--exportOutput", out,
                            "--json")
    assert code == 0, err
    assert "[W] --noCudaGraph has no effect on the onnxruntime backend" in err
    assert "[W] --includeDataTransfers has no effect" in err
    assert "[I] === Inference Options ===" in err and "[I] CUDA Graph: n/a" in err and "[I] Idle time: 1ms" in err
    document = json.loads(stdout)
    assert document["inferenceOptions"]["cudaGraph"] is None and document["inferenceOptions"]["idleTimeMs"] == 1.0
    exported = json.loads(out.read_text())
    assert exported[0]["name"] == "Plus214_Output_0" and exported[0]["dimensions"] == "1x10"
    assert len(exported[0]["values"]) == 10


def test_both_spellings_of_one_switch_contradict(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "bench", "--useCudaGraph", "--noCudaGraph")
    assert code == 2 and "--useCudaGraph and --noCudaGraph contradict each other" in err


def test_time_deserialize_report_and_trtexecs_failure_rule() -> None:
    from trtkit.bench.deserialize import ITERATIONS, DeserializeTimes

    steady = DeserializeTimes(first_ms=3.0, total_ms=2.0 * ITERATIONS, plan_bytes=4_000_000)
    assert not steady.too_slow and steady.lines() == [
        "First deserialization time = 3 milliseconds",
        "Total deserialization time = 40 milliseconds in 20 iterations, average time = 2 milliseconds, "
        "first time = 3 milliseconds.",
        "Deserialization Bandwidth = 2 GB/s",
    ]
    cold = DeserializeTimes(first_ms=4.5, total_ms=2.0 * ITERATIONS, plan_bytes=1)
    assert cold.too_slow and cold.lines()[-1] == (
        "First deserialization time divided by average time is 2.25. Exceeds tolerance of 2x.")


def test_instability_warning_starts_above_trtexecs_two_and_a_half_percent() -> None:
    """sampleReporting.cpp 10.16 and 11.x: kUNSTABLE_PERF_REPORTING_THRESHOLD{2.5F}."""
    from trtkit.bench.stats import PerformanceResult, Summary

    def summary(coeff_var: float) -> Summary:
        fast = PerformanceResult(0.01, 0.01, 0.01, 0.01, (0.01,), 0.0)
        compute = PerformanceResult(1.0, 1.0, 1.0, 1.0, (1.0,), coeff_var)
        results = {"latency": compute, "enqueue": fast, "h2d": fast, "compute": compute, "d2h": fast}
        return Summary(10, 10.0, 1000.0, (90.0,), results, 0.01, True)

    assert bound_warnings(summary(2.4), TRTEXEC11.hints) == []
    assert bound_warnings(summary(2.6), TRTEXEC11.hints) == [
        "* GPU compute time is unstable, with coefficient of variance = 2.6%.",
        "  If not already in use, locking GPU clock frequency may improve the stability.",
    ]


def test_infer_dumps_and_exports_outputs_as_bench_does(zoo_mnist8: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    sample = Path(__file__).resolve().parents[1] / "samples" / "3.pgm"
    out = tmp_path / "infer.json"
    code, stdout, err = cli(capsys, "infer", zoo_mnist8, sample, "--dumpOutput", "--exportOutput", out,
                            "--device", 1)
    assert code == 0, err
    assert "[W] --device=1 selects the GPU or profile of a TensorRT plan; it has no effect on ONNX Runtime" in err
    assert "[I] Output Tensors:\n[I] Plus214_Output_0: (1x10)\n" in stdout
    bench_out = tmp_path / "bench.json"
    code, stdout, err = cli(capsys, "bench", "--onnx", zoo_mnist8, "--iterations", 1, "--duration", 0, "--warmUp", 0,
                            "--dumpOutput", "--exportOutput", bench_out)
    assert code == 0, err
    assert "[I] Output Tensors:\n[I] Plus214_Output_0: (1x10)\n" in stdout
    infer_doc, bench_doc = json.loads(out.read_text()), json.loads(bench_out.read_text())
    assert [set(e) for e in infer_doc] == [set(e) for e in bench_doc] == [{"name", "dimensions", "values"}]
