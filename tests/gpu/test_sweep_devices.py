"""trtkit sweep --devices on a real GPU: each worker process binds its GPU (trtkit's --device support: the
device's primary context made current in the worker) before any point runs. There is no TensorRT on the GPU
machine, so the grid is ONNX Runtime's; what is checked is the binding: every row was made in a worker
process bound to GPU 0, and names the GPU pycuda reports for ordinal 0."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import cli

pytestmark = pytest.mark.gpu


def test_devices_binds_one_worker_per_gpu(capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path) -> None:
    import pycuda.driver as cuda

    cuda.init()
    name = cuda.Device(0).name()
    out = tmp_path / "r.csv"
    # fp32 only: the FP16 point's graph comes from prepare(), which needs a TensorRT flavour this machine lacks
    code, stdout, err = cli(capsys, "sweep", "--onnx", model, "--precision", "fp32", "--shapes",
                            "input:16x1x28x28", "--shapes", "input:32x1x28x28", "--shapes",
                            "input:1x1x28x28", "--shapes", "input:8x1x28x28", "--iterations", "5", "--duration", "0",
                            "--warmUp", "0", "--devices", "0", "--out", out)
    assert code == 0, err
    assert "4 points run" in stdout
    rows = json.loads(out.with_suffix(".json").read_text())
    assert len(rows) == 4 and len({r["key"] for r in rows}) == 4
    assert all(r["status"] == "ok" and r["throughput_qps"] > 0 for r in rows), rows
    assert {(r["gpu"], r["gpu_name"]) for r in rows} == {(0, name)}
    # one worker for the one GPU, not this process
    assert len({r["pid"] for r in rows}) == 1 and rows[0]["pid"] != os.getpid()


def test_devices_names_a_missing_gpu_in_every_row(capsys: pytest.CaptureFixture[str], model: Path,
                                                  tmp_path: Path) -> None:
    import pycuda.driver as cuda

    cuda.init()
    missing = cuda.Device.count()
    out = tmp_path / "r.csv"
    code, _, err = cli(capsys, "sweep", "--onnx", model, "--devices", str(missing), "--iterations", "5",
                       "--duration", "0", "--out", out, "--failOnError")
    assert code == 1 and "1 of 1 points failed" in err
    (row,) = json.loads(out.with_suffix(".json").read_text())
    assert row["status"] == "error" and row["error"].startswith(f"--devices {missing}: --device={missing}: no such GPU")
