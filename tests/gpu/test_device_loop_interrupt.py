"""Ctrl-C in TensorRT's device bench loop (a real KeyboardInterrupt delivered to the main thread while it
waits on CUDA events): the iterations in flight are drained, every completed one is in the trace, and the
run says it was interrupted, so that bench prints its summary and exports nothing. --duration=-1 runs until
then, as trtexec's does."""

from __future__ import annotations

import _thread
import threading
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from standin_engine import launches, mnist_input, mnist_spec

from trtkit.bench.device_loop import measure
from trtkit.bench.options import BenchOptions
from trtkit.bench.trace import TRACE_FIELDS

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize(("streams", "cuda_graph"), [(1, False), (2, False), (1, True)])
def test_ctrl_c_ends_an_endless_run_with_every_completed_iteration(
        runner_factory: Callable[..., tuple[Any, Any]], streams: int, cuda_graph: bool) -> None:
    engine, backend = runner_factory(mnist_spec())
    options = BenchOptions(warm_up_ms=0.0, iterations=1, duration_s=-1.0, inf_streams=streams,
                           use_cuda_graph=cuda_graph, no_data_transfers=False, use_spin_wait=False,
                           separate_profile_run=False, dump_output=True, progress=False)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    try:
        run = measure(backend, {"Input3": mnist_input(np.random.default_rng(0))}, options)
    finally:
        timer.cancel()
    assert run.interrupted
    assert len(run.trace) > 10, "the loop ran until the interrupt"
    assert run.outputs is None, "nothing more runs after Ctrl-C"
    for earlier, later in pairwise(TRACE_FIELDS[3:]):
        assert np.all(run.trace[later] >= run.trace[earlier]), f"{later} before {earlier}: a half-recorded row"
    ran = launches(engine) - (streams if cuda_graph else 0)  # a graph's warm enqueue is not timed
    assert len(run.trace) <= ran <= len(run.trace) + streams, "drained: what was in flight completed and is kept"
