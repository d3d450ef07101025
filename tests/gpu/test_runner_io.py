"""The runner's I/O kinds on a real GPU, through stand-in engines that behave as the TensorRT 11 API
documents: a data-dependent output sized through trtkit's IOutputAllocator (its size changing between
runs), a host shape-tensor input that decides the output shape (and values outside the profile refused in
one line), every I/O dtype round-tripping, vectorized formats (CHW4, HWC8) packed and unpacked, and the
bench loop on a data-dependent engine (no CUDA graph, trtexec's warnings)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from standin_engine import (
    IO_DTYPES,
    dtypes_spec,
    impl_of,
    launches,
    nonzero_spec,
    reshape_spec,
    vectorized_spec,
)

from trtkit.bench.device_loop import measure
from trtkit.bench.options import BenchOptions
from trtkit.data.feeds import InputOptions, make_runs
from trtkit.data.postprocess import export_outputs
from trtkit.platform.errors import TrtkitError

pytestmark = pytest.mark.gpu
Runners = Callable[..., tuple[Any, Any]]


def _sparse(rng: np.random.Generator, length: int, nonzeros: int) -> np.ndarray:
    x = np.zeros(length, np.float32)
    x[rng.choice(length, nonzeros, replace=False)] = rng.integers(1, 100, nonzeros).astype(np.float32)
    return x


def test_data_dependent_output_follows_each_run_and_grows_its_buffer(runner_factory: Runners,
                                                                   rng: np.random.Generator) -> None:
    engine, backend = runner_factory(nonzero_spec(128))
    assert backend.outputs[0].shape == (1, -1)
    context = impl_of(backend._main.context)
    addresses, capacities = [], []
    for nonzeros in (5, 40, 3, 0, 100):
        x = _sparse(rng, 128, nonzeros)
        idx = backend.run({"x": x})["idx"]
        assert idx.shape == (1, nonzeros) and idx.dtype == np.int64
        np.testing.assert_array_equal(idx[0], np.flatnonzero(x))
        addresses.append(context.addresses["idx"])
        capacities.append(backend._main.dynamic.buffers["idx"].capacity)
    assert [size for _, size in backend._main.dynamic.requests] == [5 * 8, 40 * 8, 3 * 8, 0, 100 * 8]
    assert capacities == [256, 512, 512, 512, 1024], "grown to what TensorRT asked (256-byte aligned), never shrunk"
    assert addresses[1] == addresses[2] == addresses[3], "a smaller result reuses the buffer and its address"
    assert "idx" in context.allocators and launches(engine) == 5


def test_data_dependent_outputs_export_with_their_real_shapes(runner_factory: Runners, rng: np.random.Generator,
                                                              tmp_path: Path) -> None:
    _, backend = runner_factory(nonzero_spec(16))
    x = _sparse(rng, 16, 7)
    export_outputs(tmp_path / "out.json", list(backend.run({"x": x}).items()))
    (entry,) = json.loads((tmp_path / "out.json").read_text())
    assert entry["dimensions"] == "1x7" and entry["values"] == np.flatnonzero(x).tolist()


def test_infer_and_compare_keep_each_runs_real_shape(runner_factory: Runners, rng: np.random.Generator) -> None:
    from trtkit.data.feeds import Run
    from trtkit.tasks.compare import CompareOptions, _errors
    from trtkit.tasks.infer import _run_all, stack_outputs

    _, backend = runner_factory(nonzero_spec(32))
    xs = [_sparse(rng, 32, n) for n in (4, 11)]
    results, _ = _run_all(backend, [Run({"x": x}, [f"x{i}"], 1) for i, x in enumerate(xs)])
    stacked = stack_outputs(results)
    assert [(name, a.shape) for name, a in stacked] == [("idx", (1, 4)), ("idx", (1, 11))], "one entry per run"
    options = CompareOptions(Path("ref.onnx"), Path("cand.plan"))
    expected = [np.flatnonzero(x)[None] for x in xs]
    assert _errors("idx", expected, [r["idx"] for r in results], options).passed
    mismatch = _errors("idx", expected[::-1], [r["idx"] for r in results], options)
    assert mismatch.problem == "shape 1x4 in the candidate, 1x11 in the reference"


def test_bench_on_a_data_dependent_engine_runs_without_a_cuda_graph(runner_factory: Runners,
                                                                    rng: np.random.Generator,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    engine, backend = runner_factory(nonzero_spec(64))
    x = _sparse(rng, 64, 9)
    options = BenchOptions(warm_up_ms=0.0, iterations=30, duration_s=0.0, progress=False, use_cuda_graph=True,
                           dump_output=True)
    run = measure(backend, {"x": x}, options)
    err = capsys.readouterr().err
    assert "The built TensorRT engine contains operations that are not permitted under CUDA graph capture mode." in err
    assert "CUDA graph capture failed. The inference will be launched without using CUDA graph." in err
    assert "data-dependent shapes" in err
    assert len(run.trace) >= 30 and launches(engine) == len(run.trace), "no capture attempt, no warm enqueue"
    np.testing.assert_array_equal(run.outputs["idx"], np.flatnonzero(x)[None])
    assert np.all(run.trace["endD2HMs"] > run.trace["startD2HMs"]), "the sized output is copied back each time"


def test_a_shape_tensor_input_decides_the_output_shape(runner_factory: Runners, rng: np.random.Generator) -> None:
    _, backend = runner_factory(reshape_spec())
    io = backend.io["shape"]
    assert io.host and io.shape_tensor and not backend.io["data"].host
    context = impl_of(backend._main.context)
    for length, values in ((12, (3, 4)), (12, (2, 6)), (16, (4, 4)), (12, (3, 4))):
        data = rng.integers(-50, 50, length).astype(np.float32)
        y = backend.run({"data": data, "shape": np.array(values, np.int64)})["y"]
        assert y.shape == values
        np.testing.assert_array_equal(y, (2 * data).reshape(values))
    host = backend._main.host["shape"]
    assert context.addresses["shape"] == host.ctypes.data, "TensorRT reads the values through a host pointer"
    assert "data" not in backend._main.host and "shape" not in backend._main.buffers


def test_shape_tensor_values_outside_the_profile_are_refused_in_one_line(runner_factory: Runners,
                                                                         rng: np.random.Generator) -> None:
    _, backend = runner_factory(reshape_spec())
    context = impl_of(backend._main.context)
    data = rng.random(12).astype(np.float32)
    backend.run({"data": data, "shape": np.array([3, 4], np.int64)})
    with pytest.raises(TrtkitError) as raised:
        backend.run({"data": data, "shape": np.array([12, 1], np.int64)})
    message = str(raised.value)
    assert "\n" not in message
    assert "shape values [12, 1]" in message and "profile 0: data 1..64, shape values [1, 1]..[8, 8]" in message
    assert context.executions == 1, "nothing was enqueued with the refused values"


def test_generated_feeds_take_the_profile_opt_shape_and_values(runner_factory: Runners) -> None:
    _, backend = runner_factory(reshape_spec())
    infos = {i.name: i for i in backend.inputs}
    assert infos["data"].opt_shape == (12,) and infos["shape"].opt_values == (3, 4)
    (run,) = make_runs(backend.inputs, InputOptions(), random=True).runs
    assert run.feeds["data"].shape == (12,) and run.feeds["shape"].tolist() == [3, 4]
    assert backend.run(run.feeds)["y"].shape == (3, 4)


def _values(dtype: np.dtype, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values each dtype holds exactly (and that differ from zero-filled memory)."""
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool) | np.eye(*shape, dtype=bool)
    if dtype.kind in "iu":
        return rng.integers(1, 100, shape).astype(dtype)
    return (rng.integers(1, 16, shape) / 4.0).astype(dtype)  # quarters up to 4: exact down to fp8 e4m3


def test_every_io_dtype_round_trips(runner_factory: Runners, rng: np.random.Generator) -> None:
    import ml_dtypes

    _, backend = runner_factory(dtypes_spec())
    expected_dtypes = {
        "FLOAT": np.float32, "HALF": np.float16, "BF16": ml_dtypes.bfloat16, "INT8": np.int8, "UINT8": np.uint8,
        "INT32": np.int32, "INT64": np.int64, "BOOL": np.bool_, "FP8": ml_dtypes.float8_e4m3fn,
    }
    assert set(expected_dtypes) == set(IO_DTYPES)
    for name, dtype in expected_dtypes.items():
        assert backend.io[f"in_{name.lower()}"].dtype == np.dtype(dtype) == backend.io[f"out_{name.lower()}"].dtype
    for _ in range(2):
        feeds = {i.name: _values(i.dtype, rng, i.shape) for i in backend.inputs}
        out = backend.run(feeds)
        for name, array in feeds.items():
            got = out[name.replace("in_", "out_")]
            assert got.dtype == array.dtype and got.shape == array.shape
            np.testing.assert_array_equal(got.view(np.uint8), array.view(np.uint8), err_msg=name)


def test_vectorized_formats_are_packed_and_unpacked(runner_factory: Runners, rng: np.random.Generator) -> None:
    _, backend = runner_factory(vectorized_spec())
    assert backend.io["a"].layout.format == "CHW4" and backend.io["b"].layout.format == "HWC8"
    execution = backend._main
    a = (rng.integers(-64, 64, (1, 3, 2, 2)) / 8).astype(np.float16)
    b = rng.integers(-1000, 1000, (1, 5, 2, 3)).astype(np.float32)
    out = backend.run({"a": a, "b": b})
    np.testing.assert_array_equal(out["a_out"], a)
    np.testing.assert_array_equal(out["b_out"], b)
    assert execution.buffers["a"].bytes.nbytes == 1 * 1 * 2 * 2 * 4 * 2, "channels padded to one vector of 4"
    assert execution.buffers["b"].bytes.nbytes == 1 * 2 * 3 * 8 * 4, "channels padded to 8, innermost"
    packed = execution.buffers["a"].host  # the device's layout: [N][C/4][H][W][4], padding zero
    np.testing.assert_array_equal(packed[0, 0, :, :, :3], np.moveaxis(a[0], 0, -1))
    assert not packed[..., 3].any()
