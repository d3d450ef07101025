"""trtkit.platform.files.write_atomic, the one writer of every output: regular files are replaced atomically
and keep their permissions; devices, FIFOs and the process's own stdout are written in place; links are
written through; every failure is one line naming the path, with no temporary file left behind."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from helpers import cli

from reliability.broken import ENV, FAST, MODEL, REPO, command
from trtkit.platform.errors import TrtkitError
from trtkit.platform.files import check_writable, write_atomic

SAMPLE = REPO / "samples" / "3.pgm"


def _leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


@pytest.fixture
def null_device(tmp_path: Path) -> Path:
    """A character device that swallows writes: a private /dev/null node as root (so that a regression can
    never turn the machine's own /dev/null into a file), the real one otherwise (then rename into /dev fails)."""
    if os.geteuid() != 0:
        return Path("/dev/null")
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return node


@pytest.fixture
def readonly_dir(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: chmod 555 for a normal user; for root, which ignores
    permission bits, sysfs (creating files there fails even for root)."""
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o555)
        return folder
    if not Path("/sys/kernel").is_dir():
        pytest.skip("running as root and no /sys: no folder here refuses root's writes")
    return Path("/sys/kernel")


def test_a_regular_file_is_replaced_whole_and_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "times.json"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_atomic(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_a_new_file_gets_the_permissions_open_would_give(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.json", b"{}")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


def test_a_character_device_stays_a_device(null_device: Path) -> None:
    write_atomic(null_device, b"x" * 100_000)
    assert stat.S_ISCHR(os.stat(null_device).st_mode)


def test_a_full_device_is_one_line_and_stays_a_device(device: Path) -> None:
    with pytest.raises(TrtkitError, match=f"^{device}: cannot write: no space left on device$"):
        write_atomic(device, b"x" * 10)
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_a_fifo_is_written_into_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, b"through the pipe")
    reader.join(timeout=10)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.json"
    target.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new"
    assert _leftovers(tmp_path) == [] and _leftovers(tmp_path / "real") == []


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "made.json")
    write_atomic(link, b"{}")
    assert link.is_symlink() and (tmp_path / "made.json").read_bytes() == b"{}"


def test_a_symlink_loop_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(TrtkitError, match=f"^{tmp_path / 'a'}: cannot write: "):
        write_atomic(tmp_path / "a", b"x")


def test_a_directory_a_missing_folder_and_a_read_only_folder(tmp_path: Path, readonly_dir: Path) -> None:
    with pytest.raises(TrtkitError, match=f"^{tmp_path}: is a directory; give a file name$"):
        write_atomic(tmp_path, b"x")
    with pytest.raises(TrtkitError, match=f"^{tmp_path / 'no' / 'x.json'}: directory {tmp_path / 'no'} does not"):
        write_atomic(tmp_path / "no" / "x.json", b"x")
    with pytest.raises(TrtkitError, match=f"^{readonly_dir / 'x.json'}: cannot write"):
        write_atomic(readonly_dir / "x.json", b"x")
    assert not (readonly_dir / "x.json").exists()
    if os.geteuid() != 0:  # root passes os.access; its write then fails in write_atomic, as above
        with pytest.raises(TrtkitError, match=r"^--exportTimes=.*: cannot write"):
            check_writable(("--exportTimes", readonly_dir / "x.json"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_file_is_refused_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "locked.json"
    target.write_bytes(b"mine")
    target.chmod(0o444)
    with pytest.raises(TrtkitError, match="permission denied"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"mine"


_EFBIG = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
from trtkit.cli import main
main(sys.argv[1:])
"""


def _trtkit(*args: object, stdout: int | object = subprocess.PIPE, code: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args, code=code), stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120,
                          env=ENV)


def test_a_file_too_large_leaves_no_temporary_file(tmp_path: Path) -> None:
    """EFBIG (RLIMIT_FSIZE) in the atomic path: one line, the old file intact, no temporary file."""
    times = tmp_path / "times.json"
    times.write_bytes(b"[]\n")
    done = _trtkit("bench", "--onnx", MODEL, *FAST, "--iterations", "200", "--exportTimes", times, code=_EFBIG)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("trtkit: error:")]
    assert errors == [f"trtkit: error: {times}: cannot write: file too large"]
    assert "Traceback" not in done.stderr
    assert times.read_bytes() == b"[]\n" and _leftovers(tmp_path) == []


def test_dev_stdout_redirected_to_a_file_keeps_everything(tmp_path: Path) -> None:
    """/dev/stdout resolves to the file the shell redirected to: it is written through the open descriptor,
    so the report printed before and after the JSON both stay, and the file is the same inode."""
    out = tmp_path / "out.txt"
    with out.open("w") as f:
        inode = os.fstat(f.fileno()).st_ino
        done = _trtkit("infer", MODEL, SAMPLE, "--exportOutput", "/dev/stdout", stdout=f)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert out.stat().st_ino == inode
    assert '"name": "scores"' in text and "Predicted: 3" in text


def test_cli_exports_to_devices(null_device: Path, device: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "infer", MODEL, SAMPLE, "--exportOutput", null_device)
    assert code == 0, err
    code, _, err = cli(capsys, "bench", "--onnx", MODEL, *FAST, "--exportTimes", device)
    assert code == 1
    assert err.strip().splitlines()[-1] == f"trtkit: error: {device}: cannot write: no space left on device"
    assert stat.S_ISCHR(os.stat(null_device).st_mode) and stat.S_ISCHR(os.stat(device).st_mode)
