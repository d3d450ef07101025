"""Ctrl-C (SIGINT to a real subprocess) during bench, eval and build --int8: what completed is printed, nothing
is exported or cached, exit code 130. bench --duration=-1 runs until then, as trtexec's does."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from reliability.broken import ENV, MODEL, command


def _interrupt(args: list[object], marker: str, after_s: float = 0.3) -> tuple[int, str, str]:
    """Start trtkit, wait until stderr shows ``marker``, let it work ``after_s`` more, then SIGINT it."""
    process = subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            break
    assert any(marker in line for line in seen), "".join(seen)
    time.sleep(after_s)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, "".join(seen) + err


def _last_line(err: str) -> str:
    assert "Traceback" not in err, err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize("streams", ["1", "2"])
def test_bench_until_interrupted_prints_the_summary_of_what_ran(tmp_path: Path, streams: str) -> None:
    times = tmp_path / "times.json"
    code, out, err = _interrupt(["bench", "--onnx", MODEL, "--duration=-1", "--warmUp", "0", "--infStreams", streams,
                                 "--exportTimes", times], "running until interrupted")
    assert code == 130, err
    assert "=== Performance summary ===" in out and "Throughput: " in out
    last = _last_line(err)
    assert last.startswith("trtkit: interrupted: after ") and "nothing exported" in last, last
    assert int(last.split("after ")[1].split()[0]) > 0
    assert list(tmp_path.iterdir()) == []  # no export, no temporary file


def test_eval_interrupted_reports_the_samples_done(mnist_dir: Path) -> None:
    code, out, err = _interrupt(["eval", MODEL, mnist_dir, "--split", "train", "--batch", "1"], "Evaluating", 0.3)
    assert code == 130, err
    last = _last_line(err)
    assert last.startswith(f"trtkit: interrupted: eval of {MODEL} stopped after "), last
    assert "of 60000 samples: top-1 " in last and out == ""


def test_build_int8_interrupted_in_calibration_writes_nothing(mnist_dir: Path, tmp_path: Path) -> None:
    cache, plan = tmp_path / "mnist.cache", tmp_path / "mnist.plan"
    code, _, err = _interrupt(["build", "--onnx", MODEL, "--int8", "--calib", mnist_dir, "--calibSamples", "60000",
                                 "--calibCache", cache, "--saveEngine", plan], "Calibrating INT8", 0.3)
    assert code == 130, err
    assert _last_line(err).startswith("trtkit: interrupted: INT8 calibration (entropy) stopped in batch ")
    assert list(tmp_path.iterdir()) == []
