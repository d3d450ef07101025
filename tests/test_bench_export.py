"""--exportTimes and --exportProfile files, parsed back as trtexec's readers parse them.

The readers below do what TensorRT Engine Explorer does (trex/parser.py): read_timing_file takes
``rec['latencyMs']`` from every record; read_profiling_file keeps the records of 4 or 5 keys, dropping the
leading ``{"count": N}``, and engine_plan renames ``percentage``/``averageMs``/``medianMs``/``timeMs``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trtkit.bench.export import export_profile, export_times
from trtkit.bench.trace import empty_trace
from trtkit.platform.errors import TrtkitError

TRTEXEC_TIMES_KEYS = [
    "startEnqMs", "endEnqMs", "startH2dMs", "endH2dMs", "startComputeMs", "endComputeMs",
    "startD2hMs", "endD2hMs", "h2dMs", "computeMs", "d2hMs", "latencyMs",
]


def _trace() -> np.ndarray:
    trace = empty_trace(3)
    # stream, enq start/end, H2D start/end, compute start/end, D2H start/end (ms); rows out of order.
    trace[0] = (1, 10.0, 10.2, 10.0, 10.5, 10.5, 12.5, 12.5, 12.75)
    trace[1] = (0, 0.0, 0.1, 0.0, 0.5, 0.5, 1.5, 1.5, 1.75)
    trace[2] = (0, 5.0, 5.3, 5.0, 5.5, 5.5, 8.5, 8.5, 8.75)
    return trace


def trex_read_timing_file(path: Path) -> list[float]:
    return [rec["latencyMs"] for rec in json.loads(path.read_text())]


def trex_read_profiling_file(path: Path) -> list[dict[str, object]]:
    return [rec for rec in json.loads(path.read_text()) if len(rec) in (4, 5)]


def test_export_times_layout(tmp_path: Path) -> None:
    path = export_times(tmp_path / "times.json", _trace())
    records = json.loads(path.read_text())
    assert [list(r) for r in records] == [TRTEXEC_TIMES_KEYS] * 3
    assert [r["startH2dMs"] for r in records] == [0.0, 5.0, 10.0]  # sorted by H2D start, as trtexec's trace
    first = records[0]
    assert (first["h2dMs"], first["computeMs"], first["d2hMs"]) == (0.5, 1.0, 0.25)
    assert trex_read_timing_file(path) == [1.75, 3.75, 2.75]  # H2D + compute + D2H
    lines = path.read_text().splitlines()
    assert lines[0] == "[" and lines[1].startswith("  {") and lines[2].startswith(", {") and lines[-1] == "]"


def test_export_profile_layout(tmp_path: Path) -> None:
    layers = {"conv1": np.array([1.0, 3.0, 2.0]), "relu1": np.array([0.0, 0.0, 0.0]), "fc": np.array([0.5, 0.5, 2.0])}
    path = export_profile(tmp_path / "profile.json", layers)
    records = json.loads(path.read_text())
    assert records[0] == {"count": 3}
    kept = trex_read_profiling_file(path)
    assert [r["name"] for r in kept] == ["conv1", "relu1", "fc"]  # every layer, in execution order
    assert all(list(r) == ["name", "timeMs", "averageMs", "medianMs", "percentage"] for r in kept)
    conv = kept[0]
    assert (conv["timeMs"], conv["averageMs"], conv["medianMs"]) == (6.0, 2.0, 2.0)
    assert conv["percentage"] == pytest.approx(600 / 9)
    assert sum(r["percentage"] for r in kept) == pytest.approx(100.0)


def test_export_into_a_missing_directory_names_it_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "absent" / "times.json"
    with pytest.raises(TrtkitError, match="absent"):
        export_times(target, _trace())
    assert not target.parent.exists()


def test_export_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "times.json"
    target.write_text("old")
    export_times(target, _trace())
    assert len(json.loads(target.read_text())) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["times.json"]  # no temporary file left behind
