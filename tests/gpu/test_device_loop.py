"""trtkit's TensorRT bench loop on a real GPU: trtexec's trace rows from CUDA events, --useCudaGraph (the
enqueue captured, and the fall-back), --noDataTransfers, --infStreams, --useSpinWait, --dumpProfile
and --dumpOutput."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from standin_engine import impl_of, launches, live_contexts, mnist_expected, mnist_input, mnist_spec

from trtkit.bench.device_loop import measure
from trtkit.bench.options import BenchOptions
from trtkit.bench.trace import TRACE_FIELDS, BenchRun
from trtkit.platform.errors import TrtkitError

pytestmark = pytest.mark.gpu
Runners = Callable[..., tuple[Any, Any]]
PHASES = TRACE_FIELDS[3:]  # startH2DMs ... endD2HMs, in the order they happen


def _options(**changes: Any) -> BenchOptions:
    """Short runs with trtexec 10's switches (the stand-in flavour is TensorRT 11, whose defaults differ)."""
    switches = {"use_cuda_graph": False, "no_data_transfers": False, "use_spin_wait": False}
    return BenchOptions(**{"warm_up_ms": 0.0, "iterations": 40, "duration_s": 0.0, "progress": False, **switches,
                           **changes})


def _check_rows(run: BenchRun, streams: int = 1) -> None:
    """Every row is ordered in time; rows of one stream do not overlap (one stream runs one at a time)."""
    trace = run.trace
    assert sorted(set(trace["stream"].tolist())) == list(range(streams))
    assert np.all(trace["endEnqMs"] >= trace["startEnqMs"])
    for earlier, later in pairwise(PHASES):
        assert np.all(trace[later] >= trace[earlier]), f"{later} before {earlier}"
    assert min(trace["startH2DMs"].min(), trace["startEnqMs"].min()) == 0.0, "times start at the measured run"
    for stream in range(streams):
        rows = trace[trace["stream"] == stream]
        assert np.all(rows["startH2DMs"][1:] >= rows["endD2HMs"][:-1] - 1e-3), "iterations of a stream overlap"
    assert run.walltime_ms > 0.0


def test_trace_rows_are_ordered_and_each_iteration_ran(runner_factory: Runners, rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec())
    x = mnist_input(rng)
    run = measure(backend, {"Input3": x}, _options(dump_output=True))
    assert len(run.trace) >= 40
    _check_rows(run)
    assert np.all(run.trace["endH2DMs"] > run.trace["startH2DMs"]), "H2D copies take time"
    assert launches(engine) == len(run.trace) == impl_of(backend._main.context).executions
    np.testing.assert_array_equal(run.outputs["Plus214_Output_0"], mnist_expected(engine, x))
    assert run.layer_times_ms is None


def test_warm_up_is_run_but_not_reported_and_duration_is_honoured(runner_factory: Runners,
                                                                  rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec())
    run = measure(backend, {"Input3": mnist_input(rng)}, _options(warm_up_ms=50.0, duration_s=0.2, iterations=5))
    _check_rows(run)
    assert launches(engine) > len(run.trace), "warm-up iterations ran"
    assert run.trace["startComputeMs"].max() >= 150.0, "the run lasted about --duration"


def test_cuda_graph_without_transfers_replays_the_enqueue(runner_factory: Runners, rng: np.random.Generator,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """--noDataTransfers: the graph holds the enqueue alone (trtexec's); every replay runs the kernel once and
    the host-recorded events around it give ordered, plausible times on the host's axis."""
    engine, backend = runner_factory(mnist_spec())
    x = mnist_input(rng)
    execution = backend._main
    run = measure(backend, {"Input3": x}, _options(use_cuda_graph=True, no_data_transfers=True, iterations=200,
                                                dump_output=True))
    _check_rows(run)
    trace = run.trace
    assert impl_of(execution.context).executions == 2, "one warm enqueue and one captured, then replays"
    assert len(trace) >= 200 and launches(engine) == 1 + len(trace), "each replay ran the kernel once"
    assert np.all(trace["endComputeMs"] > trace["startComputeMs"])
    # the compute start is recorded before the launch (trtexec's order), so only its end follows the launch
    assert np.all(trace["endComputeMs"] >= trace["startEnqMs"]), "a replay's work ends after its launch began"
    assert np.all(trace["endComputeMs"] - trace["startEnqMs"] < 100.0), "and soon after it"
    assert np.all(np.diff(trace["startEnqMs"]) > 0.0), "launches follow each other on the host clock"
    np.testing.assert_array_equal(run.outputs["Plus214_Output_0"], mnist_expected(engine, x))
    assert "[W]" not in capsys.readouterr().err
    execution.buffers["Plus214_Output_0"].host[...] = np.nan  # the replays computed what is read back
    y = mnist_input(rng)
    run = measure(backend, {"Input3": y}, _options(use_cuda_graph=True, no_data_transfers=True, dump_output=True))
    np.testing.assert_array_equal(run.outputs["Plus214_Output_0"], mnist_expected(engine, y))


def test_cuda_graph_with_transfers_replays_the_enqueue(runner_factory: Runners, rng: np.random.Generator,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """With copies the graph holds the enqueue alone, as trtexec's; copies and events stay on the host."""
    engine, backend = runner_factory(mnist_spec())
    x = mnist_input(rng)
    run = measure(backend, {"Input3": x}, _options(use_cuda_graph=True, dump_output=True))
    _check_rows(run)
    assert impl_of(backend._main.context).executions == 2, "one warm enqueue and one captured, then replays"
    assert launches(engine) == 1 + len(run.trace), "each replay ran the kernel once; capture ran nothing"
    assert np.all(run.trace["endH2DMs"] > run.trace["startH2DMs"]) and np.all(
        run.trace["endD2HMs"] > run.trace["startD2HMs"]), "H2D and D2H copies take time"
    np.testing.assert_array_equal(run.outputs["Plus214_Output_0"], mnist_expected(engine, x))
    assert "[W]" not in capsys.readouterr().err


@pytest.mark.parametrize("transfers", [True, False])
def test_cuda_graph_falls_back_to_plain_enqueues_when_capture_is_refused(
        runner_factory: Runners, rng: np.random.Generator, capsys: pytest.CaptureFixture[str], transfers: bool) -> None:
    engine, backend = runner_factory(mnist_spec())
    impl_of(backend._main.context).refuses_capture = True
    x = mnist_input(rng)
    run = measure(backend, {"Input3": x}, _options(use_cuda_graph=True, no_data_transfers=not transfers,
                                                dump_output=True))
    _check_rows(run)
    assert "not permitted under CUDA graph capture mode" in capsys.readouterr().err
    assert launches(engine) == 1 + len(run.trace), "one warm enqueue, then one plain enqueue per row"
    np.testing.assert_array_equal(run.outputs["Plus214_Output_0"], mnist_expected(engine, x))


def test_no_data_transfers_gives_zero_length_copies(runner_factory: Runners, rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec())
    x = mnist_input(rng)
    run = measure(backend, {"Input3": x}, _options(no_data_transfers=True, dump_output=True))
    _check_rows(run)
    trace = run.trace
    assert np.all(trace["startH2DMs"] == trace["endH2DMs"]) and np.all(trace["endH2DMs"] == trace["startComputeMs"])
    assert np.all(trace["startD2HMs"] == trace["endD2HMs"]) and np.all(trace["startD2HMs"] == trace["endComputeMs"])
    np.testing.assert_array_equal(run.outputs["Plus214_Output_0"], mnist_expected(engine, x))


def test_two_streams_each_run_their_own_context(runner_factory: Runners, rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec())
    run = measure(backend, {"Input3": mnist_input(rng)}, _options(inf_streams=2, iterations=30))
    _check_rows(run, streams=2)
    assert all(np.count_nonzero(run.trace["stream"] == s) >= 30 for s in (0, 1))
    assert launches(engine) == len(run.trace)
    assert len(live_contexts(engine)) == 1, "the extra stream's context is freed after the run"


def test_two_streams_of_a_dynamic_engine_hold_one_profile_each(runner_factory: Runners,
                                                               rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec(dynamic=True))
    x = mnist_input(rng, 4)
    run = measure(backend, {"input": x}, _options(inf_streams=2, use_cuda_graph=True, dump_output=True))
    _check_rows(run, streams=2)
    np.testing.assert_array_equal(run.outputs["scores"], mnist_expected(engine, x))
    assert impl_of(engine).errors == []
    with pytest.raises(TrtkitError, match="--infStreams"):
        measure(backend, {"input": x}, _options(inf_streams=3))
    assert len(live_contexts(engine)) == 1


def _enqueue_hitting_a_cuda_error(stream_handle: int) -> bool:
    """An enqueue during which a driver call fails: events never recorded cannot be timed."""
    import pycuda.driver as drv

    drv.Event().time_since(drv.Event())
    return True


@pytest.mark.parametrize(("enqueue", "message"), [
    (lambda stream_handle: False, r"^TensorRT could not enqueue the engine"),
    (_enqueue_hitting_a_cuda_error, r"^CUDA failed in the benchmark loop: cuEventElapsedTime failed: "),
])
def test_a_failed_run_is_one_line_and_its_events_are_freed_before_the_context_closes(
        runner_factory: Runners, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch,
        enqueue: Callable[[int], bool], message: str) -> None:
    """A refused enqueue and a failed CUDA call end the run in one line; the loop's events (pycuda's, destroyed
    with their last reference) must not outlive the run in the error's traceback, or pycuda could only drop
    them after the context is gone and they would leak."""
    from trtkit.platform import cuda

    made: list[weakref.ref[Any]] = []
    new_event = cuda.new_event

    def tracked(blocking: bool = True) -> Any:
        event = new_event(blocking)
        made.append(weakref.ref(event))
        return event

    monkeypatch.setattr(cuda, "new_event", tracked)
    _, backend = runner_factory(mnist_spec())
    monkeypatch.setattr(impl_of(backend._main.context), "execute_async_v3", enqueue)
    with pytest.raises(TrtkitError, match=message) as caught:
        measure(backend, {"Input3": mnist_input(rng)}, _options())
    assert caught.value.__context__ is None, "no chained pycuda error"
    assert len(made) == 9, "the start event and four events in each of two slots"
    assert [ref() for ref in made] == [None] * 9, "events kept alive by the error"


def test_spin_wait_polls_events(runner_factory: Runners, rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec())
    run = measure(backend, {"Input3": mnist_input(rng)}, _options(use_spin_wait=True))
    _check_rows(run)
    assert launches(engine) == len(run.trace)


@pytest.mark.parametrize("separate", [False, True])
def test_dump_profile_keeps_every_layer_time(runner_factory: Runners, rng: np.random.Generator,
                                             separate: bool) -> None:
    engine, backend = runner_factory(mnist_spec())
    run = measure(backend, {"Input3": mnist_input(rng)}, _options(dump_profile=True, separate_profile_run=separate))
    assert run.layer_times_ms is not None and set(run.layer_times_ms) == {"weighted_rows"}
    times = run.layer_times_ms["weighted_rows"]
    separate = separate or backend.flavour.inference.separate_profile_run  # always separate on TensorRT 11
    profiled = launches(engine) - (len(run.trace) if separate else 0)  # the timed run's rows are not profiled
    assert times.shape == (profiled,) and np.all((times > 0.0) & (times < 100.0)), "one report per profiled run"
    assert impl_of(backend._main.context).profiler is None, "the profiler is detached afterwards"
