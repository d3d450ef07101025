"""The measurement loop for OpenVINO, as benchmark_app runs it (openvino/tools/benchmark/benchmark.py).

One stream (the latency hint): a synchronous loop of ``request.infer()`` on inputs bound once. N streams (the
throughput hint, ``--infStreams N``): an AsyncInferQueue of N requests kept full, benchmark_app's
inference-only async loop: wait for an idle request, read the latency of the query it finished, start the
next; stop once --iterations and --duration are both reached and the count is a multiple of N.

Each query's latency is OpenVINO's own (``request.latency``, what benchmark_app reports), placed at the
host time the query was started; Enqueue Time is the host time of the ``infer``/``start_async`` call.
With --dumpProfile/--exportProfile the model is compiled with PERF_COUNT and, after the timed run, one
request runs as many queries again (at most PROFILE_QUERIES) to read each one's per-layer times.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from trtkit.bench.progress import TimeProgress
from trtkit.bench.stats import walltime_ms
from trtkit.bench.trace import BenchRun, empty_trace
from trtkit.platform import log
from trtkit.platform.errors import TrtkitError, UsageError

if TYPE_CHECKING:
    from trtkit.backends.openvino import OpenVINOBackend
    from trtkit.bench.options import BenchOptions

PROFILE_QUERIES = 1000
Stamps = tuple[list[float], list[float], list[float]]  # host start (s), host end of the call (s), latency (ms)


def check_options(options: BenchOptions, backend: OpenVINOBackend) -> None:
    """Refuse what the loop cannot honour; warn, as trtexec does, about CUDA-only flags it ignores."""
    if options.inf_streams < 1:
        raise UsageError(f"--infStreams={options.inf_streams}: must be at least 1")
    if backend.runtime.streams != options.inf_streams:
        raise UsageError(f"--infStreams={options.inf_streams}, but the model was compiled for "
                         f"{backend.runtime.streams} stream(s); open it with the same count")
    if (options.dump_profile or options.export_profile is not None) and not backend.runtime.profile:
        raise UsageError("--dumpProfile/--exportProfile: compile the model with profiling (RuntimeOptions.profile)")
    for flag, given in (("--useCudaGraph", options.use_cuda_graph), ("--noDataTransfers", options.no_data_transfers),
                        ("--useSpinWait", options.use_spin_wait)):
        if given:
            log.warning(f"{flag} has no effect on the openvino backend (no CUDA stream); the flag has been ignored")


def _sync(request: Any, iterations: int, duration_s: float) -> Stamps:
    infer, clock = request.infer, time.perf_counter
    starts: list[float] = []
    ends: list[float] = []
    latencies: list[float] = []
    deadline = clock() + duration_s
    while True:
        t0 = clock()
        infer()
        t1 = clock()
        starts.append(t0)
        ends.append(t1)
        latencies.append(request.latency)
        if t1 >= deadline and len(starts) >= iterations:
            return starts, ends, latencies


def _async(queue: Any, iterations: int, duration_s: float) -> Stamps:
    size, clock = len(queue), time.perf_counter
    running = [-1] * size  # the query each request is running
    starts: list[float] = []
    ends: list[float] = []
    latencies: list[float] = []
    deadline = clock() + duration_s
    while True:
        idle = queue.get_idle_request_id()
        if running[idle] >= 0:
            latencies[running[idle]] = queue[idle].latency
        running[idle] = len(starts)
        t0 = clock()
        queue.start_async()
        t1 = clock()
        starts.append(t0)
        ends.append(t1)
        latencies.append(0.0)
        if t1 >= deadline and len(starts) >= iterations and len(starts) % size == 0:
            break
    queue.wait_all()
    for request, query in enumerate(running):
        if query >= 0:
            latencies[query] = queue[request].latency
    return starts, ends, latencies


def _timed(run: Any, target: Any, iterations: int, duration_s: float) -> Stamps:
    """One loop with the garbage collector paused, as the host loop runs."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return run(target, iterations, duration_s)
    finally:
        if was_enabled:
            gc.enable()


def _to_trace(stamps: Stamps, streams: int) -> np.ndarray:
    """Stamps -> TRACE_DTYPE rows in ms from the first start: enqueue spans the call, compute spans OpenVINO's
    latency from the start, H2D and D2H have zero length."""
    starts, ends, latencies = (np.asarray(s, dtype=np.float64) for s in stamps)
    begin, call_end = (starts - starts[0]) * 1000.0, (ends - starts[0]) * 1000.0
    done = begin + latencies
    trace = empty_trace(len(starts))
    trace["stream"] = np.arange(len(starts)) % streams
    for field, values in (("startEnqMs", begin), ("endEnqMs", call_end), ("startH2DMs", begin), ("endH2DMs", begin),
                          ("startComputeMs", begin), ("endComputeMs", done), ("startD2HMs", done), ("endD2HMs", done)):
        trace[field] = values
    return trace


def _profile(backend: OpenVINOBackend, feeds: Mapping[str, np.ndarray], queries: int) -> dict[str, np.ndarray]:
    """Per-layer ms of ``queries`` synchronous queries, in execution order."""
    request = backend.request(feeds)
    per_layer: dict[str, list[float]] = {}
    for _ in range(queries):
        request.infer()
        for name, ms in backend.layer_times(request):
            per_layer.setdefault(name, []).append(ms)
    return {name: np.asarray(times) for name, times in per_layer.items()}


def measure(backend: OpenVINOBackend, feeds: Mapping[str, np.ndarray], options: BenchOptions) -> BenchRun:
    """Warm up for --warmUp ms, then the timed loop; the trace excludes the warm-up."""
    check_options(options, backend)
    streams = options.inf_streams
    if streams == 1:
        loop, target = _sync, backend.request(feeds)
    else:
        loop, target = _async, backend.queue(feeds, streams)
    if options.warm_up_ms > 0:
        warm = _timed(loop, target, 0, options.warm_up_ms / 1000.0)
        log.info(f"Warmup completed {len(warm[0])} queries over {options.warm_up_ms:g} ms")
    with TimeProgress(options.duration_s, enabled=options.progress):
        stamps = _timed(loop, target, options.iterations, options.duration_s)
    if not stamps[0]:
        raise TrtkitError("the run recorded no timed queries; raise --iterations or --duration")
    trace = _to_trace(stamps, streams)
    layers = None
    if options.dump_profile or options.export_profile is not None:
        queries = min(len(trace), PROFILE_QUERIES)
        log.info(f"Profiling {queries} queries on one request (PERF_COUNT)")
        layers = _profile(backend, feeds, queries)
    outputs = dict(backend.run(feeds)) if options.dump_output else None
    return BenchRun(trace=trace, walltime_ms=walltime_ms(trace), layer_times_ms=layers, outputs=outputs)
