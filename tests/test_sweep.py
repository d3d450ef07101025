"""trtkit sweep on this CPU machine: the grid, real points on ONNX Runtime (and a real TensorRT-RTX build whose
run is a skip row), the results file, --resume, failures as rows, --failOnError, the plot, --jobs workers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import cli, help_in_fresh_process

from trtkit.tasks.sweep_grid import Grid, Settings, expand, load_spec, split_list
from trtkit.tasks.sweep_plot import pareto_front
from trtkit.tasks.sweep_point import CRASH_ONCE

FAST = ("--iterations", "5", "--duration", "0", "--warmUp", "0")
SHAPES = ("--shapes", "input:1x1x28x28", "--shapes", "input:4x1x28x28")


def rows_of(out: Path) -> list[dict]:
    return json.loads(out.with_suffix(".json").read_text())


def configs(rows: list[dict]) -> list[tuple]:
    return sorted((r["backend"], r["precision"], r["shapes"], r["opt_level"]) for r in rows)


def test_grid_from_flags_and_from_spec_is_the_same(model: Path, tmp_path: Path) -> None:
    assert split_list(["fp32,fp16", "int8", "fp16"]) == ["fp32", "fp16", "int8"]
    grid = Grid(onnx=[model], precision=["fp32", "fp16"], shapes=["input:1x1x28x28", "input:8x1x28x28"],
                opt_level=[0, 3], backend=["onnxruntime", "tensorrt"])
    points = expand(grid, Settings())
    # the optimization level varies TensorRT points only: 2x2 ONNX Runtime points, 2x2x2 TensorRT points
    assert len(points) == 12
    assert {p.opt_level for p in points if p.backend == "onnxruntime"} == {None}
    assert len({p.key for p in points}) == 12
    assert all(p.key.startswith(p.model_sha256[:16]) for p in points)
    spec = tmp_path / "grid.toml"
    spec.write_text(f'onnx = ["{model}"]\nprecision = "fp32,fp16"\nshapes = ["input:1x1x28x28", "input:8x1x28x28"]\n'
                    'builderOptimizationLevel = [0, 3]\nbackend = ["onnxruntime", "tensorrt"]\niterations = 7\n')
    spec_grid, settings = load_spec(spec)
    assert expand(spec_grid, Settings(**settings)) == points
    assert settings == {"iterations": 7}


def test_bad_spec_and_outputs_are_refused_before_work(capsys: pytest.CaptureFixture[str], model: Path,
                                                      tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text('precisions = ["fp16"]\n')
    code, _, err = cli(capsys, "sweep", "--spec", spec, "--out", tmp_path / "r.csv")
    assert code == 2 and f"--spec {spec}: unknown key 'precisions'" in err
    spec.write_text("precision = [\n")
    code, _, err = cli(capsys, "sweep", "--spec", spec, "--out", tmp_path / "r.csv")
    assert code == 2 and "not valid TOML" in err
    assert not (tmp_path / "r.csv").exists()
    plot = tmp_path / "no" / "p.png"
    code, _, err = cli(capsys, "sweep", "--onnx", model, "--out", tmp_path / "r.csv", "--plot", plot)
    assert code == 1 and f"--plot={plot}: directory {plot.parent} does not exist" in err
    code, _, err = cli(capsys, "sweep", "--onnx", model, "--out", tmp_path / "r.txt")
    assert code == 2 and "name a .csv or .json file" in err
    assert list(tmp_path.iterdir()) == [spec]  # nothing written before the refusals


def test_sequential_grid_rows_resume_and_plot(capsys: pytest.CaptureFixture[str], model: Path, mnist_dir: Path,
                                              tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    args = ("sweep", "--onnx", model, "--precision", "fp32,fp16", *SHAPES, "--eval", mnist_dir, "--evalLimit", "200",
            *FAST, "--out", out)
    code, stdout, err = cli(capsys, *args, "--plot", tmp_path / "sweep.png")
    assert code == 0, err
    assert "4 points run, 0 kept from before; 4 ok" in stdout
    rows = rows_of(out)
    assert configs(rows) == [("onnxruntime", p, f"input:{b}x1x28x28", None) for p in ("fp16", "fp32") for b in (1, 4)]
    csv_lines = out.read_text().splitlines()
    assert len(csv_lines) == 5 and csv_lines[0].startswith("key,model,model_sha256,backend,precision")
    for row in rows:
        assert row["status"] == "ok" and row["throughput_qps"] > 0 and row["queries"] >= 5
        assert 0 < row["latency_median_ms"] <= row["latency_p99_ms"]
        assert row["gpu_compute_mean_ms"] is None  # ONNX Runtime is host-timed
        assert row["flavour"].startswith("ONNX Runtime") and "trtkit" in row["versions"] and row["device"]
    fp32 = [r for r in rows if r["precision"] == "fp32"]
    assert all(r["accuracy"] > 90 and r["eval_samples"] == 200 and r["accuracy_backend"] == "onnxruntime"
               for r in fp32)
    for row in (r for r in rows if r["precision"] == "fp16"):
        # ONNX Runtime's CPU figure would not be FP16: the faithful reference backend judges the FP16 graph
        assert row["accuracy_backend"] == "reference" and row["accuracy"] > 90
        assert "FP16 (ONNX graph converted" in row["note"] and "computes in FP32" in row["note"]
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # the same --out again without --resume: refused, the file untouched
    before = out.read_bytes()
    code, _, err = cli(capsys, *args)
    assert code == 2 and "add --resume" in err and out.read_bytes() == before
    # --resume with one more precision: only the two new points run; the four old rows stay as they were
    code, stdout, err = cli(capsys, *args, "--precision", "bf16", "--resume")
    assert code == 0, err
    assert "2 points run, 4 kept from before" in stdout
    again = rows_of(out)
    assert again[:4] == rows and len(again) == 6 and len({r["key"] for r in again}) == 6
    code, stdout, _ = cli(capsys, *args, "--precision", "bf16", "--resume")
    assert "0 points run, 6 kept from before" in stdout and rows_of(out) == again


def test_unsupported_points_are_skip_rows_and_failures_error_rows(capsys: pytest.CaptureFixture[str], model: Path,
                                                                  tmp_path: Path) -> None:
    bad_calib = tmp_path / "calib.npy"
    bad_calib.write_bytes(b"not a numpy file")
    out = tmp_path / "r.csv"
    args = ("sweep", "--onnx", model, "--precision", "bf16,int8", "--calib", bad_calib, "--backend",
            "onnxruntime,openvino", *FAST, "--out", out)
    code, _, err = cli(capsys, *args)
    assert code == 0, err  # failed points are rows; the sweep itself succeeded
    rows = {(r["backend"], r["precision"]): r for r in rows_of(out)}
    assert len(rows) == 4
    bf16 = rows["onnxruntime", "bf16"]
    assert bf16["status"] == "skipped" and "no BF16 kernels" in bf16["error"]
    int8 = rows["onnxruntime", "int8"]
    assert int8["status"] == "error" and str(bad_calib) in int8["error"] and "\n" not in int8["error"]
    assert rows["openvino", "bf16"]["status"] == "ok"  # OpenVINO takes BF16 as its precision hint
    assert rows["openvino", "int8"]["status"] == "error" and str(bad_calib) in rows["openvino", "int8"]["error"]
    failed = sum(r["status"] == "error" for r in rows.values())
    code, _, err = cli(capsys, *args, "--resume", "--failOnError")
    assert code == 1 and f"{failed} of 4 points failed (--failOnError)" in err
    # --resume ran the failed points again (and only those), replacing their rows
    assert len(rows_of(out)) == 4


def test_openvino_points_run_at_its_precision_hint(capsys: pytest.CaptureFixture[str], model: Path, mnist_dir: Path,
                                                   tmp_path: Path) -> None:
    """OpenVINO's FP16 is its INFERENCE_PRECISION_HINT (read back from the compiled model), judged on OpenVINO;
    per-layer rules cannot reach it, so such a point is a skip row, not a silently ignored flag."""
    pytest.importorskip("openvino", reason="OpenVINO is an optional extra (pip install 'trtkit[openvino]')")
    out = tmp_path / "r.csv"
    code, _, err = cli(capsys, "sweep", "--onnx", model, "--backend", "openvino", "--precision", "fp32,fp16",
                       "--eval", mnist_dir, "--evalLimit", "200", *FAST, "--out", out)
    assert code == 0, err
    fp32, fp16 = rows_of(out)
    assert fp32["note"] == "OpenVINO INFERENCE_PRECISION_HINT=f32" and fp16["note"].endswith("HINT=f16")
    for row in (fp32, fp16):
        assert row["status"] == "ok" and row["accuracy_backend"] == "openvino" and row["accuracy"] > 90
        assert row["flavour"].startswith("OpenVINO") and row["latency_median_ms"] > 0
    code, _, err = cli(capsys, "sweep", "--onnx", model, "--backend", "openvino", "--precision", "fp16",
                       "--layerPrecisions", "/0/Conv:fp32", *FAST, "--out", tmp_path / "layers.csv")
    (row,) = rows_of(tmp_path / "layers.csv")
    assert row["status"] == "skipped" and row["error"].startswith("--layerPrecisions cannot reach OpenVINO")


def test_int8_points_calibrate_once_per_sweep(capsys: pytest.CaptureFixture[str], model: Path, mnist_dir: Path,
                                             tmp_path: Path) -> None:
    """Two INT8 points of one model and calibration set: the first calibrates, the second reads its table."""
    out = tmp_path / "r.csv"
    code, _, err = cli(capsys, "sweep", "--onnx", model, "--precision", "int8", "--calib", mnist_dir,
                       "--calibSamples", "50", "--shapes", "input:1x1x28x28", "--shapes", "input:2x1x28x28",
                       "--eval", mnist_dir, "--evalLimit", "200", *FAST, "--out", out)
    assert code == 0, err
    first, second = rows_of(out)
    assert "entropy calibration on 50 samples" in first["note"]
    assert "ranges of" in second["note"] and "from cache" in second["note"]
    assert first["accuracy"] == second["accuracy"] > 90  # the same Q/DQ graph, judged on the same samples
    assert not list(tmp_path.glob("*.cache"))  # the shared tables lived in the sweep's scratch folder only


def test_tensorrt_point_builds_for_real_then_skips(capsys: pytest.CaptureFixture[str], model: Path,
                                                   tmp_path: Path) -> None:
    pytest.importorskip("tensorrt_rtx", reason="TensorRT-RTX builds plans without a GPU; it is not installed here")
    from trtkit.platform.cuda import Device
    from trtkit.platform.errors import TrtkitError

    try:
        Device(0)
        pytest.skip("a CUDA GPU is visible: the plan would run, not skip")
    except TrtkitError:
        pass
    out = tmp_path / "r.csv"
    code, _, err = cli(capsys, "sweep", "--onnx", model, "--backend", "tensorrt", "--flavor", "rtx",
                       "--precision", "fp32,fp16", "--layerPrecisions", "/0/Conv:fp32,/3/Conv:fp32",
                       "--builderOptimizationLevel", "0", "--shapes", "input:2x1x28x28", *FAST, "--out", out)
    assert code == 0, err
    fp32, fp16 = rows_of(out)
    for row in (fp32, fp16):
        assert row["status"] == "skipped" and row["error"].startswith("built; cannot run here: ")
        assert row["flavour"].startswith("TensorRT-RTX") and row["plan_bytes"] > 100_000 and row["build_s"] > 0
        assert row["opt_level"] == 0 and row.get("throughput_qps") is None
    # the per-layer rules reach the reduced-precision build (and its key), not the FP32 baseline
    assert fp32["note"] == "FP32" and fp32["layers"] == "" and fp32["key"].count("|") == 5
    assert "2 of 10 nodes kept FP32 by the per-layer rules" in fp16["note"]
    assert fp16["key"].endswith("|/0/Conv:fp32,/3/Conv:fp32")


def test_pareto_front() -> None:
    rows = [{"status": "ok", "latency_median_ms": lat, "accuracy": acc, "n": n}
            for n, (lat, acc) in enumerate([(1.0, 90.0), (2.0, 95.0), (2.5, 94.0), (3.0, 99.0), (0.5, 80.0),
                                            (2.0, 93.0)])]
    rows.append({"status": "skipped", "latency_median_ms": 0.1, "accuracy": 100.0, "n": 9})
    rows.append({"status": "ok", "latency_median_ms": 0.1, "accuracy": "", "n": 10})
    assert [r["n"] for r in pareto_front(rows)] == [4, 0, 1, 3]


def test_jobs_workers_retry_a_dead_worker(capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Two spawned workers; the first attempt of one point kills its worker (os._exit, the test hook): the point
    runs again and the file has each of the four points once, as the sequential run has them."""
    grid = Grid(onnx=[model], precision=["fp32", "fp16"], shapes=["input:1x1x28x28", "input:4x1x28x28"])
    crashes = tmp_path / "crash"
    crashes.mkdir()
    victim = expand(grid, Settings())[1]
    for point in expand(grid, Settings()):  # a marker means "already crashed once": only the victim dies
        if point != victim:
            (crashes / point.key.replace("|", "_").replace("/", "_")).touch()
    monkeypatch.setenv(CRASH_ONCE, str(crashes))
    out = tmp_path / "r.csv"
    code, _, err = cli(capsys, "sweep", "--onnx", model, "--precision", "fp32,fp16", *SHAPES, *FAST, "--jobs", "2",
                       "--out", out)
    monkeypatch.delenv(CRASH_ONCE)
    assert code == 0, err
    assert f"{victim.label()}: its worker died; running it again (2 of 3 attempts)" in err
    rows = rows_of(out)
    assert len(rows) == 4 and len({r["key"] for r in rows}) == 4
    assert {r["key"]: r["attempts"] for r in rows} == {p.key: 1 + (p == victim) for p in expand(grid, Settings())}
    assert all(r["status"] == "ok" and r["pid"] != os.getpid() for r in rows)


def test_help_imports_nothing_heavy() -> None:
    """`trtkit sweep --help` loads neither Ray nor any backend, plotting or progress library."""
    out, imported = help_in_fresh_process(
        ["sweep", "--help"], ("numpy", "onnx", "onnxruntime", "tensorrt_rtx", "ray", "matplotlib", "tqdm"))
    assert "--failOnError" in out and "--ray" in out
    assert imported == []
