"""CUDA plumbing for the TensorRT backend: the GPU's primary context, page-locked host and device buffers
and streams (pycuda), events and CUDA graphs (cuda-python's driver API: pycuda has no graphs, and its
events hide the handle the bench loop passes to the driver).

NVIDIA's samples/python/common_runtime.py in trtkit's terms. The context is the device's primary context
(TensorRT's), current on this thread while a :class:`Device` is open, so TensorRT and pycuda share
allocations and streams. ``close()`` frees everything explicitly, in dependency order; pycuda is imported
on first use, and a missing pycuda or GPU is one :class:`TrtkitError` line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trtkit.platform.errors import TrtkitError

STREAM_NON_BLOCKING = 1  # CU_STREAM_NON_BLOCKING: no implicit sync with the legacy default stream (trtexec's)
PYCUDA_HINT = "pip install pycuda (the TensorRT backend moves tensors with it; it needs the NVIDIA driver)"
CUDA_PYTHON_HINT = "pip install cuda-bindings (cuda-python's driver API: the bench loop's events and CUDA graphs)"
_EVENT_BLOCKING_SYNC = 1  # CU_EVENT_BLOCKING_SYNC: waiting yields the CPU instead of spinning


def driver() -> Any:
    """``pycuda.driver``, or a TrtkitError saying what to install."""
    try:
        import pycuda.driver as cuda
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("pycuda"):
            raise TrtkitError(f"the TensorRT backend needs pycuda: {PYCUDA_HINT}") from None
        raise
    except ImportError as e:  # pycuda is there but libcuda (the driver) is not
        raise TrtkitError(f"no CUDA GPU visible: pycuda cannot load the NVIDIA driver ({e})") from None
    return cuda


def driver_api() -> Any:
    """``cuda.bindings.driver`` (cuda-python), for events, stream capture and graph launch."""
    try:
        from cuda.bindings import driver as cu
    except ImportError:
        raise TrtkitError(f"the TensorRT bench loop needs cuda-python: {CUDA_PYTHON_HINT}") from None
    return cu


def driver_error(err: Any, call: str) -> TrtkitError:
    """A failed driver call as one line: the call, CUDA's description and name of the error (hot loops
    compare the CUresult themselves and raise this, which costs nothing when the call succeeded)."""
    known, text = driver_api().cuGetErrorString(err)
    reason = text.decode() if not int(known) and isinstance(text, bytes) else "unknown error"
    return TrtkitError(f"{call} failed: {reason} ({getattr(err, 'name', err)})")


def check(result: tuple[Any, ...], what: str) -> Any:
    """Unpack a cuda-python ``(CUresult, value...)`` tuple, raising on any error."""
    err, *values = result
    if err != driver_api().CUresult.CUDA_SUCCESS:
        raise driver_error(err, what)
    return values[0] if len(values) == 1 else tuple(values)


class _Primary:
    """The one primary context trtkit holds: retained and pushed by the first open Device, popped and
    released by the last one to close, so Devices (one per backend) may close in any order."""

    context: Any = None
    ordinal = -1
    users = 0


class Device:
    """A GPU's primary context, current on the calling thread while any Device is open.

    The primary context is the one the CUDA runtime (and so TensorRT) uses, so device pointers, streams and
    events made here are valid in TensorRT calls. Devices share it: the first retains and pushes it, the
    last to close pops and releases it. Use them from the thread that opened them (CUDA contexts are
    current per thread).
    """

    def __init__(self, ordinal: int = 0) -> None:
        cuda = driver()
        try:
            cuda.init()
            count = cuda.Device.count()
        except cuda.Error as e:
            raise TrtkitError(f"no CUDA GPU visible: {e}") from None
        if count == 0:
            raise TrtkitError("no CUDA GPU visible (CUDA found no device; check nvidia-smi and CUDA_VISIBLE_DEVICES)")
        if not 0 <= ordinal < count:
            raise TrtkitError(f"GPU {ordinal} does not exist: {count} visible (0..{count - 1})")
        if _Primary.users and _Primary.ordinal != ordinal:
            raise TrtkitError(f"GPU {ordinal}: trtkit already uses GPU {_Primary.ordinal}; use one GPU per process")
        self.device = cuda.Device(ordinal)
        self.name: str = self.device.name()
        if not _Primary.users:
            context = self.device.retain_primary_context()
            context.push()
            _Primary.context, _Primary.ordinal = context, ordinal
        _Primary.users += 1
        self._open = True

    def synchronize(self) -> None:
        driver().Context.synchronize()

    def mem_get_info(self) -> tuple[int, int]:  # (free, total) device memory in bytes
        free, total = driver().mem_get_info()
        return int(free), int(total)

    def close(self) -> None:
        """Let go of the context; the last Device to close pops it from this thread and releases it, so
        everything made in it must be freed first."""
        if not self._open:
            return
        self._open = False
        _Primary.users -= 1
        if _Primary.users == 0:
            context, _Primary.context = _Primary.context, None
            driver().Context.pop()
            context.detach()
            _pop_stale_entry()

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def new_stream() -> Any:
    """A non-default, non-blocking stream (``.handle`` is what ``execute_async_v3`` takes)."""
    return driver().Stream(STREAM_NON_BLOCKING)


class Event:
    """A CUDA timing event (cuda-python: pycuda's hides the handle that the bench loop's driver calls take).

    ``blocking`` lets ``synchronize()`` yield the CPU instead of spinning (trtexec's default; --useSpinWait
    polls ``query()`` instead). ``handle`` is the CUevent the bench loop passes to the driver itself;
    ``close()`` destroys it.
    """

    def __init__(self, blocking: bool = True) -> None:
        cu = driver_api()
        self.handle: Any = check(cu.cuEventCreate(_EVENT_BLOCKING_SYNC if blocking else 0), "cuEventCreate")

    def record(self, stream: Any) -> None:
        """Record on a pycuda stream (through its raw handle)."""
        cu = driver_api()
        check(cu.cuEventRecord(self.handle, cu.CUstream(stream.handle)), "cuEventRecord")

    def query(self) -> bool:
        """Whether the work before the last record has finished."""
        cu = driver_api()
        err, = cu.cuEventQuery(self.handle)
        if err == cu.CUresult.CUDA_ERROR_NOT_READY:
            return False
        check((err,), "cuEventQuery")
        return True

    def synchronize(self) -> None:
        check(driver_api().cuEventSynchronize(self.handle), "cuEventSynchronize")

    def time_since(self, earlier: Event) -> float:
        """Milliseconds from ``earlier`` to this event (both recorded and completed)."""
        return float(check(driver_api().cuEventElapsedTime(earlier.handle, self.handle), "cuEventElapsedTime"))

    def close(self) -> None:
        if self.handle is not None:
            handle, self.handle = self.handle, None
            check(driver_api().cuEventDestroy(handle), "cuEventDestroy")


class HostDeviceBuffer:
    """One tensor's page-locked host buffer and device buffer of the same size.

    ``reserve`` views them as the requested shape and dtype, reallocating only when more bytes are needed
    than ever before, so a smaller shape moves no memory and keeps the device address. ``host`` is the
    typed view; ``bytes`` the same memory as flat uint8, what copies move (numpy cannot export a buffer of
    every dtype, e.g. ml_dtypes' bfloat16).
    """

    def __init__(self) -> None:
        self.capacity = 0
        self.host: np.ndarray = np.empty(0, np.uint8)
        self.bytes: np.ndarray = self.host
        self.device: int = 0
        self._pinned: np.ndarray | None = None
        self._allocation: Any = None

    def reserve(self, shape: tuple[int, ...], dtype: np.dtype, what: str = "tensor") -> bool:
        """View the buffers as ``shape``/``dtype``; True when they were reallocated (new device address)."""
        grew = self.reserve_bytes(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize, what)
        self.host = self.bytes.view(dtype).reshape(shape)
        return grew

    def reserve_bytes(self, nbytes: int, what: str = "tensor") -> bool:
        """At least ``nbytes`` in both, ``bytes`` and ``host`` viewing the first ``nbytes``; True if reallocated."""
        grew = nbytes > self.capacity or self._allocation is None
        if grew:
            self.free()
            cuda = driver()
            size = max(nbytes, 1)  # a valid address even for an empty tensor
            try:
                self._pinned = cuda.pagelocked_empty(size, np.uint8)
                self._allocation = cuda.mem_alloc(size)
            except cuda.MemoryError:
                self.free()
                raise TrtkitError(
                    f"{what}: out of memory allocating {size / 2**20:.1f} MiB on the GPU or in pinned host memory"
                ) from None
            self.capacity, self.device = size, int(self._allocation)
        assert self._pinned is not None
        self.bytes = self.host = self._pinned[:nbytes]
        return grew

    def free(self) -> None:
        """Release both allocations now (views of the host buffer become invalid)."""
        self.host = self.bytes = np.empty(0, np.uint8)
        if self._allocation is not None:
            self._allocation.free()
            self._allocation = None
        if self._pinned is not None:
            self._pinned.base.free()
            self._pinned = None
        self.capacity, self.device = 0, 0


class CudaGraph:
    """Work captured from a stream once and replayed with one launch (cuGraphLaunch).

    Capture mode is thread-local, as in trtexec. pycuda streams are captured through their handle;
    ``executable`` and ``stream`` are the cuda-python handles, for loops that launch the graph themselves.
    """

    def __init__(self, graph: Any, executable: Any, stream: Any) -> None:
        self._graph = graph
        self.executable = executable
        self.stream = stream
        cu = driver_api()
        self._launch = cu.cuGraphLaunch
        self._success = cu.CUresult.CUDA_SUCCESS

    @classmethod
    def capture(cls, stream: Any, work: Callable[[], bool]) -> CudaGraph | None:
        """Capture what ``work()`` enqueues on ``stream``; None when ``work`` returns False or the capture is
        invalidated (work that may not run under capture, as trtexec handles it)."""
        cu = driver_api()
        handle = cu.CUstream(stream.handle)
        mode = cu.CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL
        check(cu.cuStreamBeginCapture(handle, mode), "cuStreamBeginCapture")
        try:
            ok = work()
        except BaseException:
            _destroy_partial(cu, cu.cuStreamEndCapture(handle)[1])
            raise
        err, graph = cu.cuStreamEndCapture(handle)
        if not ok or err != cu.CUresult.CUDA_SUCCESS:
            _destroy_partial(cu, graph)
            return None
        try:
            executable = check(cu.cuGraphInstantiate(graph, 0), "cuGraphInstantiate")
        except TrtkitError:
            cu.cuGraphDestroy(graph)
            raise
        return cls(graph, executable, handle)

    def launch(self) -> bool:
        """Replay once on the captured stream (True, like an enqueue that succeeded)."""
        err, = self._launch(self.executable, self.stream)
        if err != self._success:
            raise driver_error(err, "cuGraphLaunch")
        return True

    def close(self) -> None:
        if self.executable is None:
            return
        cu = driver_api()
        check(cu.cuGraphExecDestroy(self.executable), "cuGraphExecDestroy")
        check(cu.cuGraphDestroy(self._graph), "cuGraphDestroy")
        self.executable = self._graph = None


def _destroy_partial(cu: Any, graph: Any) -> None:  # the graph an abandoned capture may have produced
    if graph is not None and int(graph):
        cu.cuGraphDestroy(graph)


def _pop_stale_entry() -> None:
    """pycuda's detach of a primary context that is not current pushes it and never pops it: pop that entry,
    so that open/close pairs leave this thread's context stack as they found it."""
    import ctypes

    try:
        libcuda = ctypes.CDLL("libcuda.so.1")
    except OSError:  # not Linux, or no driver: nothing was pushed through it
        return
    popped = ctypes.c_void_p()
    libcuda.cuCtxPopCurrent_v2(ctypes.byref(popped))
