"""trtexec's measurement loop for the TensorRT backend: CUDA events around H2D, compute and D2H.

Follows ``inferenceLoop`` in trtexec's sampleInference.cpp: each stream (--infStreams, one execution
context with its own buffers and stream each) keeps two iterations in flight (trtkit.bench.iteration; with
--useCudaGraph each stream replays a graph of its enqueue). Iterations whose compute starts within --warmUp are run
but dropped; the run goes on until both --iterations and --duration are reached. Device times are placed on
the host time axis by one event whose completion the host observes at a known perf_counter time. Rows
become the trace array after the loop, and the garbage collector is paused while it runs.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from trtkit.bench.iteration import Iteration, Loop, Row
from trtkit.bench.options import resolve
from trtkit.bench.progress import TimeProgress
from trtkit.bench.stats import walltime_ms
from trtkit.bench.trace import BenchRun, empty_trace
from trtkit.platform import cuda
from trtkit.platform.errors import TrtkitError, UsageError

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.backends.tensorrt import TensorRTBackend
    from trtkit.bench.options import BenchOptions
    from trtkit.platform.flavours import Flavour


def _loop(streams: list[Iteration], iterations: int, max_ms: float, warm_up_ms: float, sleep_ms: float = 0.0,
          idle_ms: float = 0.0) -> tuple[np.ndarray, bool]:
    """trtexec's inferenceLoop; the trace of every completed iteration, warm-up included, and whether Ctrl-C
    ended it (then the iterations in flight are drained and kept: they completed). ``sleep_ms``
    (--sleepTime) delays the start of the run; ``idle_ms`` (--idleTime) sleeps after each timed iteration."""
    rows: list[Row] = []
    start = cuda.new_event()
    loops = [s.loop(rows, start) for s in streams]
    query, sync = loops[0][:2] if len(loops) == 1 else _all(loops)
    if sleep_ms:  # trtexec sleeps in a host function on the stream before its start event; trtkit waits
        time.sleep(sleep_ms / 1000.0)  # for that event before its first enqueue, so it sleeps here
    start.record(streams[0].stream)
    start.synchronize()
    cpu_start = time.perf_counter()
    duration, skip, i = 0.0, 0, 0
    interrupted = False
    try:
        while i < iterations + skip or duration < max_ms:
            query()
            computed = sync()
            if computed > duration:
                duration = computed
            if duration < warm_up_ms:
                skip += 1 if duration else 0
            elif idle_ms:
                time.sleep(idle_ms / 1000.0)
            i += 1
    except KeyboardInterrupt:
        interrupted = True
    for _, _, drain in loops:
        drain()
    return _trace(rows, cpu_start), interrupted


def _all(loops: list[Loop]) -> tuple[Callable[[], None], Callable[[], float]]:
    """Several streams' query and sync as one: every stream queried, then every one synced (trtexec's
    order); sync gives the latest compute start."""
    queries, syncs = [loop[0] for loop in loops], [loop[1] for loop in loops]

    def query() -> None:
        for each in queries:
            each()

    def sync() -> float:
        return max([each() for each in syncs])

    return query, sync


def _trace(rows: list[Row], cpu_start: float) -> np.ndarray:
    """The rows as trtexec's trace: host times in ms since ``cpu_start``, H2D ending where compute starts
    and D2H starting where it ends (the copies share the compute stream)."""
    raw = np.array(rows, dtype=np.float64).reshape(-1, 7)
    trace = empty_trace(len(raw))
    trace["stream"] = raw[:, 0]
    trace["startEnqMs"] = (raw[:, 1] - cpu_start) * 1000.0
    trace["endEnqMs"] = (raw[:, 2] - cpu_start) * 1000.0
    columns = {"startH2DMs": 3, "endH2DMs": 4, "startComputeMs": 4, "endComputeMs": 5, "startD2HMs": 5, "endD2HMs": 6}
    for field, column in columns.items():
        trace[field] = raw[:, column]
    return trace


def _timed(streams: list[Iteration], options: BenchOptions) -> tuple[np.ndarray, bool]:
    """One run of the loop with the collector paused and the progress bar drawn from the clock; --duration=-1
    runs until Ctrl-C (trtexec)."""
    max_ms = math.inf if options.duration_s < 0 else options.duration_s * 1000.0 + options.warm_up_ms
    cuda_error, was_enabled = cuda.driver().Error, gc.isenabled()
    gc.disable()
    try:
        with TimeProgress(options.duration_s + options.warm_up_ms / 1000.0, enabled=options.progress):
            return _loop(streams, max(options.iterations, 1), max_ms, options.warm_up_ms, options.sleep_time_ms,
                         options.idle_time_ms)
    except cuda_error as e:  # a record, copy or event read failed: one line, CUDA's words
        failure = TrtkitError(f"CUDA failed in the benchmark loop: {e}")
    except TrtkitError as e:  # TensorRT refused an enqueue
        failure = e
    finally:
        if was_enabled:
            gc.enable()
    # Raised afresh, outside the handlers, so that the traceback holds no frame of the loop and no chained
    # pycuda error: the loop's frames and closures keep its events (which pycuda destroys with their last
    # reference, and only while the context lives) and the context.
    raise failure.with_traceback(None)


def _make_profiler(flavour: Flavour, times: dict[str, list[float]]) -> trt.IProfiler:
    """An IProfiler (TensorRT calls report_layer_time after each profiled enqueue) keeping every report."""
    trt = flavour.module

    class _Profiler(trt.IProfiler):
        def __init__(self) -> None:
            trt.IProfiler.__init__(self)

        def report_layer_time(self, layer_name: str, ms: float) -> None:
            times.setdefault(layer_name, []).append(ms)

    return _Profiler()


def _check(options: BenchOptions) -> None:
    if options.iterations < 0 or (options.duration_s < 0 and options.duration_s != -1) or options.warm_up_ms < 0:
        raise UsageError("--iterations and --warmUp must be >= 0, --duration >= 0 or -1 (run until Ctrl-C)")
    if options.inf_streams < 1:
        raise UsageError(f"--infStreams={options.inf_streams}: must be at least 1")


def measure(backend: TensorRTBackend, feeds: Mapping[str, np.ndarray], options: BenchOptions) -> BenchRun:
    """Benchmark ``backend`` on ``feeds`` as trtexec does; the trace excludes the warm-up. Switches left None
    take the defaults of the backend's flavour (trtkit.bench.benchmark resolves them first, with warnings)."""
    options = resolve(options, backend.flavour.inference, warn=False)
    _check(options)
    profile = options.dump_profile or options.export_profile is not None
    profile_in_timed_run = profile and not options.separate_profile_run and not options.use_cuda_graph
    with backend.executions(feeds, options.inf_streams) as executions:
        streams: list[Iteration] = []
        context: trt.IExecutionContext | None = executions[0].context
        assert context is not None
        times: dict[str, list[float]] = {}
        profiler: trt.IProfiler | None = _make_profiler(backend.flavour, times) if profile else None
        try:
            streams.extend(Iteration(i, e, options, backend) for i, e in enumerate(executions))
            if not streams[0].transfers:
                for s in streams:
                    s.upload()
            if profile_in_timed_run:
                context.profiler = profiler
            elif options.use_cuda_graph:
                for s in streams:
                    s.capture()
            trace, interrupted = _timed(streams, options)
            if profile and not profile_in_timed_run and not interrupted:
                interrupted = _profile_run(streams[0], options, context, profiler)
            layer_info = None
            if options.export_layer_info is not None and not interrupted:
                from trtkit.builder.layer_info import inspect_engine

                # The context that ran, shapes set: the inspector reports the dimensions the profile measured,
                # and the profiler and the inspector name the same engine's layers.
                layer_info = inspect_engine(backend.flavour, backend.engine, context)
            outputs = None
            if options.wants_outputs and not interrupted:
                if not streams[0].transfers:
                    streams[0].download()
                outputs = {name: array.copy() for name, array in executions[0].outputs().items()}
        finally:
            if profiler is not None:
                context.profiler = None
            for s in streams:
                s.close()
    trace = trace[trace["startComputeMs"] >= options.warm_up_ms]
    if len(trace) == 0 and interrupted:
        return BenchRun(trace=trace, walltime_ms=0.0, interrupted=True)
    if len(trace) == 0:
        raise TrtkitError("the benchmark completed no iteration after the warm-up; raise --iterations or --duration")
    origin = min(float(trace["startEnqMs"].min()), float(trace["startH2DMs"].min()))
    for field in trace.dtype.names[1:]:
        trace[field] -= origin
    trace = trace[np.argsort(trace["startH2DMs"], kind="stable")]
    layer_times = {name: np.asarray(ms) for name, ms in times.items()} if profiler is not None else None
    return BenchRun(trace=trace, walltime_ms=walltime_ms(trace), layer_times_ms=layer_times, outputs=outputs,
                    layer_info=layer_info, interrupted=interrupted)


def _profile_run(stream: Iteration, options: BenchOptions, context: trt.IExecutionContext,
                 profiler: trt.IProfiler) -> bool:
    """trtexec's separate profile run: the same loop on the first stream, profiler attached, no graph
    (a graph replay does not call the profiler). True when Ctrl-C ended it."""
    stream.enqueue = stream.execute
    context.profiler = profiler
    return _timed([stream], options)[1]
