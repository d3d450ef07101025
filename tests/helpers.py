"""Helpers the test modules share (importable because pyproject puts tests/ on pytest's pythonpath)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from trtkit.cli import main


def cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run the trtkit entry point in-process: (exit code, stdout, stderr)."""
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def help_in_fresh_process(args: list[str], heavy: Iterable[str]) -> tuple[str, list[str]]:
    """``trtkit ARGS`` (a --help) in a fresh interpreter: its stdout, and which of the ``heavy`` packages (or
    their submodules) it imported, sorted; so a test sees that help answers without loading them."""
    probe = (
        "import json, sys\nfrom trtkit.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"heavy = {sorted(set(heavy))!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))"
    )
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(repo)})
    assert proc.returncode == 0, proc.stderr
    out, _, imported = proc.stdout.strip().rpartition("\n")
    return out, json.loads(imported)
