"""trtexec-style progress lines (``[I] ...``, ``[W] ...``) on stderr, so stdout carries only results.

The CLI sets the level once from --verbose/--quiet; library callers get warnings and info by default.
"""

from __future__ import annotations

import sys

_level = 0  # -1 quiet (errors only), 0 default, 2 verbose


def set_verbosity(level: int) -> None:
    global _level
    _level = level


def info(message: str) -> None:
    if _level >= 0:
        print(f"[I] {message}", file=sys.stderr)


def warning(message: str) -> None:
    if _level >= 0:
        print(f"[W] {message}", file=sys.stderr)


def verbosity() -> int:
    """The level set last (the sweep quiets its points' logs and restores it)."""
    return _level
