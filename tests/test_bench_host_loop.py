"""The host timing loop on real ONNX Runtime runs: trtexec's stopping rule, the trace it fills, several
streams, growth past its first allocation, errors from the model, and the flags it cannot honour.

No assertion is about speed: counts, orderings and the rule "at least --iterations AND --duration" are.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pytest

from trtkit.backends.onnxruntime import OnnxRuntimeBackend
from trtkit.bench.host_loop import MIN_CAPACITY, measure
from trtkit.bench.options import BenchOptions
from trtkit.bench.stats import timings
from trtkit.platform.errors import TrtkitError, UsageError


@pytest.fixture
def backend(zoo_mnist8: Path) -> OnnxRuntimeBackend:
    return OnnxRuntimeBackend(zoo_mnist8, intra_op_threads=1)


@pytest.fixture
def feeds() -> dict[str, np.ndarray]:
    return {"Input3": np.random.default_rng(0).uniform(-1, 1, (1, 1, 28, 28)).astype(np.float32)}


def test_iteration_bound_run_gives_exactly_the_iterations(backend: OnnxRuntimeBackend, feeds: dict) -> None:
    run = measure(backend, feeds, BenchOptions(warm_up_ms=0, iterations=50, duration_s=0, progress=False))
    trace = run.trace
    assert len(trace) == 50
    assert set(trace["stream"]) == {0}
    assert trace["startH2DMs"][0] == 0.0  # times count from the first timed query
    assert np.all(np.diff(trace["startEnqMs"]) > 0)
    d = timings(trace)
    assert np.all(d["h2d"] == 0) and np.all(d["d2h"] == 0)  # one host phase: no transfers
    np.testing.assert_array_equal(d["compute"], d["enqueue"])
    assert np.all(d["latency"] > 0)
    assert np.all(trace["startEnqMs"][1:] >= trace["endEnqMs"][:-1])  # one query at a time
    assert run.walltime_ms == pytest.approx(trace["endD2HMs"][-1])
    assert run.layer_times_ms is None and run.outputs is None


def test_duration_bound_run_lasts_the_duration_and_grows_its_arrays(backend: OnnxRuntimeBackend, feeds: dict
                                                                     ) -> None:
    """No warm-up, so the arrays start at MIN_CAPACITY; a quarter second of MNIST overflows that."""
    run = measure(backend, feeds, BenchOptions(warm_up_ms=0, iterations=1, duration_s=0.25, progress=False))
    trace = run.trace
    if len(trace) <= MIN_CAPACITY:
        pytest.skip(f"only {len(trace)} queries in 0.25 s on this machine: the growth path was not reached")
    # The deadline counts from the stream's start, a few microseconds before the first query (time 0).
    assert trace["endD2HMs"][-1] >= 250.0 - 0.1  # ran until the duration was reached...
    assert trace["endD2HMs"][-2] < 250.0  # ...and stopped with the first query to end after it
    assert np.all(np.diff(trace["startEnqMs"]) > 0)  # no stale rows from the doubled arrays
    assert np.all(timings(trace)["latency"] > 0)


def test_warm_up_is_not_in_the_trace(backend: OnnxRuntimeBackend, feeds: dict, capsys: pytest.CaptureFixture
                                     ) -> None:
    run = measure(backend, feeds, BenchOptions(warm_up_ms=30, iterations=5, duration_s=0, progress=False))
    assert len(run.trace) == 5
    assert "[I] Warmup completed" in capsys.readouterr().err


def test_streams_each_reach_the_iterations(backend: OnnxRuntimeBackend, feeds: dict) -> None:
    run = measure(backend, feeds, BenchOptions(warm_up_ms=0, iterations=20, duration_s=0, inf_streams=3,
                                               progress=False))
    streams, counts = np.unique(run.trace["stream"], return_counts=True)
    assert list(streams) == [0, 1, 2]
    assert all(c >= 20 for c in counts)
    assert np.all(np.diff(run.trace["startH2DMs"]) >= 0)  # merged and sorted by start, as trtexec's trace


def test_dump_output_returns_the_models_outputs(backend: OnnxRuntimeBackend, feeds: dict) -> None:
    run = measure(backend, feeds, BenchOptions(warm_up_ms=0, iterations=2, duration_s=0, dump_output=True,
                                               progress=False))
    assert run.outputs is not None
    np.testing.assert_array_equal(run.outputs["Plus214_Output_0"], backend.run(feeds)["Plus214_Output_0"])


class FailingBackend(OnnxRuntimeBackend):
    """Real ONNX Runtime runs that start failing after ``ok`` calls, as a model failing mid-run would."""

    ok = 5

    def bind(self, feeds: Mapping[str, np.ndarray]) -> Callable[[], object]:
        run = super().bind(feeds)
        calls = iter(range(1 << 30))

        def call() -> object:
            if next(calls) >= self.ok:
                raise TrtkitError(f"{self.path}: ONNX Runtime failed to run: injected")
            return run()

        return call


@pytest.mark.parametrize("streams", [1, 2])
def test_model_errors_surface_and_the_collector_comes_back(zoo_mnist8: Path, feeds: dict, streams: int) -> None:
    assert gc.isenabled()
    with pytest.raises(TrtkitError, match="injected"):
        measure(FailingBackend(zoo_mnist8), feeds, BenchOptions(warm_up_ms=0, iterations=100, duration_s=0,
                                                                inf_streams=streams, progress=False))
    assert gc.isenabled()


def test_device_only_flags_warn_and_are_ignored(backend: OnnxRuntimeBackend, feeds: dict,
                                                capsys: pytest.CaptureFixture) -> None:
    options = BenchOptions(warm_up_ms=0, iterations=3, duration_s=0, use_cuda_graph=True, no_data_transfers=True,
                           progress=False)
    assert len(measure(backend, feeds, options).trace) == 3
    err = capsys.readouterr().err
    assert "[W] --useCudaGraph has no effect on the onnxruntime backend" in err
    assert "[W] --noDataTransfers has no effect on the onnxruntime backend" in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (BenchOptions(export_profile=Path("p.json")), "--exportProfile: the onnxruntime backend has no per-layer"),
        (BenchOptions(inf_streams=0), "--infStreams=0"),
        (BenchOptions(iterations=-1), "must be >= 0"),
    ],
)
def test_impossible_options_are_refused_before_running(backend: OnnxRuntimeBackend, feeds: dict,
                                                       options: BenchOptions, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        measure(backend, feeds, options)
