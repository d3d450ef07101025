"""The bench loop takes the inference defaults of the flavour that runs the plan (trtexec 10: transfers,
blocking sync, no graph; trtexec 11 and TensorRT-RTX: CUDA graph, no transfers, spin-wait), on a real GPU
through the stand-in engine; and --device picks the GPU the plan runs on."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from standin_engine import flavour, impl_of, launches, mnist_input, mnist_spec, trt_module

from trtkit.backends.tensorrt import TensorRTBackend
from trtkit.bench.device_loop import measure
from trtkit.bench.options import BenchOptions
from trtkit.platform.errors import TrtkitError
from trtkit.platform.flavours import TensorRT10

pytestmark = pytest.mark.gpu
SHORT = {"warm_up_ms": 0.0, "iterations": 40, "duration_s": 0.0, "progress": False}


def test_tensorrt11_defaults_capture_a_graph_and_leave_out_transfers(runner_factory: Any,
                                                                      rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec())
    run = measure(backend, {"Input3": mnist_input(rng)}, BenchOptions(**SHORT))
    assert len(run.trace) >= 40
    assert np.all(run.trace["endH2DMs"] == run.trace["startH2DMs"]), "no H2D copies in the timed queries"
    # one plain enqueue before capture, the captured one is replayed: the kernel ran once per row plus once
    assert launches(engine) == len(run.trace) + 1
    assert impl_of(backend._main.context).executions == 2, "enqueued twice (warm + capture), then replayed"


def test_tensorrt10_defaults_copy_and_enqueue_every_query(engine_factory: Any, rng: np.random.Generator) -> None:
    engine = engine_factory(mnist_spec())
    backend = TensorRTBackend.from_engine(engine, TensorRT10(trt_module()))
    try:
        run = measure(backend, {"Input3": mnist_input(rng)}, BenchOptions(**SHORT))
        assert np.all(run.trace["endH2DMs"] > run.trace["startH2DMs"]), "H2D copies in every timed query"
        assert launches(engine) == len(run.trace) == impl_of(backend._main.context).executions
    finally:
        backend.close()


def test_idle_time_spaces_the_timed_queries(runner_factory: Any, rng: np.random.Generator) -> None:
    _, backend = runner_factory(mnist_spec())
    run = measure(backend, {"Input3": mnist_input(rng)}, BenchOptions(**{**SHORT, "iterations": 10,
                                                                         "idle_time_ms": 5.0}))
    starts = np.sort(run.trace["startComputeMs"])
    assert np.median(np.diff(starts)) >= 4.0, "a 5 ms host sleep after each timed query"


def test_device_beyond_the_visible_gpus_is_one_line(device: Any) -> None:
    from trtkit.platform import cuda

    count = cuda.driver().Device.count()
    with pytest.raises(TrtkitError, match=rf"^--device={count + 3}: no such GPU; {count} visible"):
        cuda.Device(count + 3)


def test_stand_in_flavour_is_tensorrt11() -> None:
    assert flavour().inference.generation == 11
