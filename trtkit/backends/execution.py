"""One TensorRT execution context with its own stream and buffers: what ``run`` uses, and what
``trtkit bench --infStreams N`` multiplies.

Device tensors get a pinned/device buffer pair each (in the tensor's layout, vectorized formats included);
shape tensors TensorRT reads from host memory get a host array whose address is bound and whose values
are written before the output shapes are asked for (TensorRT reads them again at each enqueue); outputs
whose shape stays unknown until the engine runs go through an output allocator (trtkit.backends.allocator)
and are copied back after the enqueue, once TensorRT has reported their shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from trtkit.backends.allocator import OutputBuffers
from trtkit.data.tensors import format_shape as fmt
from trtkit.platform import cuda
from trtkit.platform.errors import TrtkitError

if TYPE_CHECKING:  # annotations only: the backend creates its executions
    import tensorrt as trt

    from trtkit.backends.tensorrt import TensorRTBackend

Shape = tuple[int, ...]
Values = dict[str, tuple[int, ...]]  # host shape-tensor inputs: their values


class Execution:
    """One execution context, its stream, and a buffer per I/O tensor."""

    def __init__(self, backend: TensorRTBackend) -> None:
        self.backend = backend
        self.context: trt.IExecutionContext | None = backend.engine.create_execution_context()
        if self.context is None:
            raise TrtkitError(f"TensorRT could not create an execution context: {backend.last_error()}")
        self.stream = cuda.new_stream()
        self.handle: int = self.stream.handle
        self.buffers = {name: cuda.HostDeviceBuffer() for name, io in backend.io.items() if not io.host}
        self.host: dict[str, np.ndarray] = {}  # host-located tensors (shape tensors): TensorRT reads/writes these
        self.dynamic: OutputBuffers | None = None  # data-dependent outputs, sized by TensorRT at each run
        self.shapes: dict[str, Shape] = {}
        self.values: Values = {}
        self.output_shapes: dict[str, Shape] = {}
        self.profile: int | None = None
        self.generation = 0  # bumped whenever shapes or addresses change: bound callables check it

    def prepare(self, shapes: Mapping[str, Shape], values: Values | None = None,
                taken: frozenset[int] = frozenset()) -> None:
        """Select a profile, set the input shapes and shape-tensor values, size and bind the buffers;
        nothing when nothing changed."""
        values = dict(values or {})
        if shapes == self.shapes and values == self.values and self.profile not in taken:
            return
        backend, context = self.backend, self.context
        assert context is not None
        if backend.dynamic:
            profile = backend.choose_profile(shapes, values, taken, self.profile)
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
        for name, shape in shapes.items():
            if backend.io[name].host:
                self._bind_host(name, shape, values[name])
            else:
                self._bind_device(name, shape)
        self.output_shapes = {}
        dynamic = []
        for name in (o.name for o in backend.outputs):
            shape = dims_of(context.get_tensor_shape(name))
            if any(d < 0 for d in shape):
                dynamic.append(name)
            elif backend.io[name].host:
                self._bind_host(name, shape, None)
            else:
                self._bind_device(name, shape)
            self.output_shapes[name] = shape
        self._set_allocators(dynamic)
        self.shapes, self.values = dict(shapes), values
        self.generation += 1

    def _bind_device(self, name: str, shape: Shape) -> None:
        io = self.backend.io[name]
        memory = io.layout.memory_shape(shape) if io.layout is not None else shape
        moved = self.buffers[name].reserve(memory, io.dtype, name) or not self.shapes
        if moved and not self.context.set_tensor_address(name, self.buffers[name].device):
            raise TrtkitError(f"TensorRT refused the device address of {name!r}: {self.backend.last_error()}")

    def _bind_host(self, name: str, shape: Shape, values: tuple[int, ...] | None) -> None:
        """A host array for ``name`` (TensorRT keeps its address), holding ``values`` for an input."""
        array = self.host.get(name)
        if array is None or array.shape != shape:
            array = self.host[name] = np.zeros(shape, self.backend.io[name].dtype)
            if not self.context.set_tensor_address(name, array.ctypes.data):
                raise TrtkitError(f"TensorRT refused the host address of {name!r}: {self.backend.last_error()}")
        if values is not None:
            array[...] = np.asarray(values, array.dtype).reshape(shape)

    def _set_allocators(self, names: list[str]) -> None:
        """An output allocator for each output TensorRT sizes while it runs (set once per context)."""
        if not names or (self.dynamic is not None and list(self.dynamic.tensors) == names):
            return
        if self.dynamic is not None:
            self.dynamic.free()
        self.dynamic = OutputBuffers(self.backend.flavour, [self.backend.io[n] for n in names])
        for name in names:
            if not self.context.set_output_allocator(name, self.dynamic.allocator):
                raise TrtkitError(f"TensorRT refused an output allocator for {name!r}: {self.backend.last_error()}")

    def load(self, feeds: Mapping[str, np.ndarray]) -> None:
        """Copy the feeds into the pinned host buffers (casting where numpy can do so safely, and into the
        tensor's layout where it is not linear); host shape tensors were written by ``prepare``."""
        for name, array in feeds.items():
            io = self.backend.io[name]
            if io.host:
                continue
            if io.layout is not None:
                array = io.layout.pack(np.asarray(array).astype(io.dtype, casting="same_kind"))
            np.copyto(self.buffers[name].host, array, casting="same_kind")

    def copies_in(self) -> list[tuple[int, np.ndarray]]:
        """(device address, pinned bytes) per non-empty device input: what each H2D copy moves."""
        return [(b.device, b.bytes) for i in self.backend.inputs if (b := self.buffers.get(i.name)) and b.bytes.nbytes]

    def copies_out(self) -> list[tuple[np.ndarray, int]]:
        """(pinned bytes, device address) per non-empty output whose size is known before the run; the
        data-dependent ones come from ``dynamic.copies_out()`` after each enqueue."""
        known = [o.name for o in self.backend.outputs if o.name in self.buffers and o.name not in self.dynamic_names]
        return [(b.bytes, b.device) for name in known if (b := self.buffers[name]).bytes.nbytes]

    @property
    def dynamic_names(self) -> tuple[str, ...]:
        return tuple(self.dynamic.tensors) if self.dynamic is not None else ()

    def enqueue_function(self) -> Callable[[], bool]:
        """``execute_async_v3`` on this stream, bound once (what the hot loops call)."""
        assert self.context is not None
        return partial(self.context.execute_async_v3, self.handle)

    def outputs(self) -> dict[str, np.ndarray]:
        """Every output as a linear array of its real shape (views of the buffers where the layout allows)."""
        result = {}
        for o in self.backend.outputs:
            io = self.backend.io[o.name]
            if o.name in self.dynamic_names:
                raw, shape = self.dynamic.host(o.name)
            elif io.host:
                result[o.name] = self.host[o.name]
                continue
            else:
                raw, shape = self.buffers[o.name].bytes, self.output_shapes[o.name]
            typed = raw.view(io.dtype)
            result[o.name] = io.layout.unpack(typed, shape) if io.layout is not None else typed.reshape(shape)
        return result

    def close(self) -> None:
        """Wait for this stream, then free the buffers, the stream and the context."""
        if self.context is None:
            return
        self.stream.synchronize()
        for buffer in self.buffers.values():
            buffer.free()
        if self.dynamic is not None:
            self.dynamic.free()
        self.context = None
        self.stream = None


def dims_of(dims: trt.Dims) -> Shape:
    """A trt.Dims (or any sequence of ints) as a tuple."""
    return tuple(int(d) for d in dims)
