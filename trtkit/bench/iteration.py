"""One stream of trtexec's measurement loop: the iterations in flight on it, their events and graph.

Per iteration it records events around the input copies, the enqueue (``execute_async_v3``) and the output
copies, and the host clock around the enqueue call (trtexec's Iteration in sampleInference.cpp). With
--useCudaGraph the graph holds the enqueue alone and the events are recorded from the host around each
replay, as trtexec's createEnqueueFunction and inferenceLoop do, so the enqueue time is the host time of one
cuGraphLaunch; where the engine cannot be captured it runs without a graph, with trtexec's warnings. An
engine with data-dependent output shapes is never captured (TensorRT sizes those outputs by synchronizing
inside the enqueue, which capture forbids): its outputs are copied back after each enqueue, as many bytes
as TensorRT reported.
(Capturing the event records as graph nodes as well was measured and dropped: docs/gpu-evidence.md.)

The per-iteration path is pycuda's (events and copies; cuda-python only launches the graph): on the H200
machine pycuda's elapsed-time reads and queries cost less than cuda-python's and its records as much
(docs/benchmarks.md), ctypes more (docs/gpu-evidence.md). pycuda raises on any failed call, so no time is
ever read from a failed one (the loop turns the error into one line); the trace is read from each
slot's events as trtexec's sync does, the elapsed time of the last event first, waiting only when it is not
ready yet. The calls come from one closure per phase that holds what it uses in local variables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trtkit.platform import cuda, cuda_driver, log
from trtkit.platform.errors import TrtkitError

if TYPE_CHECKING:
    from trtkit.backends.tensorrt import Execution, TensorRTBackend
    from trtkit.bench.options import BenchOptions

DEPTH = 2  # iterations in flight per stream (trtexec's default double buffering)
H2D_START, COMPUTE_START, COMPUTE_END, D2H_END = range(4)
Row = tuple[float, ...]  # stream, enqueue start/end (perf_counter s), H2D start, compute start/end, D2H end (ms)
Loop = tuple[Callable[[], None], Callable[[], float], Callable[[], None]]  # query, sync, drain


class Iteration:
    """One stream's iterations, trtexec's Iteration: the execution's copies, enqueue function and events, a
    ring of DEPTH slots, and with --useCudaGraph the graph of the enqueue."""

    def __init__(self, index: int, execution: Execution, options: BenchOptions, backend: TensorRTBackend) -> None:
        self.index = index
        self.execution = execution
        self.stream = execution.stream
        self.transfers = not options.no_data_transfers
        self.spin = options.use_spin_wait
        self.ins, self.outs = execution.copies_in(), execution.copies_out()
        self.events = [tuple(cuda.new_event(not self.spin) for _ in range(4)) for _ in range(DEPTH)]
        self.enqueue_times = [(0.0, 0.0)] * DEPTH
        self.backend = backend
        self.execute = execution.enqueue_function()
        self.enqueue: Callable[[], bool] = self.execute
        self.graph: cuda_driver.CudaGraph | None = None
        self.dynamic = execution.dynamic  # outputs TensorRT sizes during each enqueue (None: none)
        driver = cuda.driver()
        self.htod, self.dtoh = driver.memcpy_htod_async, driver.memcpy_dtoh_async

    def upload(self) -> None:
        """Copy the inputs once and wait (--noDataTransfers runs on what is already on the device)."""
        for device, host in self.ins:
            self.htod(device, host, self.stream)
        self.stream.synchronize()

    def download(self) -> None:
        for host, device in self.outs + (self.dynamic.copies_out() if self.dynamic is not None else []):
            self.dtoh(host, device, self.stream)
        self.stream.synchronize()

    def capture(self) -> None:
        """--useCudaGraph: enqueue once (so that capture sees no first-run set-up), then capture the enqueue
        alone (trtexec's createEnqueueFunction); where that fails, plain enqueues with trtexec's warnings."""
        if self.dynamic is not None:
            _not_captured(f"outputs {', '.join(self.dynamic.tensors)} have data-dependent shapes, which TensorRT "
                          "sizes by synchronizing inside each enqueue")
            return
        if not self.execute():
            raise self.enqueue_failed()
        self.stream.synchronize()
        self.graph = cuda_driver.CudaGraph.capture(self.stream, self.execute)
        if self.graph is None:
            _not_captured("the enqueue failed or was invalidated under capture")
            return
        self.enqueue = self.graph.launch

    def enqueue_failed(self) -> TrtkitError:
        cause = self.dynamic.failure if self.dynamic is not None and self.dynamic.failure else None
        return TrtkitError(f"TensorRT could not enqueue the engine: {cause or self.backend.last_error()}")

    def loop(self, rows: list[Row], start: Any) -> Loop:
        """The loop's three functions for this stream: query (enqueue one iteration into the next free slot:
        events around H2D, the enqueue or graph launch and D2H, the host clock around the enqueue; trtexec's
        Iteration::query), sync (wait for the oldest slot and append its row; its compute start in ms since
        the ``start`` event, or -1.0 when nothing was in flight) and drain (sync every slot left)."""
        ins, outs, htod, dtoh, stream = self.ins, self.outs, self.htod, self.dtoh, self.stream
        transfers, spin, dynamic, index, times = self.transfers, self.spin, self.dynamic, self.index, self.enqueue_times
        enqueue, failed, clock, events = self.enqueue, self.enqueue_failed, time.perf_counter, self.events
        records = [tuple(event.record for event in slot) for slot in events]
        last = D2H_END if transfers else COMPUTE_END
        # pycuda raises its RuntimeError for CUDA_ERROR_NOT_READY; should it be another error, the wait or the
        # second read raises it again.
        not_ready = cuda.driver().RuntimeError
        append = rows.append
        active = [False] * DEPTH
        head = 0

        def query() -> None:
            nonlocal head
            slot = head
            if active[slot]:
                return
            record = records[slot]
            if transfers:
                record[H2D_START](stream)
                for device, host in ins:
                    htod(device, host, stream)
            record[COMPUTE_START](stream)
            if dynamic is not None:
                dynamic.begin()
            begin = clock()
            ok = enqueue()
            times[slot] = (begin, clock())
            if not ok:
                raise failed()
            record[COMPUTE_END](stream)
            if transfers:
                for host, device in outs if dynamic is None else outs + dynamic.copies_out():
                    dtoh(host, device, stream)
                record[D2H_END](stream)
            active[slot] = True
            head = DEPTH - 1 - slot

        def sync() -> float:
            slot = head
            if not active[slot]:
                return -1.0
            slot_events = events[slot]
            final = slot_events[last]
            try:  # wait only when the iteration has not finished already
                end = final.time_since(start)
            except not_ready:
                if spin:
                    while not final.query():
                        pass
                else:
                    final.synchronize()
                end = final.time_since(start)
            compute_start = slot_events[COMPUTE_START].time_since(start)
            enqueue_start, enqueue_end = times[slot]
            if transfers:
                append((index, enqueue_start, enqueue_end, slot_events[H2D_START].time_since(start), compute_start,
                        slot_events[COMPUTE_END].time_since(start), end))
            else:
                append((index, enqueue_start, enqueue_end, compute_start, compute_start, end, end))
            active[slot] = False
            return compute_start

        def drain() -> None:
            nonlocal head
            for _ in range(DEPTH):
                sync()
                head = DEPTH - 1 - head

        return query, sync, drain

    def close(self) -> None:
        """Destroy the graph, drop the events (pycuda destroys each with its last reference) and every reference
        to the context (so that closing the execution destroys it)."""
        if self.graph is not None:
            self.graph.close()
            self.graph = None
        self.events = []
        del self.execute, self.enqueue, self.execution


def _not_captured(why: str) -> None:
    """trtexec's two warnings when an engine cannot be captured (IterationStd::createEnqueueFunction), and why."""
    log.warning("The built TensorRT engine contains operations that are not permitted under CUDA graph capture mode.")
    log.warning("CUDA graph capture failed. The inference will be launched without using CUDA graph.")
    log.warning(f"--useCudaGraph ignored: {why}")
