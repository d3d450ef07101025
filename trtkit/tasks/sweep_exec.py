"""Where the points run: in this process (the default), or in local worker processes, one per ``--jobs``
slot or one per GPU of ``--devices`` (each bound to its GPU before any other CUDA work). Every executor yields
each point's row as it finishes; the driver alone writes rows, so a point is never written twice.

A worker process that dies takes no point with it: its pool is replaced and the point runs again, at most
``retries`` more times, and then becomes an error row saying so. The pools are the standard library's
``ProcessPoolExecutor`` (spawned, so a worker starts with no inherited CUDA or ONNX Runtime state).
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from trtkit.platform import log
from trtkit.tasks.sweep_grid import Point, Settings
from trtkit.tasks.sweep_point import Binding, run_point, unrun_row

Row = dict[str, Any]


def run_sequential(points: Sequence[Point], settings: Settings) -> Iterator[Row]:
    for point in points:
        yield run_point(point, settings)


# The worker process's GPU binding (set once by the pool's initializer), or why it could not be made; and the
# open trtkit.platform.cuda.Device that keeps its context current for the worker's life.
_binding: Binding | str = Binding()
_device: Any = None


def _bind(ordinal: int | None) -> None:
    """Pool initializer: make GPU ``ordinal`` current in this worker (trtkit's --device support: its primary
    context, held for the worker's life) before any point touches CUDA."""
    global _binding, _device
    if ordinal is None:
        return
    from trtkit.platform.cuda import Device
    from trtkit.platform.errors import TrtkitError

    try:
        _device = Device(ordinal)
    except TrtkitError as e:
        _binding = f"--devices {ordinal}: {e}"
        return
    _binding = Binding(ordinal, _device.name)


def _work(point: Point, settings: Settings) -> Row:
    if isinstance(_binding, str):
        return unrun_row(point, _binding, 1)
    return run_point(point, settings, _binding)


def run_local(points: Sequence[Point], settings: Settings, slots: Sequence[int | None], retries: int) -> Iterator[Row]:
    """One single-process pool per slot (a GPU ordinal, or None for a CPU worker); each slot runs one point
    at a time and takes the next pending point when it finishes."""
    context = multiprocessing.get_context("spawn")

    def pool(slot: int | None) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(1, mp_context=context, initializer=_bind, initargs=(slot,))

    pools = [pool(slot) for slot in slots]
    pending: deque[tuple[Point, int]] = deque((point, 1) for point in points)
    running: dict[Future[Row], tuple[int, Point, int]] = {}
    try:
        while pending or running:
            busy = {index for index, _, _ in running.values()}
            for index in range(len(pools)):
                if pending and index not in busy:
                    point, attempt = pending.popleft()
                    running[pools[index].submit(_work, point, settings)] = (index, point, attempt)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index, point, attempt = running.pop(future)
                try:
                    row = future.result()
                except BrokenProcessPool:
                    pools[index].shutdown(wait=False, cancel_futures=True)
                    pools[index] = pool(slots[index])
                    if attempt <= retries:
                        log.warning(f"{point.label()}: its worker died; running it again ({attempt + 1} of "
                                    f"{retries + 1} attempts)")
                        pending.appendleft((point, attempt + 1))
                        continue
                    row = unrun_row(point, f"the worker process died on all {attempt} attempts", attempt)
                row["attempts"] = attempt
                yield row
    finally:
        for executor in pools:
            executor.shutdown(wait=True, cancel_futures=True)
