"""Broken inputs for every command, made once per session, and the one assertion every bad-input case makes:
the exit code, exactly one ``trtkit: error:`` line naming the file or flag, no traceback, nothing written
or left behind, and every file (and device) that was there before untouched."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import pytest
from helpers import cli
from onnx import TensorProto, helper

from trtkit.platform import log

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "mnist.onnx"
# Lines trtkit itself writes to stderr: its log levels, TensorRT through its logger, and its error line.
OUR_PREFIXES = ("[I] ", "[W] ", "[V] ", "[E] ", "[TRT] ", "trtkit: ")
FAST = ["--duration", "0", "--warmUp", "0", "--iterations", "3"]


ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def command(*args: object, code: str | None = None) -> list[str]:
    """``python -m trtkit ARGS`` for a subprocess, or ``python -c CODE ARGS`` where CODE calls main itself."""
    start = [sys.executable, "-c", code] if code else [sys.executable, "-m", "trtkit"]
    return [*start, *map(str, args)]


@pytest.fixture(autouse=True)
def default_log_level() -> Iterator[None]:
    """In-process runs set the log level; put it back for the next test."""
    yield
    log.set_verbosity(0)


def _snapshot(directory: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under ``directory``: its type bits and, for regular files, its bytes."""
    found = {}
    for path in sorted(directory.rglob("*")):
        info = os.lstat(path)
        content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        found[str(path.relative_to(directory))] = (stat.S_IFMT(info.st_mode), content)
    return found


@dataclass
class Bad:
    """The broken inputs (under ``root``, which the assertion watches) and a run-and-check helper."""

    root: Path
    capfd: pytest.CaptureFixture[str]  # file-descriptor level: libraries' own C++ logging is caught too

    def __call__(self, *args: object, code: int = 1, names: str | None = None) -> str:
        """Run ``trtkit *args`` and check everything a bad input must give; returns the error line."""
        before = _snapshot(self.root)
        got, out, err = cli(self.capfd, *args)
        assert "Traceback" not in out + err, err
        errors = [line for line in err.splitlines() if line.startswith("trtkit: error:")]
        assert len(errors) == 1, err
        foreign = [line for line in err.splitlines() if line.strip() and not line.startswith(OUR_PREFIXES)]
        assert not foreign, f"output that is not trtkit's own (keep it for --verbose): {foreign}"
        assert got == code, err
        if names is not None:
            assert names in errors[0], errors[0]
        assert _snapshot(self.root) == before, "a failing run changed, added or removed a file"
        return errors[0]


@pytest.fixture(scope="session")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of broken inputs, shared by every test (they only read it)."""
    root = tmp_path_factory.mktemp("broken")
    model = onnx.load(MODEL)
    (root / "model.onnx").write_bytes(MODEL.read_bytes())
    (root / "garbage.onnx").write_bytes(b"\x08\x07not an onnx model at all" * 10)
    (root / "truncated.onnx").write_bytes(MODEL.read_bytes()[:5000])
    newer = onnx.load(MODEL)
    newer.opset_import[0].version = onnx.defs.onnx_opset_version() + 5
    onnx.save(newer, root / "opset_new.onnx")
    external = root / "external"
    external.mkdir()
    onnx.save(model, external / "model.onnx", save_as_external_data=True, location="model.weights",
              size_threshold=0)
    (external / "model.weights").unlink()
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])
    y = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])
    graph = helper.make_graph([helper.make_node("Identity", ["input"], ["image"])], "identity", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), root / "identity.onnx")
    # Expanding a [N, 1] input to [N, 1e11] asks ONNX Runtime for 1.6 TB at run time: its allocator fails at
    # once (nothing is touched), as it does for a --shapes batch too large for the machine.
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    shape = onnx.numpy_helper.from_array(np.array([1, 100_000_000_000], np.int64), "shape")
    graph = helper.make_graph([helper.make_node("Expand", ["x", "shape"], ["y"])], "expand", [x], [y], [shape])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), root / "expand_huge.onnx")
    (root / "noise.plan").write_bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (root / "empty.plan").write_bytes(b"")
    np.savez(root / "objects.npz", input=np.array([{"pickled": 1}], dtype=object))
    np.save(root / "empty.npy", np.zeros((0, 1, 28, 28), np.float32))
    np.save(root / "strings.npy", np.array(["a", "b"]))
    (root / "pickle.npy").write_bytes(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01.")
    nan = np.random.default_rng(1).random((64, 1, 28, 28), dtype=np.float32)
    nan[5, 0, 3, 3] = np.nan
    nan[9, 0, 1, 1] = np.inf
    np.save(root / "nan.npy", nan)
    np.save(root / "wrong_shape.npy", np.zeros((1, 3, 5), np.float32))
    (root / "raw.bin").write_bytes(b"\x00" * 10)
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (root / "truncated.pgm").write_bytes(b"P5 28 28 255\n" + b"\x00" * 100)
    (root / "input.txt").write_text("1 2 3\n")
    (root / "garbage.cache").write_bytes(b"TRT-8401-EntropyCalibration2\nconv1: zz\n")
    (root / "foreign.cache").write_bytes(b"TRT-8401-EntropyCalibration2\nconv1: 3c88edfc\nprob: 3c010a14\n")
    (root / "empty_dir").mkdir()
    (root / "existing.json").write_bytes(b'{"kept": true}\n')
    return root


@pytest.fixture
def bad(broken: Path, capfd: pytest.CaptureFixture[str]) -> Bad:
    return Bad(broken, capfd)


@pytest.fixture
def device(broken: Path) -> Iterator[Path]:
    """A character device to write to: /dev/full (writes fail with ENOSPC). As root, a private node of it
    under tmp, so that a regression can never replace the machine's own device with a plain file."""
    if os.geteuid() != 0:
        yield Path("/dev/full")
        return
    node = broken.parent / f"full-{os.getpid()}"
    if not node.exists():
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    yield node
    assert stat.S_ISCHR(os.stat(node).st_mode), f"{node} is no longer a character device"
