"""The one exception type the CLI turns into a one-line message and a non-zero exit."""

from __future__ import annotations


class TrtkitError(Exception):
    """A user-facing failure: the message names the file or flag and what to do.

    The CLI prints ``trtkit: error: <message>`` and exits with ``exit_code``; the traceback is
    shown only with ``--verbose``. Library callers can catch it like any exception.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        # One line whatever it quotes: a flag value or a library's message may hold line breaks.
        super().__init__(" ".join(message.splitlines()))
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(TrtkitError):
    """Bad flags or flag values (exit code 2, like click's own usage errors)."""

    exit_code = 2


class Interrupted(TrtkitError):
    """Ctrl-C: what completed has been reported; nothing was exported (exit 130, as a shell reports SIGINT)."""

    exit_code = 130


def as_trtkit_error(error: BaseException) -> TrtkitError:
    """Any failure as one user-facing line: the CLI's last resort, so that no input ever ends in a traceback.

    Known failures are turned into TrtkitError where they happen, naming the file or flag; this catches the
    classes that can surface anywhere (an OS error on a file, memory exhausted) and says plainly when
    something was not foreseen.
    """
    if isinstance(error, TrtkitError):
        return error
    if isinstance(error, MemoryError):
        detail = f" ({error})" if str(error) else ""
        return TrtkitError(f"out of memory{detail}; use a smaller batch (--shapes) or fewer samples")
    if isinstance(error, OSError) and error.filename is not None:
        reason = "permission denied" if isinstance(error, PermissionError) else (error.strerror or str(error))
        return TrtkitError(f"{error.filename}: {reason}")
    text = " ".join(str(error).split()) or "no message"
    return TrtkitError(f"unexpected {type(error).__name__}: {text} (--verbose shows the traceback; please report it)")
