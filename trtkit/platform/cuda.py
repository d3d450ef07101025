"""CUDA plumbing for the TensorRT backend: the GPU's primary context, page-locked host and device buffers,
streams and timing events (pycuda). CUDA graphs are in :mod:`trtkit.platform.cuda_driver`.

NVIDIA's samples/python/common_runtime.py in trtkit's terms. The context is the device's primary context
(TensorRT's), current on this thread while a :class:`Device` is open, so TensorRT and pycuda share
allocations and streams. ``close()`` frees buffers and devices explicitly, in dependency order (streams and
events go with their last reference, which their users drop before the device closes); pycuda is imported
on first use, and a missing pycuda or GPU is one :class:`TrtkitError` line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trtkit.platform.errors import TrtkitError

STREAM_NON_BLOCKING = 1  # CU_STREAM_NON_BLOCKING: no implicit sync with the legacy default stream (trtexec's)
PYCUDA_HINT = "pip install pycuda (the TensorRT backend moves tensors with it; it needs the NVIDIA driver)"
# Where a plan cannot run, the same model still runs on this machine as ONNX.
ONNX_INSTEAD = "without a GPU, run the ONNX model instead (trtkit infer/bench MODEL.onnx uses ONNX Runtime)"


def driver() -> Any:
    """``pycuda.driver``, or a TrtkitError saying what to install."""
    try:
        import pycuda.driver as cuda
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("pycuda"):
            raise TrtkitError(f"the TensorRT backend needs pycuda: {PYCUDA_HINT}; {ONNX_INSTEAD}") from None
        raise
    except ImportError as e:  # pycuda is there but libcuda (the driver) is not
        raise TrtkitError(f"no CUDA GPU visible: pycuda cannot load the NVIDIA driver ({e}); {ONNX_INSTEAD}") from None
    return cuda


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
            raise TrtkitError(f"--device={ordinal}: no such GPU; {count} visible (0..{count - 1})")
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


def new_event(blocking: bool = True) -> Any:
    """A timing event. ``blocking``: ``synchronize()`` yields the CPU (trtexec's default); --useSpinWait polls
    ``query()`` instead. pycuda's ``time_since``/``query`` cost less per call than cuda-python's and its
    ``record`` as much (docs/benchmarks.md; ctypes costs the most: docs/gpu-evidence.md), which is why the
    bench loop's events are pycuda's. pycuda destroys an event with its last reference."""
    cuda = driver()
    return cuda.Event(int(cuda.event_flags.BLOCKING_SYNC) if blocking else 0)


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
