"""What the engine says about each I/O tensor beyond name, shape and dtype, and what that means for buffers.

TensorRT reads shape tensors (``is_shape_inference_io``) from host memory (``get_tensor_location`` HOST)
before an enqueue, sizes data-dependent outputs only while it runs (their shape keeps a -1 after every input
is set), and may keep a tensor in a vectorized format (``--inputIOFormats=chw4`` and the like) whose buffer
holds the channels padded and regrouped. :class:`TensorIO` records all of it per tensor, and
:class:`Layout` converts between numpy's linear arrays and such a buffer, as TensorRT's format
documentation defines them (CHWk: ``[N][ceil(C/k)][H][W][k]``; HWCk: ``[N][H][W][ceil(C/k)*k]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from trtkit.platform.errors import TrtkitError

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.platform.flavours import Flavour

Shape = tuple[int, ...]
# Vectorized formats with the channels split into vectors of k, kept innermost (TensorFormat names).
CHANNELS_FIRST = ("CHW2", "CHW4", "CHW16", "CHW32", "CDHW32")
# Formats with the channels innermost: padded to a multiple of k where k > 1.
CHANNELS_LAST = {"HWC": 3, "HWC8": 3, "HWC16": 3, "DHWC": 4, "DHWC8": 4}  # -> channel axis counted from the end


@dataclass(frozen=True)
class Layout:
    """A vectorized or channel-last buffer layout: which axis holds the channels, the vector width, and
    whether the channels sit innermost (HWC family) or are split into vectors innermost (CHWk family)."""

    format: str
    axis: int
    components: int
    channels_last: bool

    def memory_shape(self, shape: Shape) -> Shape:
        """The buffer's shape in memory order for a tensor of logical ``shape``."""
        k, axis = self.components, self.axis
        channels = -(-shape[axis] // k) * k
        rest = shape[:axis] + shape[axis + 1 :]
        if self.channels_last:
            return (*rest, channels)
        return (*shape[:axis], channels // k, *shape[axis + 1 :], k)

    def pack(self, array: np.ndarray) -> np.ndarray:
        """A linear array as this layout's buffer (channels zero-padded), contiguous."""
        k, axis = self.components, self.axis
        pad = -array.shape[axis] % k
        if pad:
            widths = [(0, 0)] * array.ndim
            widths[axis] = (0, pad)
            array = np.pad(array, widths)
        if self.channels_last:
            return np.ascontiguousarray(np.moveaxis(array, axis, -1))
        split = array.reshape((*array.shape[:axis], array.shape[axis] // k, k, *array.shape[axis + 1 :]))
        return np.ascontiguousarray(np.moveaxis(split, axis + 1, -1))

    def unpack(self, memory: np.ndarray, shape: Shape) -> np.ndarray:
        """The linear array of logical ``shape`` held in ``memory`` (any array of the buffer's elements)."""
        k, axis = self.components, self.axis
        memory = memory.reshape(self.memory_shape(shape))
        if self.channels_last:
            linear = np.moveaxis(memory, -1, axis)
        else:
            linear = np.moveaxis(memory, -1, axis + 1)
            linear = linear.reshape((*linear.shape[:axis], linear.shape[axis] * k, *linear.shape[axis + 2 :]))
        return np.ascontiguousarray(linear[(slice(None),) * axis + (slice(0, shape[axis]),)])


@dataclass(frozen=True)
class TensorIO:
    """One I/O tensor as the engine reports it."""

    name: str
    is_input: bool
    shape: Shape  # declared; -1 marks a dimension known only once inputs are set (or, outputs, once run)
    dtype: np.dtype
    host: bool  # TensorLocation.HOST: TensorRT reads (or writes) it through a host pointer
    shape_tensor: bool  # is_shape_inference_io: its values decide other tensors' shapes
    layout: Layout | None  # None: linear (TensorFormat.LINEAR)

    def nbytes(self, shape: Shape) -> int:
        """Bytes of the buffer that holds a tensor of ``shape`` in this tensor's layout."""
        memory = self.layout.memory_shape(shape) if self.layout is not None else shape
        return int(np.prod(memory, dtype=np.int64)) * self.dtype.itemsize


def layout_of(engine: trt.ICudaEngine, flavour: Flavour, name: str, rank: int) -> Layout | None:
    """The tensor's layout from get_tensor_format / get_tensor_vectorized_dim /
    get_tensor_components_per_element; None for LINEAR; a one-line error for a layout trtkit cannot fill."""
    trt = flavour.module
    fmt: trt.TensorFormat = engine.get_tensor_format(name)
    if fmt == trt.TensorFormat.LINEAR:
        return None
    components = int(engine.get_tensor_components_per_element(name))
    if fmt.name in CHANNELS_FIRST:
        axis = int(engine.get_tensor_vectorized_dim(name))
        return Layout(fmt.name, axis, components, channels_last=False)
    if fmt.name in CHANNELS_LAST and rank >= CHANNELS_LAST[fmt.name]:
        vectorized = int(engine.get_tensor_vectorized_dim(name))
        axis = vectorized if vectorized >= 0 else rank - CHANNELS_LAST[fmt.name]
        return Layout(fmt.name, axis, max(components, 1), channels_last=True)
    raise TrtkitError(
        f"tensor {name!r} uses format {fmt.name} ({engine.get_tensor_format_desc(name)}), which trtkit cannot "
        "fill from Python; rebuild without --inputIOFormats/--outputIOFormats for it"
    )


def describe(engine: trt.ICudaEngine, flavour: Flavour, name: str) -> TensorIO:
    """Everything the runner needs to know about one I/O tensor."""
    trt = flavour.module
    shape = tuple(int(d) for d in engine.get_tensor_shape(name))
    return TensorIO(
        name=name,
        is_input=engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT,
        shape=shape,
        dtype=flavour.numpy_dtype(engine.get_tensor_dtype(name)),
        host=engine.get_tensor_location(name) == trt.TensorLocation.HOST,
        shape_tensor=bool(engine.is_shape_inference_io(name)),
        layout=layout_of(engine, flavour, name, len(shape)),
    )


def profile_values(engine: trt.ICudaEngine, name: str, profile: int) -> tuple[Shape, Shape, Shape]:
    """A shape tensor's (min, opt, max) values in ``profile``. The bindings name the two parameters the wrong
    way round (``name: int, profile_index: str``): the C++ order is profile first, so the call is positional."""
    low, opt, high = engine.get_tensor_profile_values(profile, name)
    return tuple(int(v) for v in low), tuple(int(v) for v in opt), tuple(int(v) for v in high)
