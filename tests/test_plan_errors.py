"""Plans the runner cannot load give one line naming the file, the cause and what to do.

These need no GPU: the runner deserializes before it touches CUDA, and TensorRT-RTX reports truncated,
foreign and GPU-less plans on a CPU-only machine. So they run wherever tensorrt-rtx is installed (not
marked ``gpu``); the device machine, which has no TensorRT, skips them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trtkit.platform.errors import TrtkitError

pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")


def _open(path: Path) -> str:
    from trtkit.backends.tensorrt import TensorRTBackend

    with pytest.raises(TrtkitError) as raised:
        TensorRTBackend(path, flavor="rtx", verbosity=-1)
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.fixture
def plan(zoo_mnist8: Path, tmp_path: Path) -> Path:
    from trtkit.builder.builder import BuildOptions, build

    path = tmp_path / "mnist8.plan"
    build(BuildOptions(onnx=zoo_mnist8, save_engine=path, flavor="rtx", verbosity=-1))
    return path


def test_truncated_plan(plan: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.plan"
    cut.write_bytes(plan.read_bytes()[: plan.stat().st_size // 2])
    message = _open(cut)
    assert message.startswith(f"{cut}: this plan is truncated or corrupt; rebuild it")


def test_bytes_that_are_no_plan(tmp_path: Path) -> None:
    noise = tmp_path / "noise.plan"
    noise.write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert "is not a TensorRT plan, or was built by another TensorRT version or flavour" in _open(noise)
    tiny = tmp_path / "tiny.plan"
    tiny.write_bytes(b"not a plan")
    assert "truncated or corrupt" in _open(tiny)


def test_a_good_plan_on_a_machine_without_a_gpu(plan: Path) -> None:
    from trtkit.platform import cuda

    try:
        cuda.Device().close()
        pytest.skip("a CUDA GPU is visible here: the plan may well load")
    except TrtkitError:
        pass
    message = _open(plan)
    assert message.startswith(f"{plan}: this plan cannot run here")
    assert "NVIDIA GPU" in message
    assert "run the ONNX model here instead" in message  # what a CPU machine can do with the same model


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.plan"
    empty.write_bytes(b"")
    assert _open(empty) == f"{empty}: the plan file is empty; rebuild it on this machine with trtkit build"
    assert _open(tmp_path / "absent.plan") == f"{tmp_path / 'absent.plan'}: TensorRT plan not found"
