"""trtkit sweep --ray on a local Ray instance (2 CPUs, no dashboard): the same rows as the sequential run, a
worker killed mid-sweep retried by Ray with the point written once, --resume running nothing twice."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import cli

from trtkit.tasks.sweep_grid import Grid, Settings, expand
from trtkit.tasks.sweep_point import CRASH_ONCE

ray = pytest.importorskip("ray", reason="Ray is an optional extra (pip install 'trtkit[ray]')")

FAST = ("--iterations", "5", "--duration", "0", "--warmUp", "0")
GRID = ("--precision", "fp32,fp16", "--shapes", "input:1x1x28x28", "--shapes", "input:4x1x28x28")


def marker(key: str) -> str:
    return key.replace("|", "_").replace("/", "_")


@pytest.fixture(scope="module")
def crashes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local Ray instance whose workers carry the crash hook's folder in their environment (the raylet
    passes the driver's environment at ray.init on to the workers); the driver itself does not keep it."""
    folder = tmp_path_factory.mktemp("crash")
    os.environ[CRASH_ONCE] = str(folder)
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    finally:
        del os.environ[CRASH_ONCE]
    yield folder
    ray.shutdown()


def rows_of(out: Path) -> list[dict]:
    return json.loads(out.with_suffix(".json").read_text())


def config(row: dict) -> tuple:
    return row["key"], row["backend"], row["precision"], row["shapes"], row["status"]


def test_ray_matches_sequential_and_retries_a_killed_worker(capsys: pytest.CaptureFixture[str], model: Path,
                                                            tmp_path: Path, crashes: Path) -> None:
    points = expand(Grid(onnx=[model], precision=["fp32", "fp16"],
                         shapes=["input:1x1x28x28", "input:4x1x28x28"]), Settings())
    victim = points[2]
    for point in points:  # every point but the victim has "already crashed": the victim's worker dies once
        if point != victim:
            (crashes / marker(point.key)).touch()
    sequential, distributed = tmp_path / "seq.csv", tmp_path / "ray.csv"
    code, _, err = cli(capsys, "sweep", "--onnx", model, *GRID, *FAST, "--out", sequential)
    assert code == 0, err
    code, stdout, err = cli(capsys, "sweep", "--onnx", model, *GRID, *FAST, "--out", distributed, "--ray", "local")
    assert code == 0, err
    assert (crashes / marker(victim.key)).exists()  # the hook did fire: the victim's first worker died
    assert f"{victim.label()}: its worker died; Ray ran it again (attempt 2)" in err
    rows = rows_of(distributed)
    assert sorted(map(config, rows)) == sorted(map(config, rows_of(sequential)))
    assert len(rows) == 4 and len({r["key"] for r in rows}) == 4
    assert {r["key"]: r["attempts"] for r in rows} == {p.key: 1 + (p == victim) for p in points}
    assert all(r["status"] == "ok" and r["pid"] != os.getpid() for r in rows)
    assert len(distributed.read_text().splitlines()) == 5

    # --resume through Ray: nothing runs again, the file is unchanged
    before = distributed.read_bytes()
    code, stdout, err = cli(capsys, "sweep", "--onnx", model, *GRID, *FAST, "--out", distributed, "--ray", "local",
                            "--resume")
    assert code == 0, err
    assert "0 points run, 4 kept from before" in stdout and distributed.read_bytes() == before


def test_a_point_whose_worker_always_dies_is_an_error_row(capsys: pytest.CaptureFixture[str], model: Path,
                                                          tmp_path: Path, crashes: Path) -> None:
    """--retries 0: the worker's death is final; the point is an error row (not lost), the sweep fails only
    with --failOnError, and --resume runs that point again (its worker survives this time)."""
    out = tmp_path / "r.csv"
    args = ("sweep", "--onnx", model, "--shapes", "input:2x1x28x28", *FAST, "--out", out, "--ray", "local")
    code, _, err = cli(capsys, *args, "--retries", "0", "--failOnError")
    assert code == 1 and "1 of 1 points failed (--failOnError)" in err
    (row,) = rows_of(out)
    assert row["status"] == "error" and row["error"].startswith("Ray lost the task after 1 attempts")
    code, stdout, err = cli(capsys, *args, "--resume", "--failOnError")
    assert code == 0, err
    assert "1 points run, 0 kept from before; 1 ok" in stdout
    (row,) = rows_of(out)
    assert row["status"] == "ok" and row["attempts"] == 1


def test_tensorrt_points_on_a_cluster_without_gpus_are_skip_rows(capsys: pytest.CaptureFixture[str], model: Path,
                                                                 tmp_path: Path, crashes: Path) -> None:
    """Ray would leave a task asking for a GPU pending for ever on this GPU-less instance: the point is a skip
    row naming the reason, next to the CPU point that ran."""
    out = tmp_path / "r.csv"
    (crashes / marker(expand(Grid(onnx=[model], shapes=["input:3x1x28x28"]), Settings())[0].key)).touch()
    code, _, err = cli(capsys, "sweep", "--onnx", model, "--shapes", "input:3x1x28x28", "--backend",
                       "onnxruntime,tensorrt", "--gpuType", "H100", *FAST, "--out", out, "--ray", "local")
    assert code == 0, err
    rows = {r["backend"]: r for r in rows_of(out)}
    assert rows["onnxruntime"]["status"] == "ok"
    assert rows["tensorrt"]["status"] == "skipped"
    assert rows["tensorrt"]["error"] == "the Ray cluster has no GPU; TensorRT points each ask for one"
