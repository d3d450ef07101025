"""The one exception type the CLI turns into a one-line message and a non-zero exit."""

from __future__ import annotations


class TrtkitError(Exception):
    """A user-facing failure: the message names the file or flag and what to do.

    The CLI prints ``trtkit: error: <message>`` and exits with ``exit_code``; the traceback is
    shown only with ``--verbose``. Library callers can catch it like any exception.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(TrtkitError):
    """Bad flags or flag values (exit code 2, like click's own usage errors)."""

    exit_code = 2
