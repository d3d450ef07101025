"""Buffers for data-dependent outputs (NonZero, NMS, TopK of a computed k...): sized by TensorRT while the
engine runs, through an IOutputAllocator, as trtexec's OutputAllocator does (sampleDevice.h).

TensorRT calls ``reallocate`` with the bytes it needs once it knows them, then ``notify_shape`` with the
final shape, both before ``execute_async_v3`` returns; the D2H copy of that many bytes follows on the
stream. Buffers only grow (a smaller result reuses the memory and keeps the address), and never return a
null pointer for an empty result, which TensorRT would take for a failure (trtexec allocates one byte).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from trtkit.platform import cuda
from trtkit.platform.errors import TrtkitError

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.backends.io_types import TensorIO
    from trtkit.platform.flavours import Flavour

Shape = tuple[int, ...]


class OutputBuffers:
    """The pinned/device buffers of one execution's data-dependent outputs and the shapes TensorRT reported.

    ``allocator`` is the flavour's IOutputAllocator around this object; keep both alive while the context
    may run (TensorRT holds a raw pointer to the allocator, not a Python reference)."""

    def __init__(self, flavour: Flavour, tensors: list[TensorIO]) -> None:
        self.tensors = {t.name: t for t in tensors}
        self.buffers = {t.name: cuda.HostDeviceBuffer() for t in tensors}
        self.shapes: dict[str, Shape | None] = {t.name: None for t in tensors}
        self.requests: list[tuple[str, int]] = []  # (tensor, bytes) per reallocation call, for logs and tests
        self.failure: str | None = None
        self.allocator: trt.IOutputAllocator = flavour.make_output_allocator(self)

    def reallocate(self, name: str, memory: int, size: int, alignment: int, stream: int | None) -> int:
        """TensorRT needs ``size`` bytes for ``name``: the device address of at least that many (0: failure).

        Runs inside TensorRT's enqueue, so nothing may escape: a failure is kept for ``check`` to report."""
        buffer = self.buffers.get(name)
        if buffer is None:
            self.failure = f"TensorRT asked for memory for {name!r}, which has no output allocator"
            return 0
        self.requests.append((name, int(size)))
        self.shapes[name] = None  # until notify_shape reports this run's shape
        wanted = max(int(size), 1)
        if wanted > buffer.capacity:
            try:
                if buffer.capacity:
                    cuda.driver().Context.synchronize()  # earlier copies may still read the old buffer
                buffer.reserve_bytes(-(-wanted // max(alignment, 1)) * max(alignment, 1), name)
            except Exception as e:  # TensorRT's callback must not raise: reported by check()
                self.failure = f"output {name!r}: {e}"
                return 0
        return buffer.device

    def notify_shape(self, name: str, shape: Shape) -> None:
        """The final shape of ``name`` for this run."""
        if name in self.shapes:
            self.shapes[name] = shape

    def begin(self) -> None:
        """Forget the previous run's shapes, so that a run TensorRT did not size cannot pass for one it did."""
        self.failure = None
        for name in self.shapes:
            self.shapes[name] = None

    def check(self) -> None:
        """Raise what went wrong in the last run's callbacks, or that a shape was never reported."""
        if self.failure is not None:
            raise TrtkitError(self.failure)
        missing = [name for name, shape in self.shapes.items() if shape is None]
        if missing:
            raise TrtkitError(f"TensorRT reported no shape for data-dependent output {missing[0]!r} after the run")

    def copies_out(self) -> list[tuple[np.ndarray, int]]:
        """(pinned bytes, device address) per output, as many bytes as its reported shape holds."""
        self.check()
        copies = []
        for name in self.tensors:
            pinned, _ = self.host(name)
            if pinned.nbytes:
                copies.append((pinned, self.buffers[name].device))
        return copies

    def host(self, name: str) -> tuple[np.ndarray, Shape]:
        """The pinned bytes of ``name``'s last result (within what TensorRT asked for: nothing moves) and its
        shape."""
        shape = self.shapes[name]
        assert shape is not None
        buffer = self.buffers[name]
        buffer.reserve_bytes(self.tensors[name].nbytes(shape), name)
        return buffer.bytes, shape

    def free(self) -> None:
        for buffer in self.buffers.values():
            buffer.free()
