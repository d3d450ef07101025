"""trtexec's measurement loop for the TensorRT backend: CUDA events around H2D, compute and D2H.

Follows ``inferenceLoop`` in trtexec's sampleInference.cpp: each stream (--infStreams, one execution
context with its own buffers and stream each) keeps two iterations in flight; per iteration it records
events around the input copies, the enqueue (``execute_async_v3``, or the replay of a CUDA graph that
captured exactly that enqueue, as trtexec captures it) and the output copies, and the host clock around
the enqueue call. Iterations whose compute starts within --warmUp are run but dropped; the run goes on
until both --iterations and --duration are reached. Device times are placed on the host time axis by one
event whose completion the host observes at a known perf_counter time.

The hot loop allocates nothing: events are a preallocated ring per stream, trace rows go into a
preallocated array (doubled outside the per-iteration path when full), and the garbage collector is
paused while it runs.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from trtkit import cuda, log
from trtkit.bench.progress import TimeProgress
from trtkit.bench.stats import walltime_ms
from trtkit.bench.trace import BenchRun, empty_trace
from trtkit.errors import TrtkitError, UsageError

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.backends.tensorrt import Execution, TensorRTBackend
    from trtkit.bench.options import BenchOptions
    from trtkit.trt import Flavour

DEPTH = 2  # iterations in flight per stream (trtexec's default double buffering)
MIN_CAPACITY = 1024
H2D_START, COMPUTE_START, COMPUTE_END, D2H_END = range(4)


class _Stream:
    """One execution's events, enqueue function and in-flight bookkeeping."""

    def __init__(self, index: int, execution: Execution, options: BenchOptions, backend: TensorRTBackend) -> None:
        self.index = index
        self.execution = execution
        self.stream = execution.stream
        self.transfers = not options.no_data_transfers
        self.spin = options.use_spin_wait
        self.ins, self.outs = execution.copies_in(), execution.copies_out()
        self.events = [[cuda.new_event(not self.spin) for _ in range(4)] for _ in range(DEPTH)]
        self.enqueue_times = [[0.0, 0.0] for _ in range(DEPTH)]
        self.active = [False] * DEPTH
        self.next = 0
        self.backend = backend
        self.execute = execution.enqueue_function()
        self.enqueue: Callable[[], bool] = self.execute
        self.graph: cuda.CudaGraph | None = None
        driver = cuda.driver()
        self.htod, self.dtoh = driver.memcpy_htod_async, driver.memcpy_dtoh_async

    def upload(self) -> None:
        """Copy the inputs once and wait (--noDataTransfers runs on what is already on the device)."""
        for device, host in self.ins:
            self.htod(device, host, self.stream)
        self.stream.synchronize()

    def download(self) -> None:
        for host, device in self.outs:
            self.dtoh(host, device, self.stream)
        self.stream.synchronize()

    def capture(self) -> None:
        """trtexec's createEnqueueFunction: enqueue once (so that capture sees no first-run set-up), then
        capture one enqueue into a graph; fall back to plain enqueues with a warning if that fails."""
        self._checked(self.execute())
        self.stream.synchronize()
        self.graph = cuda.CudaGraph.capture(self.stream, self.execute)
        if self.graph is None:
            log.warning("The engine contains operations that are not permitted under CUDA graph capture mode; "
                        "--useCudaGraph has been ignored, inference runs without CUDA graph launch")
        else:
            self.enqueue = self.graph.launch

    def _checked(self, ok: bool) -> None:
        if not ok:
            raise TrtkitError(f"TensorRT could not enqueue the engine: {self.backend.last_error()}")

    def query(self) -> None:
        """Enqueue one iteration into the next free slot (trtexec's Iteration::query)."""
        slot = self.next
        if self.active[slot]:
            return
        events, stream = self.events[slot], self.stream
        if self.transfers:
            events[H2D_START].record(stream)
            for device, host in self.ins:
                self.htod(device, host, stream)
        events[COMPUTE_START].record(stream)
        times = self.enqueue_times[slot]
        times[0] = time.perf_counter()
        ok = self.enqueue()
        times[1] = time.perf_counter()
        if not ok:
            self._checked(ok)
        events[COMPUTE_END].record(stream)
        if self.transfers:
            for host, device in self.outs:
                self.dtoh(host, device, stream)
            events[D2H_END].record(stream)
        self.active[slot] = True
        self.next = DEPTH - 1 - slot

    def sync(self, trace: np.ndarray, row: int, start: Any) -> float:
        """Wait for the oldest in-flight iteration and write its trace row; its compute start (ms since
        ``start``), or -1.0 when nothing was in flight (trtexec's Iteration::sync)."""
        slot = self.next
        if not self.active[slot]:
            return -1.0
        events = self.events[slot]
        last = events[D2H_END] if self.transfers else events[COMPUTE_END]
        if self.spin:
            while not last.query():
                pass
        else:
            last.synchronize()
        compute_start = events[COMPUTE_START].time_since(start)
        compute_end = events[COMPUTE_END].time_since(start)
        if self.transfers:
            h2d_start, d2h_end = events[H2D_START].time_since(start), events[D2H_END].time_since(start)
        else:
            h2d_start, d2h_end = compute_start, compute_end
        enq = self.enqueue_times[slot]
        trace[row] = (self.index, enq[0], enq[1], h2d_start, compute_start, compute_start, compute_end,
                      compute_end, d2h_end)
        self.active[slot] = False
        return compute_start

    def close(self) -> None:
        """Destroy the graph and events, and drop every reference to the context (so that closing the
        execution destroys it)."""
        if self.graph is not None:
            self.graph.close()
            self.graph = None
        self.events = []
        del self.execute, self.enqueue, self.execution


def _loop(streams: list[_Stream], iterations: int, max_ms: float, warm_up_ms: float, capacity: int) -> np.ndarray:
    """trtexec's inferenceLoop; the trace rows of every completed iteration, warm-up included, with host
    times in perf_counter seconds and device times in ms since the start event (converted by the caller)."""
    first = streams[0]
    start = cuda.new_event(True)
    start.record(first.stream)
    start.synchronize()
    cpu_start = time.perf_counter()
    trace = empty_trace(capacity)
    row, duration, skip, i = 0, 0.0, 0, 0
    width = len(streams)
    while i < iterations + skip or duration < max_ms:
        for s in streams:
            s.query()
        if row + width > len(trace):
            trace = np.concatenate([trace, empty_trace(len(trace))])
        for s in streams:
            computed = s.sync(trace, row, start)
            if computed >= 0.0:
                row += 1
                duration = max(duration, computed)
        if duration < warm_up_ms and duration:
            skip += 1
        i += 1
    for s in streams:
        for _ in range(DEPTH):
            if row == len(trace):
                trace = np.concatenate([trace, empty_trace(len(trace))])
            if s.sync(trace, row, start) >= 0.0:
                row += 1
            s.next = DEPTH - 1 - s.next
    trace = trace[:row]
    trace["startEnqMs"] = (trace["startEnqMs"] - cpu_start) * 1000.0
    trace["endEnqMs"] = (trace["endEnqMs"] - cpu_start) * 1000.0
    return trace


def _timed(streams: list[_Stream], options: BenchOptions) -> np.ndarray:
    """One run of the loop with the collector paused and the progress bar drawn from the clock."""
    iterations = max(options.iterations, 1)
    capacity = max(MIN_CAPACITY, 2 * len(streams) * (iterations + DEPTH))
    max_ms = options.duration_s * 1000.0 + options.warm_up_ms
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with TimeProgress(options.duration_s + options.warm_up_ms / 1000.0, enabled=options.progress):
            return _loop(streams, iterations, max_ms, options.warm_up_ms, capacity)
    finally:
        if was_enabled:
            gc.enable()


class LayerTimes:
    """Per-layer sums of the times TensorRT reports (every layer once per profiled run)."""

    def __init__(self) -> None:
        self.total_ms: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def add(self, layer: str, ms: float) -> None:
        self.total_ms[layer] = self.total_ms.get(layer, 0.0) + ms
        self.calls[layer] = self.calls.get(layer, 0) + 1

    def means(self) -> dict[str, float]:
        """Mean ms per layer per run, in the order TensorRT ran them."""
        return {layer: total / self.calls[layer] for layer, total in self.total_ms.items()}


def _make_profiler(flavour: Flavour, times: LayerTimes) -> trt.IProfiler:
    """An IProfiler (TensorRT calls report_layer_time after each profiled enqueue) feeding ``times``."""
    trt = flavour.module

    class _Profiler(trt.IProfiler):
        def __init__(self) -> None:
            trt.IProfiler.__init__(self)

        def report_layer_time(self, layer_name: str, ms: float) -> None:
            times.add(layer_name, ms)

    return _Profiler()


def _check(options: BenchOptions) -> None:
    if options.iterations < 0 or options.duration_s < 0 or options.warm_up_ms < 0:
        raise UsageError("--iterations, --duration and --warmUp must be >= 0 (trtexec's endless --duration=-1 "
                         "is not supported)")
    if options.inf_streams < 1:
        raise UsageError(f"--infStreams={options.inf_streams}: must be at least 1")


def measure(backend: TensorRTBackend, feeds: Mapping[str, np.ndarray], options: BenchOptions) -> BenchRun:
    """Benchmark ``backend`` on ``feeds`` as trtexec does; the trace excludes the warm-up."""
    _check(options)
    profile = options.dump_profile or options.export_profile is not None
    profile_in_timed_run = profile and not options.separate_profile_run and not options.use_cuda_graph
    with backend.executions(feeds, options.inf_streams) as executions:
        streams = [_Stream(i, e, options, backend) for i, e in enumerate(executions)]
        context: trt.IExecutionContext | None = executions[0].context
        assert context is not None
        times = LayerTimes()
        profiler: trt.IProfiler | None = _make_profiler(backend.flavour, times) if profile else None
        try:
            if not streams[0].transfers:
                for s in streams:
                    s.upload()
            if profile_in_timed_run:
                context.profiler = profiler
            elif options.use_cuda_graph:
                for s in streams:
                    s.capture()
            trace = _timed(streams, options)
            if profile and not profile_in_timed_run:
                _profile_run(streams[0], options, context, profiler)
            outputs = None
            if options.dump_output:
                if not streams[0].transfers:
                    streams[0].download()
                outputs = {name: array.copy() for name, array in executions[0].outputs().items()}
        finally:
            if profiler is not None:
                context.profiler = None
            for s in streams:
                s.close()
    trace = trace[trace["startComputeMs"] >= options.warm_up_ms]
    if len(trace) == 0:
        raise TrtkitError("the benchmark completed no iteration after the warm-up; raise --iterations or --duration")
    origin = min(float(trace["startEnqMs"].min()), float(trace["startH2DMs"].min()))
    for field in trace.dtype.names[1:]:
        trace[field] -= origin
    trace = trace[np.argsort(trace["startH2DMs"], kind="stable")]
    layer_times = times.means() if profiler is not None else None
    return BenchRun(trace=trace, walltime_ms=walltime_ms(trace), layer_times_ms=layer_times, outputs=outputs)


def _profile_run(stream: _Stream, options: BenchOptions, context: trt.IExecutionContext,
                 profiler: trt.IProfiler) -> None:
    """trtexec's separate profile run: the same loop on the first stream, profiler attached, no graph
    (a graph replay does not call the profiler)."""
    stream.enqueue = stream.execute
    context.profiler = profiler
    _timed([stream], options)
