"""trtexec 11.1's accuracy check (``--loadRefOutputs``) on the TensorRT runner for real: a stand-in engine whose
context launches a real kernel; every algorithm passes its true outputs (npy and trtexec's raw bytes) and
fails wrong ones, with one pair and with two."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from standin_engine import mnist_expected, mnist_input, mnist_spec

from trtkit.backends.validation import check_backend
from trtkit.data.accuracy import ALGORITHMS, AccuracyOptions, RefPair, failure

pytestmark = pytest.mark.gpu
OUT = "Plus214_Output_0"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_reference_outputs_check_a_tensorrt_engine(
    algorithm: str, runner_factory: Callable[..., tuple[Any, Any]], rng: np.random.Generator, tmp_path: Path
) -> None:
    engine, backend = runner_factory(mnist_spec())
    for i in range(2):
        x = mnist_input(rng)
        y = mnist_expected(engine, x)
        np.save(tmp_path / f"x{i}.npy", x)
        np.save(tmp_path / f"y{i}.npy", y)
        y.tofile(tmp_path / f"y{i}.raw")
        np.save(tmp_path / f"bad{i}.npy", -y - 1)

    def options(*refs: str) -> AccuracyOptions:
        pairs = [RefPair({"Input3": tmp_path / f"x{i}.npy"}, {OUT: tmp_path / r}) for i, r in enumerate(refs)]
        return AccuracyOptions(pairs=pairs, algorithm=algorithm, threshold=1e-3)

    for refs in (("y0.npy",), ("y0.raw",), ("y0.npy", "y1.raw")):
        results = check_backend(backend, options(*refs))
        assert len(results) == len(refs) and failure(results) is None
        assert all(r.loss < 1e-6 for r in results)
    results = check_backend(backend, options("y0.npy", "bad1.npy"))
    assert [r.failed for r in results] == [False, True]
    error = failure(results)
    assert error is not None and "Accuracy validation FAILED" in str(error)
