"""trtexec-style log lines (``[I] ...``, ``[W] ...``) on stderr, so stdout carries only results.

The CLI sets the level once from --verbose/--quiet; library callers get warnings and info by default.

trtexec's own log format prefixes every line with the local time, ``[MM/DD/YYYY-HH:MM:SS] [I] ``, and
tools that read trtexec logs depend on it: TensorRT Engine Explorer's ``parse_trtexec_log.py`` takes the
``key: value`` lines after a ``=== Section ===`` header only when they match
``\\[\\d+/\\d+/\\d+-\\d+:\\d+:\\d+\\] \\[I\\] ``. ``--logTimestamps`` prints that prefix; ``--exportLog FILE``
keeps every line in that format (whatever the console shows) and writes them to FILE when the command
succeeds. In that format a report leaves out lines it has no number for, rather than printing ``n/a``
where a reader parses a number (:func:`trtexec_format`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from trtkit.platform.files import write_atomic

_level = 0  # -1 quiet (errors only), 0 default, 2 verbose
_timestamps = False  # --logTimestamps
_kept: list[str] | None = None  # --exportLog: every line, stamped


def set_verbosity(level: int) -> None:
    global _level
    _level = level


def set_timestamps(on: bool) -> None:
    """--logTimestamps: prefix console lines with trtexec's ``[MM/DD/YYYY-HH:MM:SS] ``."""
    global _timestamps
    _timestamps = on


def keep_lines(on: bool) -> None:
    """--exportLog: start (or stop) keeping every line for :func:`write_kept`."""
    global _kept
    _kept = [] if on else None


def trtexec_format() -> bool:
    """True when lines go out in trtexec's log format (timestamps on the console, or an exported log)."""
    return _timestamps or _kept is not None


def stamp() -> str:
    """trtexec's timestamp prefix, local time, as its logger writes it."""
    return time.strftime("[%m/%d/%Y-%H:%M:%S] ")


def emit(letter: str, message: str, *, shown: bool = True, stream: TextIO | None = None) -> None:
    """One ``[letter] message`` line: printed (on ``stream``, stderr by default) when ``shown``, and kept
    for --exportLog at the levels the exported log records (info and warnings; verbose with --verbose)."""
    line = f"[{letter}] {message}"
    if _kept is not None and (letter != "V" or _level >= 2):
        _kept.append(stamp() + line)
    if shown:
        print((stamp() if _timestamps else "") + line, file=stream or sys.stderr)


def emit_trt(letter: str, message: str) -> None:
    """A line from TensorRT's logger: ``[TRT] [W] msg`` as trtkit prints it, ``[W] [TRT] msg`` (after the
    timestamp) as trtexec does when in trtexec's format."""
    if _kept is not None:
        _kept.append(f"{stamp()}[{letter}] [TRT] {message}")
    if _timestamps:
        print(f"{stamp()}[{letter}] [TRT] {message}", file=sys.stderr)
    else:
        print(f"[TRT] [{letter}] {message}", file=sys.stderr)


def info(message: str) -> None:
    emit("I", message, shown=_level >= 0)


def warning(message: str) -> None:
    emit("W", message, shown=_level >= 0)


def verbosity() -> int:
    """The level set last (the sweep quiets its points' logs and restores it)."""
    return _level


def section(title: str, items: Mapping[str, object]) -> None:
    """A trtexec options block: ``=== title ===``, one ``key: value`` line per item, and the blank line that
    ends it (trtexec's readers stop a section at the first line that is not ``key: value``)."""
    info(f"=== {title} ===")
    for key, value in items.items():
        info(f"{key}: {value}")
    info("")


def write_kept(path: Path) -> None:
    """Write the kept lines to ``path`` (atomically) and stop keeping."""
    lines = _kept or []
    keep_lines(False)
    write_atomic(path, ("\n".join(lines) + "\n").encode())
