"""The sweep's results: FILE.csv and FILE.json side by side, rewritten whole and atomically after every row.

Rewriting the whole (small) file through ``write_atomic`` after each row means a reader, or a sweep killed
at any instant, sees either the previous complete file or the new complete one, never a half-written row;
the cost is trivial next to a point's build and bench. ``--resume`` reads the JSON back (the CSV if the JSON is
gone) and skips the points whose key already has an ok or skipped row; an error row is run again and replaced.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from trtkit.platform.errors import UsageError
from trtkit.platform.files import check_writable, read_bytes, write_atomic

COLUMNS = (
    "key", "model", "model_sha256", "backend", "precision", "shapes", "opt_level", "calib", "layers",
    "status", "error", "note",
    "flavour", "versions", "device", "gpu", "gpu_name",
    "throughput_qps", "latency_mean_ms", "latency_median_ms", "latency_p90_ms", "latency_p95_ms", "latency_p99_ms",
    "gpu_compute_mean_ms", "queries",
    "accuracy", "accuracy_backend", "eval_samples",
    "plan_bytes", "build_s", "elapsed_s", "attempts", "host", "pid",
)
DONE = ("ok", "skipped")
"""Statuses --resume keeps; an error row's point runs again."""


def paths_for(out: Path) -> tuple[Path, Path]:
    """``--out results.csv`` (or ``results.json``) -> both files."""
    if out.suffix.lower() not in (".csv", ".json"):
        raise UsageError(f"--out {out}: name a .csv or .json file (trtkit writes both)")
    return out.with_suffix(".csv"), out.with_suffix(".json")


class ResultsFile:
    """The rows so far, in the order they finished, kept in memory and written out whole after each change."""

    def __init__(self, out: Path, resume: bool) -> None:
        self.csv_path, self.json_path = paths_for(out)
        check_writable(("--out", self.csv_path), ("--out", self.json_path))
        existing = [p for p in (self.json_path, self.csv_path) if p.exists()]
        if existing and not resume:
            raise UsageError(f"--out {out}: {existing[0]} exists; add --resume to continue that sweep, or name "
                             "another file")
        self.rows: list[dict[str, Any]] = _read(existing[0]) if existing else []

    def done_keys(self) -> set[str]:
        return {str(row.get("key")) for row in self.rows if row.get("status") in DONE}

    def add(self, row: dict[str, Any]) -> None:
        """Put ``row`` in (replacing an earlier row of the same point) and rewrite both files."""
        self.rows = [r for r in self.rows if r.get("key") != row["key"]] + [row]
        write_atomic(self.json_path, (json.dumps(self.rows, indent=1, default=str) + "\n").encode())
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in r.items()} for r in self.rows)
        write_atomic(self.csv_path, text.getvalue().encode())


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def _read(path: Path) -> list[dict[str, Any]]:
    text = read_bytes(path, "sweep results").decode()
    try:
        rows = json.loads(text) if path.suffix == ".json" else list(csv.DictReader(io.StringIO(text)))
    except (json.JSONDecodeError, csv.Error) as e:
        raise UsageError(f"--resume: {path} is not a sweep results file ({e}); move it away or name another "
                         "--out") from None
    if not isinstance(rows, list) or any(not isinstance(r, dict) or "key" not in r for r in rows):
        raise UsageError(f"--resume: {path} is not a sweep results file (rows without a key)")
    return rows
