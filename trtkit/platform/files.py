"""The one writer of every output (plans, caches, exports, plots) and the readers of input files.

A regular file is replaced atomically, so that a crash or a failed run never leaves half a plan behind and
readers see the old file or the whole new one. Only a regular file (or a path that does not exist yet) can be
replaced that way: renaming over ``/dev/null`` would turn the device into a plain file, over a FIFO would cut
off its reader, and over ``/dev/stdout`` (a link into ``/proc``) would detach the shell's redirection. Those
are written in place, as ``open(path, "wb")`` would. A symlink is written through to its target, so the link
stays a link. Every failure is one :class:`TrtkitError` line naming the path, with no temporary file left.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

from trtkit.platform.errors import TrtkitError

Data = bytes | bytearray | memoryview
_FD_PATH = re.compile(r"/(dev|proc/self|proc/\d+)/fd/(\d+)")


def write_atomic(path: str | os.PathLike[str], data: Data) -> Path:
    """Write ``data`` to ``path``: atomically for regular files and new paths, in place for anything else."""
    target = Path(path)
    fd = _own_descriptor(target)
    if fd is not None:
        _write_descriptor(target, fd, data)
        return target
    real = _resolve(target)
    info = _stat(real, target)
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise TrtkitError(f"{target}: is a directory; give a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_in_place(target, data)
    else:
        _replace(target, real, data, info)
    return target


def check_writable(*outputs: tuple[str, str | os.PathLike[str] | None]) -> None:
    """Refuse output paths, given as (flag, path or None), before a long run rather than after it: a directory,
    a missing or read-only folder, a read-only file. Devices, FIFOs and links pass, as write_atomic writes them."""
    for flag, path in outputs:
        if path is not None:
            _check_output(Path(path), flag)


def _check_output(target: Path, flag: str) -> None:
    real = _resolve(target)
    info = _stat(real, target)
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise TrtkitError(f"{flag}={target}: is a directory; give a file name")
    if info is not None and not os.access(real, os.W_OK):
        raise TrtkitError(f"{flag}={target}: cannot write: permission denied")
    if info is None or stat.S_ISREG(info.st_mode):
        _check_directory(real.parent, target, flag)


def _resolve(target: Path) -> Path:
    """The file a write lands in: symlinks followed (also dangling ones, which ``open`` would create)."""
    try:
        return target.resolve()
    except (OSError, RuntimeError) as e:  # a symlink loop
        raise TrtkitError(f"{target}: cannot write: {getattr(e, 'strerror', None) or 'symlink loop'}") from None


def _stat(real: Path, target: Path) -> os.stat_result | None:
    try:
        return os.stat(real)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise TrtkitError(f"{target}: cannot write: {_reason(e)}") from None


def _own_descriptor(target: Path) -> int | None:
    """N when ``target`` is, or links to, this process's open file N (``/dev/stdout`` -> ``/proc/self/fd/1``).
    Such a path must be written through the descriptor: resolving it would name the file the shell redirected
    to, and replacing or reopening that file would detach or truncate the output already written."""
    path = target
    for _ in range(32):  # the kernel's own limit on nested links is 40
        match = _FD_PATH.fullmatch(str(path))
        if match is not None:
            return int(match.group(2)) if match.group(1) in ("dev", "proc/self", f"proc/{os.getpid()}") else None
        if not path.is_symlink():
            return None
        link = Path(os.readlink(path))
        path = link if link.is_absolute() else path.parent / link
    return None


def _write_descriptor(target: Path, fd: int, data: Data) -> None:
    for stream in (sys.stdout, sys.stderr):  # what Python buffered goes out first, in order
        if stream is not None and not stream.closed:
            stream.flush()
    view = memoryview(data).cast("B")
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as e:
        raise TrtkitError(f"{target}: cannot write: {_reason(e)}") from None


def _check_directory(directory: Path, target: Path, flag: str | None = None) -> None:
    prefix = f"{flag}={target}" if flag else str(target)
    if not directory.is_dir():
        raise TrtkitError(f"{prefix}: directory {directory} does not exist; create it or choose another path")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise TrtkitError(f"{prefix}: cannot write: directory {directory} is not writable")


def _write_in_place(target: Path, data: Data) -> None:
    try:
        with open(target, "wb") as f:
            f.write(data)
    except OSError as e:
        raise TrtkitError(f"{target}: cannot write: {_reason(e)}") from None


def _replace(target: Path, real: Path, data: Data, info: os.stat_result | None) -> None:
    """Temporary file beside the real file, then rename; the file keeps its permissions (a new one gets
    what ``open`` would give it)."""
    _check_directory(real.parent, target)
    if info is not None and not os.access(real, os.W_OK):
        raise TrtkitError(f"{target}: cannot write: permission denied (the file is read-only)")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask())
        os.replace(tmp, real)
        tmp = None
    except OSError as e:
        raise TrtkitError(f"{target}: cannot write: {_reason(e)}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _reason(error: OSError) -> str:
    """The OS's words for the failure, lower-case like the rest of trtkit's messages."""
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    text = error.strerror or str(error)
    return text[:1].lower() + text[1:]


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeio" else "a"  # "an ONNX model", "a TensorRT plan", "a model"


def check_readable(path: Path, what: str) -> None:
    """Fail in one line, naming the file, before a library reads it and reports the problem less clearly."""
    if not path.exists():
        raise TrtkitError(f"{path}: {what} not found")
    if path.is_dir():
        raise TrtkitError(f"{path}: is a directory, expected {_article(what)} {what} file")
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
        raise TrtkitError(f"{p}: is a directory, expected {_article(what)} {what} file") from None
    except MemoryError:
        raise TrtkitError(f"{p}: {what} is too large to read into memory") from None
    except OSError as e:
        raise TrtkitError(f"{p}: cannot read {what}: {_reason(e)}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
