"""The reliability suite's fixtures live in broken.py, which the test modules also import from."""

from __future__ import annotations

from reliability.broken import bad, broken, default_log_level, device

__all__ = ["bad", "broken", "default_log_level", "device"]
