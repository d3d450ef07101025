"""Helpers the test modules share (importable because pyproject puts tests/ on pytest's pythonpath)."""

from __future__ import annotations

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
