"""One TensorRT execution context with its own stream and pinned/device buffers: what ``run`` uses, and what
``trtkit bench --infStreams N`` multiplies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from trtkit.data.tensors import format_shape as fmt
from trtkit.platform import cuda
from trtkit.platform.errors import TrtkitError

if TYPE_CHECKING:  # annotations only: the backend creates its executions
    import tensorrt as trt

    from trtkit.backends.tensorrt import TensorRTBackend

Shape = tuple[int, ...]


class Execution:
    """One execution context, its stream and one pinned/device buffer pair per I/O tensor."""

    def __init__(self, backend: TensorRTBackend) -> None:
        self.backend = backend
        self.context: trt.IExecutionContext | None = backend.engine.create_execution_context()
        if self.context is None:
            raise TrtkitError(f"TensorRT could not create an execution context: {backend.last_error()}")
        self.stream = cuda.new_stream()
        self.handle: int = self.stream.handle
        self.buffers = {info.name: cuda.HostDeviceBuffer() for info in (*backend.inputs, *backend.outputs)}
        self.shapes: dict[str, Shape] = {}
        self.profile: int | None = None
        self.generation = 0  # bumped whenever shapes or addresses change: bound callables check it

    def prepare(self, shapes: Mapping[str, Shape], taken: frozenset[int] = frozenset()) -> None:
        """Select a profile, set the input shapes and size/bind the buffers; nothing when nothing changed."""
        if shapes == self.shapes and self.profile not in taken:
            return
        backend, context = self.backend, self.context
        assert context is not None
        if backend.dynamic:
            profile = backend.choose_profile(shapes, taken, self.profile)
            if profile != self.profile:
                if not context.set_optimization_profile_async(profile, self.handle):
                    raise TrtkitError(f"TensorRT refused optimization profile {profile}: {backend.last_error()}")
                self.profile = profile
            for name, shape in shapes.items():
                if not context.set_input_shape(name, shape):
                    raise TrtkitError(
                        f"input {name!r}: TensorRT refused shape {fmt(shape)} in optimization profile "
                        f"{profile}: {backend.last_error()}"
                    )
        resolved = [(i, tuple(shapes[i.name])) for i in backend.inputs]
        resolved += [(o, dims_of(context.get_tensor_shape(o.name))) for o in backend.outputs]
        for info, shape in resolved:
            if any(d < 0 for d in shape):
                raise TrtkitError(
                    f"output {info.name!r} has a data-dependent shape ({fmt(shape)}); trtkit cannot size it yet"
                )
            buffer = self.buffers[info.name]
            moved = buffer.reserve(shape, info.dtype, info.name) or not self.shapes
            if moved and not context.set_tensor_address(info.name, buffer.device):
                raise TrtkitError(f"TensorRT refused the device address of {info.name!r}: {backend.last_error()}")
        self.shapes = dict(shapes)
        self.generation += 1

    def load(self, feeds: Mapping[str, np.ndarray]) -> None:
        """Copy the feeds into the pinned host buffers (casting where numpy can do so safely)."""
        for name, array in feeds.items():
            np.copyto(self.buffers[name].host, array, casting="same_kind")

    def copies_in(self) -> list[tuple[int, np.ndarray]]:
        """(device address, pinned bytes) per non-empty input: what each H2D copy moves."""
        return [(b.device, b.bytes) for i in self.backend.inputs if (b := self.buffers[i.name]).bytes.nbytes]

    def copies_out(self) -> list[tuple[np.ndarray, int]]:
        """(pinned bytes, device address) per non-empty output: what each D2H copy moves."""
        return [(b.bytes, b.device) for o in self.backend.outputs if (b := self.buffers[o.name]).bytes.nbytes]

    def enqueue_function(self) -> Callable[[], bool]:
        """``execute_async_v3`` on this stream, bound once (what the hot loops call)."""
        assert self.context is not None
        return partial(self.context.execute_async_v3, self.handle)

    def outputs(self) -> dict[str, np.ndarray]:
        return {o.name: self.buffers[o.name].host for o in self.backend.outputs}

    def close(self) -> None:
        """Wait for this stream, then free the buffers, the stream and the context."""
        if self.context is None:
            return
        self.stream.synchronize()
        for buffer in self.buffers.values():
            buffer.free()
        self.context = None
        self.stream = None


def dims_of(dims: trt.Dims) -> Shape:
    """A trt.Dims (or any sequence of ints) as a tuple."""
    return tuple(int(d) for d in dims)
