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

The per-iteration path calls the driver through cuda-python (events and graph launch) and pycuda (copies):
on the H100 machine each costs within a few tenths of a microsecond of the other, and ctypes costs more
(docs/gpu-evidence.md). Every CUresult is checked; the calls come from closures that hold what they use in
local variables, and each row is appended as a tuple.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

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
        self.handle = cuda_driver.driver_api().CUstream(execution.handle)
        self.transfers = not options.no_data_transfers
        self.spin = options.use_spin_wait
        self.ins, self.outs = execution.copies_in(), execution.copies_out()
        self.events = [[cuda_driver.Event(not self.spin) for _ in range(4)] for _ in range(DEPTH)]
        self.handles = [tuple(event.handle for event in slot) for slot in self.events]
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

    def _iteration(self) -> Callable[[int], bool]:
        """Enqueue one iteration into a slot: events around H2D, the enqueue (or graph launch) and D2H, the
        host clock around the enqueue; False when TensorRT refuses the enqueue."""
        cu = cuda_driver.driver_api()
        success, record = cu.CUresult.CUDA_SUCCESS, cu.cuEventRecord
        stream, handles, times, enqueue = self.handle, self.handles, self.enqueue_times, self.enqueue
        ins, outs, htod, dtoh, copy_stream = self.ins, self.outs, self.htod, self.dtoh, self.stream
        transfers, clock, fail, dynamic = self.transfers, time.perf_counter, cuda_driver.driver_error, self.dynamic

        def iteration(slot: int) -> bool:
            events = handles[slot]
            if transfers:
                err, = record(events[H2D_START], stream)
                if err != success:
                    raise fail(err, "cuEventRecord")
                for device, host in ins:
                    htod(device, host, copy_stream)
            err, = record(events[COMPUTE_START], stream)
            if err != success:
                raise fail(err, "cuEventRecord")
            if dynamic is not None:
                dynamic.begin()
            start = clock()
            ok = enqueue()
            times[slot] = (start, clock())
            if not ok:
                return False
            err, = record(events[COMPUTE_END], stream)
            if err != success:
                raise fail(err, "cuEventRecord")
            if transfers:
                for host, device in outs if dynamic is None else outs + dynamic.copies_out():
                    dtoh(host, device, copy_stream)
                err, = record(events[D2H_END], stream)
                if err != success:
                    raise fail(err, "cuEventRecord")
            return True

        return iteration

    def loop(self, rows: list[Row], start: object) -> Loop:
        """The loop's three functions for this stream: query (enqueue into the next free slot, trtexec's
        Iteration::query), sync (wait for the oldest slot and append its row; its compute start in ms since
        the ``start`` event, or -1.0 when nothing was in flight) and drain (sync every slot left)."""
        enqueue = self._iteration()
        cu, fail, failed = cuda_driver.driver_api(), cuda_driver.driver_error, self.enqueue_failed
        elapsed, query, synchronize = cu.cuEventElapsedTime, cu.cuEventQuery, cu.cuEventSynchronize
        success, not_ready = cu.CUresult.CUDA_SUCCESS, cu.CUresult.CUDA_ERROR_NOT_READY
        handles, times, index, transfers, spin = self.handles, self.enqueue_times, self.index, self.transfers, self.spin
        last = D2H_END if transfers else COMPUTE_END
        append = rows.append
        active = [False] * DEPTH
        head = 0

        def enqueue_next() -> None:
            nonlocal head
            slot = head
            if active[slot]:
                return
            if not enqueue(slot):
                raise failed()
            active[slot] = True
            head = DEPTH - 1 - slot

        def wait(event: object) -> None:
            if spin:
                while (err := query(event)[0]) == not_ready:
                    pass
            else:
                err, = synchronize(event)
            if err != success:
                raise fail(err, "cuEventQuery" if spin else "cuEventSynchronize")

        def collect() -> float:
            slot = head
            if not active[slot]:
                return -1.0
            events = handles[slot]
            err, end = elapsed(start, events[last])
            if err == not_ready:  # wait only when the iteration has not finished already
                wait(events[last])
                err, end = elapsed(start, events[last])
            if err != success:
                raise fail(err, "cuEventElapsedTime")
            err, compute_start = elapsed(start, events[COMPUTE_START])
            if err != success:
                raise fail(err, "cuEventElapsedTime")
            enqueue_start, enqueue_end = times[slot]
            if transfers:
                err, compute_end = elapsed(start, events[COMPUTE_END])
                if err != success:
                    raise fail(err, "cuEventElapsedTime")
                err, h2d_start = elapsed(start, events[H2D_START])
                if err != success:
                    raise fail(err, "cuEventElapsedTime")
                append((index, enqueue_start, enqueue_end, h2d_start, compute_start, compute_end, end))
            else:
                append((index, enqueue_start, enqueue_end, compute_start, compute_start, end, end))
            active[slot] = False
            return compute_start

        def drain() -> None:
            nonlocal head
            for _ in range(DEPTH):
                collect()
                head = DEPTH - 1 - head

        return enqueue_next, collect, drain

    def close(self) -> None:
        """Destroy the graph and events, and drop every reference to the context (so that closing the
        execution destroys it)."""
        if self.graph is not None:
            self.graph.close()
            self.graph = None
        for slot in self.events:
            for event in slot:
                event.close()
        self.events, self.handles = [], []
        del self.execute, self.enqueue, self.execution


def _not_captured(why: str) -> None:
    """trtexec's two warnings when an engine cannot be captured (IterationStd::createEnqueueFunction), and why."""
    log.warning("The built TensorRT engine contains operations that are not permitted under CUDA graph capture mode.")
    log.warning("CUDA graph capture failed. The inference will be launched without using CUDA graph.")
    log.warning(f"--useCudaGraph ignored: {why}")
