"""A progress bar for long measurements that stays out of the timed loop.

A background thread redraws a tqdm bar from the clock a few times a second; the timing loop never touches
it, so the bar costs no per-iteration work. Off when stderr is not a terminal, for short runs, with
--quiet, or when tqdm is not installed (it is an optional extra: ``pip install 'trtkit[bench]'``).
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Any

MIN_SECONDS = 2.0
"""Runs expected to be shorter than this get no bar."""
REFRESH_S = 0.2


def _tqdm() -> Any | None:
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


class TimeProgress:
    """Context manager: a bar from 0 to ``expected_s`` seconds of measurement, drawn on stderr."""

    def __init__(self, expected_s: float, enabled: bool = True, label: str = "bench") -> None:
        self.expected_s = expected_s
        self.label = label
        self.enabled = enabled and expected_s >= MIN_SECONDS and sys.stderr.isatty()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> TimeProgress:
        tqdm = _tqdm() if self.enabled else None
        if tqdm is not None:
            bar = tqdm(total=round(self.expected_s, 1), desc=self.label, unit="s", leave=False, file=sys.stderr,
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s")
            self._thread = threading.Thread(target=self._draw, args=(bar,), daemon=True)
            self._thread.start()
        return self

    def _draw(self, bar: Any) -> None:
        start = time.perf_counter()
        try:
            while not self._stop.wait(REFRESH_S):
                bar.n = min(round(time.perf_counter() - start, 1), bar.total)
                bar.refresh()
        finally:
            bar.close()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
