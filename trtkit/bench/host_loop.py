"""trtexec's measurement loop for backends without device phases (ONNX Runtime): host clocks only.

Warm up for ``--warmUp`` ms, then run until at least ``--iterations`` queries AND ``--duration`` seconds
are done (trtexec's rule). The hot loop does only this per query: clock, call the backend's bound
callable, clock, store both stamps into preallocated arrays, compare against the deadline. The garbage
collector is paused while it runs. ``--infStreams N`` runs N bound callables in N threads (ONNX Runtime
releases the GIL while it computes), each required to reach the iteration count, as trtexec's streams are.
"""

from __future__ import annotations

import gc
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from trtkit.bench.options import given_switches
from trtkit.bench.progress import TimeProgress
from trtkit.bench.stats import walltime_ms
from trtkit.bench.trace import BenchRun, empty_trace
from trtkit.platform import log
from trtkit.platform.errors import UsageError

if TYPE_CHECKING:
    from trtkit.backends.base import Backend
    from trtkit.bench.options import BenchOptions

MIN_CAPACITY = 1024

Stamps = tuple[np.ndarray, np.ndarray]


def check_options(options: BenchOptions, backend_name: str) -> None:
    """Refuse what a host-timed run cannot give; warn about device-only flags it ignores, as trtexec warns
    when it cannot honour --useCudaGraph."""
    if options.iterations < 0 or (options.duration_s < 0 and options.duration_s != -1) or options.warm_up_ms < 0:
        raise UsageError("--iterations and --warmUp must be >= 0, --duration >= 0 or -1 (run until Ctrl-C)")
    if options.inf_streams < 1:
        raise UsageError(f"--infStreams={options.inf_streams}: must be at least 1")
    if options.export_profile is not None:
        raise UsageError(f"--exportProfile: the {backend_name} backend has no per-layer profiler; "
                         "profile a TensorRT engine instead")
    if options.export_layer_info is not None:
        raise UsageError(f"--exportLayerInfo: the {backend_name} backend has no engine inspector; "
                         "use it with a TensorRT plan (or trtkit build --exportLayerInfo)")
    ignored = given_switches(options)
    ignored += ["--dumpProfile"] if options.dump_profile else []
    ignored += ["--sleepTime"] if options.sleep_time_ms else []
    for flag in ignored:
        log.warning(f"{flag} has no effect on the {backend_name} backend (timed on the host, no CUDA "
                    "stream or layer profiler); the flag has been ignored")


def _fill(call: Callable[[], object], starts: np.ndarray, ends: np.ndarray, first: int, last_required: int,
          deadline: float, stop: list[bool], idle_s: float = 0.0) -> int:
    """The hot loop: stamps from index ``first`` on; returns the count once both conditions hold, when
    ``stop[0]`` is set (Ctrl-C in another stream) or the capacity when the arrays are full. Ctrl-C here
    sets ``stop[0]`` and returns the queries that completed. ``idle_s`` (--idleTime) sleeps after each
    query, outside its stamps."""
    clock, sleep = time.perf_counter, time.sleep
    i = first
    try:
        for i in range(first, len(starts)):
            t0 = clock()
            call()
            t1 = clock()
            starts[i] = t0
            ends[i] = t1
            if (t1 >= deadline and i >= last_required) or stop[0]:
                return i + 1
            if idle_s:
                sleep(idle_s)
    except KeyboardInterrupt:
        stop[0] = True
        return i  # query i may be half-stamped: leave it out
    return len(starts)


def _run_stream(call: Callable[[], object], iterations: int, duration_s: float, capacity: int,
                stop: list[bool], idle_s: float = 0.0) -> Stamps:
    """One stream: at least ``iterations`` calls and ``duration_s`` seconds (-1: until Ctrl-C, as trtexec);
    arrays double when full."""
    starts, ends = np.empty(capacity), np.empty(capacity)
    deadline = math.inf if duration_s < 0 else time.perf_counter() + duration_s
    count = 0
    while True:
        count = _fill(call, starts, ends, count, iterations - 1, deadline, stop, idle_s)
        if count < len(starts) or stop[0] or (ends[count - 1] >= deadline and count >= iterations):
            return starts[:count], ends[:count]
        starts = np.concatenate([starts, np.empty(len(starts))])
        ends = np.concatenate([ends, np.empty(len(ends))])


def _run_streams(calls: list[Callable[[], object]], iterations: int, duration_s: float, capacity: int,
                 stop: list[bool], idle_s: float = 0.0) -> list[Stamps]:
    """All streams at once, the garbage collector paused; thread errors re-raised here. Ctrl-C sets
    ``stop[0]``: every stream ends after its current query and the completed ones are returned."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        if len(calls) == 1:
            return [_run_stream(calls[0], iterations, duration_s, capacity, stop, idle_s)]
        results: list[Stamps | None] = [None] * len(calls)
        errors: list[BaseException] = []

        def work(index: int) -> None:
            try:
                results[index] = _run_stream(calls[index], iterations, duration_s, capacity, stop, idle_s)
            except BaseException as e:  # re-raised in the caller's thread
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(calls))]
        with _stop_on_sigint(stop):
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        if errors:
            raise errors[0]
        return [r for r in results if r is not None and len(r[0])]
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _stop_on_sigint(stop: list[bool]) -> Iterator[None]:
    """While streams run in threads, Ctrl-C sets ``stop[0]`` instead of raising KeyboardInterrupt in the main
    thread: raised there, it could cut a thread's start or join short and leave a stream running inside
    ONNX Runtime while the process exits, which aborts it ("terminate called without an active exception")."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *_: stop.__setitem__(0, True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _to_trace(stamps: list[Stamps]) -> np.ndarray:
    """Stamps (s) -> TRACE_DTYPE rows in ms from the first start, sorted by start like trtexec's trace.
    The run is one host phase: enqueue and compute both span it; H2D and D2H have zero length."""
    origin = min(float(s[0]) for s, _ in stamps)
    trace = empty_trace(sum(len(s) for s, _ in stamps))
    row = 0
    for stream, (starts, ends) in enumerate(stamps):
        block = trace[row : row + len(starts)]
        begin, end = (starts - origin) * 1000.0, (ends - origin) * 1000.0
        block["stream"] = stream
        for field in ("startEnqMs", "startH2DMs", "endH2DMs", "startComputeMs"):
            block[field] = begin
        for field in ("endEnqMs", "endComputeMs", "startD2HMs", "endD2HMs"):
            block[field] = end
        row += len(starts)
    return trace[np.argsort(trace["startH2DMs"], kind="stable")]


def measure(backend: Backend, feeds: Mapping[str, np.ndarray], options: BenchOptions) -> BenchRun:
    """Warm up, then time ``backend.bind(feeds)`` per trtexec's rules; the trace excludes the warm-up.
    After Ctrl-C the run holds the queries that completed and ``interrupted`` is set."""
    check_options(options, backend.name)
    calls = [backend.bind(feeds) for _ in range(options.inf_streams)]
    capacity = max(options.iterations, MIN_CAPACITY)
    per_query_s = 0.0
    stop = [False]
    if options.warm_up_ms > 0:
        warm = _run_streams(calls, 0, options.warm_up_ms / 1000.0, MIN_CAPACITY, stop)
        if stop[0]:
            return BenchRun(trace=empty_trace(0), walltime_ms=0.0, interrupted=True)
        starts, ends = warm[0]
        per_query_s = float(ends[-1] - starts[0]) / len(starts)
        if per_query_s > 0 and options.duration_s > 0:
            capacity = max(capacity, math.ceil(options.duration_s / per_query_s * 1.25) + 64)
        log.info(f"Warmup completed {sum(len(s) for s, _ in warm)} queries over {options.warm_up_ms:g} ms")
    if options.duration_s < 0:
        log.info("--duration=-1: running until interrupted (Ctrl-C)")
    expected_s = max(options.duration_s, options.iterations * per_query_s)
    with TimeProgress(expected_s, enabled=options.progress):
        stamps = _run_streams(calls, options.iterations, options.duration_s, capacity, stop,
                              options.idle_time_ms / 1000.0)
    if not stamps:
        return BenchRun(trace=empty_trace(0), walltime_ms=0.0, interrupted=True)
    trace = _to_trace(stamps)
    outputs = dict(backend.run(feeds)) if options.wants_outputs and not stop[0] else None
    return BenchRun(trace=trace, walltime_ms=walltime_ms(trace), outputs=outputs, interrupted=stop[0])
