"""Atomic file writes: a crash or a failed build never leaves a partial plan, cache or export behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from trtkit.platform.errors import TrtkitError


def write_atomic(path: str | os.PathLike[str], data: bytes | bytearray | memoryview) -> Path:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place.

    The rename is atomic on POSIX and Windows, so readers see either the old file or the whole new one.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise TrtkitError(f"{target}: directory {directory} does not exist; create it or choose another path")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the permissions open() would
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def check_readable(path: Path, what: str) -> None:
    """Fail in one line, naming the file, before a library reads it and reports the problem less clearly."""
    if not path.exists():
        raise TrtkitError(f"{path}: {what} not found")
    if path.is_dir():
        raise TrtkitError(f"{path}: is a directory, expected a {what} file")
    if not os.access(path, os.R_OK):
        raise TrtkitError(f"{path}: cannot read {what}: permission denied")


def read_bytes(path: str | os.PathLike[str], what: str) -> bytes:
    """Read a whole input file, turning OS errors into one line that names the file."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise TrtkitError(f"{p}: {what} not found") from None
    except IsADirectoryError:
        raise TrtkitError(f"{p}: is a directory, expected a {what} file") from None
    except OSError as e:
        raise TrtkitError(f"{p}: cannot read {what}: {e.strerror}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
