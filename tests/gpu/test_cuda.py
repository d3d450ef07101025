"""trtkit.platform.cuda on a real GPU: the primary context, pinned buffers and async copies, events, checked
driver calls, CUDA graphs of captured work (--useCudaGraph's enqueue)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from trtkit.platform import cuda, cuda_driver
from trtkit.platform.errors import TrtkitError

pytestmark = pytest.mark.gpu


def _pycuda() -> Any:
    import pycuda.driver as drv

    return drv


def _counter_value(allocation: Any) -> int:
    drv = _pycuda()
    drv.Context.synchronize()
    out = np.zeros(1, np.uint32)
    drv.memcpy_dtoh(out, allocation)
    return int(out[0])


def test_device_makes_the_primary_context_current(device: cuda.Device) -> None:
    """TensorRT's runtime API uses the primary context: pycuda's work must live in that same context."""
    from cuda.bindings import driver as cu

    ordinal = cuda_driver.check(cu.cuDeviceGet(0), "cuDeviceGet")
    primary = cuda_driver.check(cu.cuDevicePrimaryCtxRetain(ordinal), "retain")
    try:
        with cuda.Device():
            assert int(cuda_driver.check(cu.cuCtxGetCurrent(), "cuCtxGetCurrent")) == int(primary)
        assert int(cuda_driver.check(cu.cuCtxGetCurrent(), "cuCtxGetCurrent")) == int(primary)  # the session's stays
    finally:
        cu.cuDevicePrimaryCtxRelease(cuda_driver.check(cu.cuDeviceGet(0), "cuDeviceGet"))
    free, total = device.mem_get_info()
    assert 0 < free <= total


def test_devices_share_the_context_and_close_in_any_order(device: cuda.Device) -> None:
    """One Device per backend: closing them out of order must neither fail nor drop the context."""
    from cuda.bindings import driver as cu

    current = cuda_driver.check(cu.cuCtxGetCurrent(), "cuCtxGetCurrent")
    first, second = cuda.Device(), cuda.Device()
    first.close()
    first.close()  # idempotent
    assert int(cuda_driver.check(cu.cuCtxGetCurrent(), "cuCtxGetCurrent")) == int(current)
    second.close()
    assert int(cuda_driver.check(cu.cuCtxGetCurrent(), "cuCtxGetCurrent")) == int(current)
    stream = cuda.new_stream()  # the session's context is still usable
    stream.synchronize()


def test_a_missing_gpu_ordinal_is_one_clear_error(device: cuda.Device) -> None:
    with pytest.raises(TrtkitError, match="--device=99: no such GPU"):
        cuda.Device(99)


def test_pinned_buffers_round_trip_through_the_device(device: cuda.Device, rng: np.random.Generator) -> None:
    drv = _pycuda()
    source, target = cuda.HostDeviceBuffer(), cuda.HostDeviceBuffer()
    try:
        for buffer in (source, target):
            buffer.reserve((257, 33), np.dtype(np.float32))
        base = source.host
        while isinstance(base, np.ndarray):
            base = base.base
        assert isinstance(base, drv.HostAllocation), "host buffers must be page-locked"
        source.host[...] = rng.standard_normal(source.host.shape)
        target.host[...] = np.nan
        stream = cuda.new_stream()
        drv.memcpy_htod_async(source.device, source.host, stream)
        drv.memcpy_dtod_async(target.device, source.device, source.host.nbytes, stream)
        drv.memcpy_dtoh_async(target.host, target.device, stream)
        stream.synchronize()
        np.testing.assert_array_equal(target.host, source.host)
    finally:
        source.free()
        target.free()


def test_buffers_reallocate_only_to_grow_and_free_their_memory(device: cuda.Device) -> None:
    buffer = cuda.HostDeviceBuffer()
    free_before = device.mem_get_info()[0]
    try:
        assert buffer.reserve((4, 10), np.dtype(np.float32))
        address, capacity = buffer.device, buffer.capacity
        assert not buffer.reserve((2, 10), np.dtype(np.float32))
        assert buffer.device == address and buffer.host.shape == (2, 10)
        assert not buffer.reserve((4, 20), np.dtype(np.float16))  # same bytes, another dtype
        assert buffer.host.dtype == np.float16 and buffer.capacity == capacity
        assert buffer.reserve((64 << 20,), np.dtype(np.uint8))
        assert buffer.capacity == 64 << 20
        assert device.mem_get_info()[0] <= free_before - (64 << 20)
    finally:
        buffer.free()
    assert abs(device.mem_get_info()[0] - free_before) < 4 << 20
    assert buffer.capacity == 0 and buffer.device == 0


def test_events_time_a_kernel_of_known_length(device: cuda.Device, kernels: Any) -> None:
    """The bench loop's events (pycuda's): a 20 ms kernel timed, a busy query() wait, and reading an unfinished
    event raises pycuda's RuntimeError, the error the loop catches to wait (never a wrong time)."""
    drv = _pycuda()
    spin = kernels.pycuda.get_function("spin")
    spin.prepare("q")
    clock_khz = drv.Device(0).get_attribute(drv.device_attribute.CLOCK_RATE)
    stream = cuda.new_stream()
    start, end, idle = cuda.new_event(), cuda.new_event(blocking=False), cuda.new_event()
    start.record(stream)
    spin.prepared_async_call((1, 1), (1, 1, 1), stream, clock_khz * 20)  # 20 ms at the full clock
    end.record(stream)
    assert not end.query(), "the event completed before the 20 ms kernel could have"
    with pytest.raises(drv.RuntimeError, match=r"cuEventElapsedTime failed: .*not ready"):
        end.time_since(start)
    began = time.perf_counter()
    while not end.query():  # what --useSpinWait does
        pass
    waited_ms = (time.perf_counter() - began) * 1000.0
    elapsed = end.time_since(start)
    assert 15.0 <= elapsed <= 2000.0
    assert waited_ms <= elapsed + 5.0
    idle.record(stream)
    idle.synchronize()
    assert 0.0 <= idle.time_since(end) < 1.0


def test_driver_errors_are_one_line_naming_the_call_and_the_error(device: cuda.Device) -> None:
    """cuda-python's CUresults (the graph calls) are checked: CUDA's own description and name, one line;
    pycuda raises on an event never recorded instead of giving a time."""
    from cuda.bindings import driver as cu

    message = str(cuda_driver.driver_error(cu.CUresult.CUDA_ERROR_NOT_READY, "cuEventQuery"))
    assert message.startswith("cuEventQuery failed: ") and message.endswith(" (CUDA_ERROR_NOT_READY)")
    with pytest.raises(TrtkitError, match=r"^cuDeviceGet failed: .+ \(CUDA_ERROR_INVALID_DEVICE\)$"):
        cuda_driver.check(cu.cuDeviceGet(10_000), "cuDeviceGet")
    first, second = cuda.new_event(), cuda.new_event()
    with pytest.raises(_pycuda().Error, match="cuEventElapsedTime failed"):
        second.time_since(first)  # neither was ever recorded


def test_graph_replays_the_captured_kernel_once_per_launch(device: cuda.Device, kernels: Any) -> None:
    drv = _pycuda()
    tick = kernels.pycuda.get_function("tick")
    tick.prepare("P")
    counter = drv.mem_alloc(4)
    drv.memset_d32(counter, 0, 1)
    stream = cuda.new_stream()

    def enqueue() -> bool:
        tick.prepared_async_call((1, 1), (1, 1, 1), stream, counter)
        return True

    graph = cuda_driver.CudaGraph.capture(stream, enqueue)
    try:
        assert graph is not None
        assert _counter_value(counter) == 0, "capturing must not run the kernel"
        for _ in range(7):
            assert graph.launch()
        stream.synchronize()
        assert _counter_value(counter) == 7
    finally:
        if graph is not None:
            graph.close()
        counter.free()


def test_a_failed_capture_gives_no_graph_and_leaves_the_stream_usable(device: cuda.Device, kernels: Any) -> None:
    drv = _pycuda()
    tick = kernels.pycuda.get_function("tick")
    tick.prepare("P")
    counter = drv.mem_alloc(4)
    drv.memset_d32(counter, 0, 1)
    stream = cuda.new_stream()
    try:
        assert cuda_driver.CudaGraph.capture(stream, lambda: False) is None
        tick.prepared_async_call((1, 1), (1, 1, 1), stream, counter)
        stream.synchronize()
        assert _counter_value(counter) == 1
    finally:
        counter.free()
