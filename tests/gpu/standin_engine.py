"""Stand-in TensorRT 11 engines whose execution contexts launch real CUDA kernels.

The classes come from tests/standin.py (exactly the real 11.x methods and signatures; a wrong name, arity
or keyword raises like pybind11); this module supplies their behaviour: engines with fixed tensors and
optimization profiles, and contexts that enforce what TensorRT enforces (input shapes inside the active
profile, one profile per concurrent context of a dynamic-shape engine, every address bound before an
enqueue) and, on ``execute_async_v3(stream_handle)``, launch a kernel on that raw stream that reads the
bound input addresses and writes the bound outputs. Kernels are compiled by pycuda's nvcc driver and
launched through cuda-python's cuLaunchKernel, which (unlike pycuda) takes a raw stream handle. Every
kernel also bumps a device counter, so tests can count real launches (CUDA-graph replays included).

``trt_module()`` is a ``tensorrt``-like namespace (enums from the committed API, IProfiler, Dims) around
which a real ``trtkit.platform.flavours.TensorRT11`` flavour is built for the runner.
"""

from __future__ import annotations

import ctypes
import types
import weakref
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from standin import load_api, make_enum, make_standin

KERNELS = r"""
#include <cuda_fp16.h>

// One block per row, warp j computes y[row, j] = sum_i x[row, i] * w[j, i].
extern "C" __global__ void weighted_rows(const float* x, const float* w, float* y, int rows, int k, int n,
                                         unsigned int* launches) {
    if (blockIdx.x == 0 && threadIdx.x == 0) atomicAdd(launches, 1u);
    int row = blockIdx.x, j = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= rows || j >= n) return;
    float acc = 0.f;
    for (int i = lane; i < k; i += 32) acc += x[(long long)row * k + i] * w[(long long)j * k + i];
    for (int offset = 16; offset > 0; offset >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, offset);
    if (lane == 0) y[(long long)row * n + j] = acc;
}

// c = a + b (float), d = 3b + 7 (int), e = c as bfloat16 (truncated; exact for the tests' values).
extern "C" __global__ void mixed(const __half* a, const int* b, float* c, int* d, unsigned short* e, int count,
                                 unsigned int* launches) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i == 0) atomicAdd(launches, 1u);
    if (i < count) {
        float v = __half2float(a[i]) + (float)b[i];
        c[i] = v;
        d[i] = b[i] * 3 + 7;
        e[i] = (unsigned short)(__float_as_uint(v) >> 16);
    }
}

extern "C" __global__ void scale(const float* x, float* y, long long count, unsigned int* launches) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i == 0) atomicAdd(launches, 1u);
    for (; i < count; i += (long long)gridDim.x * blockDim.x) y[i] = 2.0f * x[i];
}

extern "C" __global__ void tick(unsigned int* counter) { atomicAdd(counter, 1u); }

// dst = src, byte for byte (the dtype and layout engines: what the runner writes must come back unchanged).
extern "C" __global__ void copy_bytes(const unsigned char* src, unsigned char* dst, long long n,
                                      unsigned int* launches) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i == 0) atomicAdd(launches, 1u);
    for (; i < n; i += (long long)gridDim.x * blockDim.x) dst[i] = src[i];
}

// NonZero of a 1-D float tensor, in two passes as TensorRT sizes a data-dependent output: count, then
// (once the allocator gave memory for that many) the indices in order. One thread: the inputs are small.
extern "C" __global__ void count_nonzero(const float* x, long long n, long long* count, unsigned int* launches) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    atomicAdd(launches, 1u);
    long long c = 0;
    for (long long i = 0; i < n; ++i) c += x[i] != 0.f;
    *count = c;
}

extern "C" __global__ void nonzero_indices(const float* x, long long n, long long* out) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    long long c = 0;
    for (long long i = 0; i < n; ++i) if (x[i] != 0.f) out[c++] = i;
}

extern "C" __global__ void spin(long long cycles) {
    long long start = clock64();
    while (clock64() - start < cycles) {}
}
"""
KERNEL_NAMES = ("weighted_rows", "mixed", "scale", "tick", "spin", "copy_bytes", "count_nonzero", "nonzero_indices")
MNIST_K, MNIST_N = 784, 10


class Kernels:
    """The kernels compiled once for the current GPU: as cuda-python functions (launched on raw stream
    handles by the stand-in) and as a pycuda module (for bare pycuda baselines and direct tests)."""

    def __init__(self) -> None:
        import pycuda.driver as cuda
        from cuda.bindings import driver as cu
        from pycuda.compiler import compile as nvcc

        self.cu = cu
        self.cubin = nvcc(KERNELS, no_extern_c=True)
        image = np.frombuffer(self.cubin, np.uint8)
        self._module = _ok(cu.cuModuleLoadData(image.ctypes.data))
        self.functions = {name: _ok(cu.cuModuleGetFunction(self._module, name.encode())) for name in KERNEL_NAMES}
        self.pycuda = cuda.module_from_buffer(self.cubin)

    def close(self) -> None:
        if self._module is not None:
            _ok(self.cu.cuModuleUnload(self._module))
            self._module = None
            self.pycuda = None


def _ok(result: tuple[Any, ...]) -> Any:
    """Unpack a cuda-python result, raising on error."""
    err, *values = result
    if int(err):
        raise RuntimeError(f"CUDA driver call failed: {err}")
    return values[0] if len(values) == 1 else tuple(values) if values else None


class Launch:
    """A prepared cuLaunchKernel: the argument storage lives as long as the launch."""

    def __init__(self, kernels: Kernels, name: str, grid: int, block: int, args: list[tuple[int, type]]) -> None:
        self.cu = kernels.cu
        self.function = kernels.functions[name]
        self.grid, self.block = grid, block
        self._values = [np.array([value], dtype) for value, dtype in args]
        self._pointers = np.array([v.ctypes.data for v in self._values], np.uint64)
        self.params = int(self._pointers.ctypes.data)

    def __call__(self, stream: Any) -> None:
        err, = self.cu.cuLaunchKernel(self.function, self.grid, 1, 1, self.block, 1, 1, 0, stream, self.params, 0)
        if int(err):
            raise RuntimeError(f"cuLaunchKernel failed: {err}")


# ---- the engines ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tensor:
    name: str
    is_input: bool
    dtype: str  # trt.DataType member name
    shape: tuple[int, ...]  # -1: dynamic (an output's -1 that no input shape resolves: data-dependent)
    location: str = "DEVICE"  # trt.TensorLocation member name: HOST for shape tensors
    shape_tensor: bool = False  # is_shape_inference_io
    format: str = "LINEAR"  # trt.TensorFormat member name
    vectorized_dim: int = -1  # get_tensor_vectorized_dim: -1 unless vectorized
    components: int = 1  # get_tensor_components_per_element


@dataclass
class EngineSpec:
    """What an engine declares, how its outputs follow from its inputs, and how it launches."""

    name: str
    tensors: tuple[Tensor, ...]
    profiles: list[dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]] = field(default_factory=list)
    layer: str = "kernel"
    values: list[dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]] = field(default_factory=list)
    """Per profile, each shape tensor's (min, opt, max) values (get_tensor_profile_values)."""

    def output_shapes(self, inputs: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
        batch = next(iter(inputs.values()))[0]
        return {t.name: tuple(batch if d < 0 else d for d in t.shape) for t in self.tensors if not t.is_input}


def mnist_spec(dynamic: bool = False) -> EngineSpec:
    """1x1x28x28 -> 1x10 like the zoo's mnist-8, or the project's dynamic-batch model with two profiles."""
    if not dynamic:
        tensors = (Tensor("Input3", True, "FLOAT", (1, 1, 28, 28)), Tensor("Plus214_Output_0", False, "FLOAT", (1, 10)))
        return EngineSpec("mnist", tensors, layer="weighted_rows")
    image = (1, 28, 28)
    return EngineSpec(
        "mnist_dynamic",
        (Tensor("input", True, "FLOAT", (-1, *image)), Tensor("scores", False, "FLOAT", (-1, 10))),
        [{"input": ((1, *image), (8, *image), (16, *image))}, {"input": ((1, *image), (32, *image), (64, *image))}],
        layer="weighted_rows",
    )


def mixed_spec() -> EngineSpec:
    """Two inputs (float16, int32) and three outputs (float32, int32, bfloat16) of shape 3x7."""
    shape = (3, 7)
    return EngineSpec(
        "mixed",
        (
            Tensor("a", True, "HALF", shape),
            Tensor("b", True, "INT32", shape),
            Tensor("c", False, "FLOAT", shape),
            Tensor("d", False, "INT32", shape),
            Tensor("e", False, "BF16", shape),
        ),
        layer="mixed",
    )


def scale_spec(count: int) -> EngineSpec:
    """y = 2x over ``count`` float32 values (the bandwidth benchmark's 64 MiB engine)."""
    tensors = (Tensor("x", True, "FLOAT", (count,)), Tensor("y", False, "FLOAT", (count,)))
    return EngineSpec("scale", tensors, layer="scale")


def nonzero_spec(length: int = 64) -> EngineSpec:
    """ONNX NonZero of a 1-D float input: idx (1 x count, int64), a data-dependent output."""
    tensors = (Tensor("x", True, "FLOAT", (length,)), Tensor("idx", False, "INT64", (1, -1)))
    return EngineSpec("nonzero", tensors, layer="nonzero")


def reshape_spec() -> EngineSpec:
    """ONNX Reshape(data, shape) with ``shape`` a host shape-tensor input (int64[2]); y = 2 * data, shaped
    by the values of ``shape``. One profile: data 1..64 elements (opt 12), shape values [1,1]..[8,8] (opt [3,4])."""
    tensors = (
        Tensor("data", True, "FLOAT", (-1,)),
        Tensor("shape", True, "INT64", (2,), location="HOST", shape_tensor=True),
        Tensor("y", False, "FLOAT", (-1, -1)),
    )
    profiles = [{"data": ((1,), (12,), (64,)), "shape": ((2,), (2,), (2,))}]
    return EngineSpec("reshape", tensors, profiles, layer="reshape", values=[{"shape": ((1, 1), (3, 4), (8, 8))}])


IO_DTYPES = ("FLOAT", "HALF", "BF16", "INT8", "UINT8", "INT32", "INT64", "BOOL", "FP8")


def dtypes_spec(shape: tuple[int, ...] = (2, 3)) -> EngineSpec:
    """One input and one output per I/O dtype TensorRT exposes (in_<dtype> -> out_<dtype>, copied)."""
    tensors = tuple(Tensor(f"{d}_{name}", d == "in", dtype, shape) for dtype in IO_DTYPES
                    for d, name in (("in", dtype.lower()), ("out", dtype.lower())))
    return EngineSpec("dtypes", tensors, layer="copy")


def vectorized_spec() -> EngineSpec:
    """A half 1x3x2x2 input in CHW4 copied to an output in CHW4 and a float 1x5x2x3 input in HWC8 to an
    output in HWC8: buffers TensorRT pads (channels to 4 or 8) and reorders."""
    chw4 = {"format": "CHW4", "vectorized_dim": 1, "components": 4}
    hwc8 = {"format": "HWC8", "vectorized_dim": 1, "components": 8}
    tensors = (
        Tensor("a", True, "HALF", (1, 3, 2, 2), **chw4),
        Tensor("a_out", False, "HALF", (1, 3, 2, 2), **chw4),
        Tensor("b", True, "FLOAT", (1, 5, 2, 3), **hwc8),
        Tensor("b_out", False, "FLOAT", (1, 5, 2, 3), **hwc8),
    )
    return EngineSpec("vectorized", tensors, layer="copy")


class _Engine:
    """ICudaEngine behaviour."""

    def __init__(self, spec: EngineSpec, trt: Any, kernels: Kernels | None) -> None:
        """``kernels=None``: an engine without device memory, whose queries and contexts work but whose
        enqueues cannot (the CPU tests of the stand-in's I/O semantics)."""
        self._spec, self._trt, self._kernels = spec, trt, kernels
        self._tensors = {t.name: t for t in spec.tensors}
        self._owners: dict[int, weakref.ref[_Context]] = {}
        self._contexts: weakref.WeakSet[_Context] = weakref.WeakSet()
        self.errors: list[str] = []
        rng = np.random.default_rng(1234)
        self.weights = rng.integers(-3, 4, size=(MNIST_N, MNIST_K)).astype(np.float32)
        self.launch_counter = self.scratch = self._weights = None
        if kernels is not None:
            import pycuda.driver as cuda

            self.launch_counter = cuda.mem_alloc(4)
            cuda.memset_d32(self.launch_counter, 0, 1)
            self.scratch = cuda.mem_alloc(8)  # nonzero: the count TensorRT reads back to size the output
            self._weights = cuda.to_device(self.weights) if spec.layer == "weighted_rows" else None
        self.name = spec.name
        self.num_io_tensors = len(spec.tensors)
        self.num_optimization_profiles = max(1, len(spec.profiles))

    def get_tensor_name(self, index: int) -> str:
        return self._spec.tensors[index].name

    def get_tensor_mode(self, name: str) -> Any:
        mode = self._trt.TensorIOMode
        tensor = self._tensors.get(name)
        return mode.NONE if tensor is None else mode.INPUT if tensor.is_input else mode.OUTPUT

    def get_tensor_dtype(self, name: str) -> Any:
        return self._trt.DataType[self._tensors[name].dtype]

    def get_tensor_shape(self, name: str) -> Any:
        return self._trt.Dims(self._tensors[name].shape)

    def get_tensor_profile_shape(self, name: str, profile_index: int) -> list[Any]:
        if not self._spec.profiles:
            return [self._trt.Dims(self._tensors[name].shape)] * 3
        return [self._trt.Dims(s) for s in self._spec.profiles[profile_index][name]]

    def get_tensor_profile_values(self, profile_index: int, name: str) -> list[list[int]]:
        """Positional order as the real binding (its parameter names are swapped: ``name: int``)."""
        if not isinstance(profile_index, int) or not isinstance(name, str):
            raise TypeError("get_tensor_profile_values(profile_index: int, name: str), positionally")
        tensor = self._tensors.get(name)
        if tensor is None or not tensor.shape_tensor or not self._spec.values:
            self._error(f"{name} is not a shape tensor input with profile values")
            return []
        return [list(v) for v in self._spec.values[profile_index][name]]

    def get_tensor_location(self, name: str) -> Any:
        return self._trt.TensorLocation[self._tensors[name].location]

    def is_shape_inference_io(self, name: str) -> bool:
        return self._tensors[name].shape_tensor

    def get_tensor_format(self, name: str, profile_index: int = 0) -> Any:
        return self._trt.TensorFormat[self._tensors[name].format]

    def get_tensor_format_desc(self, name: str, profile_index: int = 0) -> str:
        return f"{self._tensors[name].format} {self._tensors[name].dtype} format"

    def get_tensor_vectorized_dim(self, name: str, profile_index: int = 0) -> int:
        return self._tensors[name].vectorized_dim

    def get_tensor_components_per_element(self, name: str, profile_index: int = 0) -> int:
        return self._tensors[name].components

    def create_execution_context(self, strategy: Any = None) -> Any:
        context = self._trt.IExecutionContext(self)
        impl = impl_of(context)
        self._contexts.add(impl)
        if not self._spec.profiles:
            impl._profile = 0
        elif self._holder(0) is None:  # TensorRT gives the first context profile 0 implicitly
            impl._profile = 0
            self._owners[0] = weakref.ref(impl)
        return context

    # helpers for the stand-in contexts and the tests
    def _holder(self, profile: int) -> _Context | None:
        owner = self._owners.get(profile)
        return owner() if owner is not None else None

    def _error(self, message: str) -> bool:
        self.errors.append(message)
        return False


class _Context:
    """IExecutionContext behaviour; ``execute_async_v3`` launches the engine's kernel on the given stream."""

    def __init__(self, engine: _Engine) -> None:
        self._engine = engine
        self._spec = engine._spec
        self._profile: int | None = None
        self._shapes: dict[str, tuple[int, ...] | None] = {
            t.name: None if -1 in t.shape else t.shape for t in self._spec.tensors if t.is_input
        }
        self.addresses: dict[str, int] = {}
        self._launch: Launch | None = None
        self._streams: dict[int, Any] = {}
        self.executions = 0
        self.profiler = None
        self.enqueue_emits_profile = True
        self.refuses_capture = False  # synchronize in the enqueue, which stream capture does not permit
        self.allocators: dict[str, Any] = {}  # set_output_allocator

    @property
    def active_optimization_profile(self) -> int:
        return -1 if self._profile is None else self._profile

    def set_optimization_profile_async(self, profile_index: int, stream_handle: int) -> bool:
        engine = self._engine
        if not 0 <= profile_index < engine.num_optimization_profiles:
            return engine._error(f"profile index {profile_index} out of range")
        holder = engine._holder(profile_index)
        if engine._spec.profiles and holder is not None and holder is not self:
            return engine._error(f"Profile {profile_index} has been chosen by another IExecutionContext")
        if self._profile is not None and engine._holder(self._profile) is self:
            del engine._owners[self._profile]
        self._profile = profile_index
        if engine._spec.profiles:
            engine._owners[profile_index] = weakref.ref(self)
            self._shapes = {name: None for name in self._shapes}  # a profile switch invalidates input shapes
        self._launch = None
        return True

    def set_input_shape(self, name: str, shape: Any) -> bool:
        tensor = self._engine._tensors.get(name)
        shape = tuple(int(d) for d in shape)
        if tensor is None or not tensor.is_input:
            return self._engine._error(f"{name} is not an input tensor")
        declared = tensor.shape
        if len(shape) != len(declared) or any(d >= 0 and d != s for d, s in zip(declared, shape, strict=True)):
            return self._engine._error(f"{name}: shape {shape} does not match {tensor.shape}")
        if self._spec.profiles:
            if self._profile is None:
                return self._engine._error("no optimization profile selected for this context")
            low, _, high = self._spec.profiles[self._profile][name]
            if not all(lo <= d <= hi for d, lo, hi in zip(shape, low, high, strict=True)):
                return self._engine._error(f"{name}: {shape} is outside profile {self._profile} [{low}, {high}]")
        self._shapes[name] = shape
        self._launch = None
        return True

    def get_tensor_shape(self, name: str) -> Any:
        trt = self._engine._trt
        tensor = self._engine._tensors[name]
        if tensor.is_input:
            return trt.Dims(self._shapes[name] or tensor.shape)
        if any(s is None for s in self._shapes.values()) or self._spec.layer == "nonzero":
            return trt.Dims(tensor.shape)  # nonzero: data-dependent, known only once the engine ran
        if self._spec.layer == "reshape":  # the output takes the values of the host shape tensor
            values = self._shape_values()
            return trt.Dims(values if values is not None else tensor.shape)
        return trt.Dims(self._spec.output_shapes(self._shapes)[name])  # type: ignore[arg-type]

    def set_output_allocator(self, name: str, output_allocator: Any) -> bool:
        tensor = self._engine._tensors.get(name)
        if tensor is None or tensor.is_input:
            return self._engine._error(f"{name} is not an output tensor")
        self.allocators[name] = output_allocator
        return True

    def get_output_allocator(self, name: str) -> Any:
        return self.allocators.get(name)

    def _shape_values(self) -> tuple[int, ...] | None:
        """The reshape engine's shape-tensor values, read from the bound host address as TensorRT reads them
        (at shape inference and at each enqueue); None, with TensorRT's error, when unset or out of range."""
        engine = self._engine
        tensor = next(t for t in self._spec.tensors if t.shape_tensor)
        address = self.addresses.get(tensor.name)
        if not address:
            engine._error(f"{tensor.name}: shape tensor address not set")
            return None
        count, dtype = int(np.prod(tensor.shape)), np.dtype(np.int64 if tensor.dtype == "INT64" else np.int32)
        raw = (ctypes.c_ubyte * (count * dtype.itemsize)).from_address(address)
        values = tuple(int(v) for v in np.frombuffer(raw, dtype))
        low, _, high = self._spec.values[self._profile or 0][tensor.name]
        if not all(lo <= v <= hi for v, lo, hi in zip(values, low, high, strict=True)):
            engine._error(f"{tensor.name}: shape tensor values {values} out of range of profile {self._profile} "
                          f"[{low}, {high}]")
            return None
        data = self._shapes[self._spec.tensors[0].name]
        if data is None or int(np.prod(values)) != int(np.prod(data)):
            engine._error(f"reshape: {values} does not hold {data}")
            return None
        return values

    def set_tensor_address(self, name: str, memory: int) -> bool:
        if name not in self._engine._tensors:
            return self._engine._error(f"{name} is not an I/O tensor")
        self.addresses[name] = int(memory)
        self._launch = None
        return True

    def execute_async_v3(self, stream_handle: int) -> bool:
        launch = self._launch or self._prepare()
        if launch is None:
            return False
        stream = self._streams.get(stream_handle)
        if stream is None:
            stream = self._streams[stream_handle] = self._engine._kernels.cu.CUstream(stream_handle)
        if self._spec.layer == "reshape" and self._shape_values() is None:
            return False
        if self._spec.layer == "nonzero":
            return self._nonzero(launch, stream)
        if self.refuses_capture:
            err, = self._engine._kernels.cu.cuStreamSynchronize(stream)
            if int(err):
                return self._engine._error(f"synchronizing the stream failed (under capture?): {err}")
        if self.profiler is not None and self.enqueue_emits_profile:
            self.profiler.report_layer_time(self._spec.layer, _timed(launch, stream, self._engine._kernels.cu))
        else:
            launch(stream)
        self.executions += 1
        return True

    def _nonzero(self, count_launch: Launch, stream: Any) -> bool:
        """TensorRT's sequence for a data-dependent output: compute the size, synchronize to read it (what
        CUDA graph capture forbids), ask the output allocator for that many bytes (reallocate_output_async,
        else reallocate_output; a null address fails the enqueue), write the output there, then report its
        final shape (notify_shape), all before the enqueue returns."""
        engine, cu = self._engine, self._engine._kernels.cu
        x, idx = (t.name for t in self._spec.tensors)
        allocator = self.allocators.get(idx)
        if allocator is None:
            return engine._error(f"{idx} has a data-dependent shape and no output allocator")
        count_launch(stream)
        err, = cu.cuStreamSynchronize(stream)
        if int(err):
            return engine._error(f"synchronizing to read the size of {idx} failed (under capture?): {err}")
        count = np.zeros(1, np.int64)
        _ok(cu.cuMemcpyDtoH(count.ctypes.data, int(engine.scratch), 8))
        size, current = int(count[0]) * 8, self.addresses.get(idx, 0)
        if hasattr(allocator, "reallocate_output_async"):
            address = allocator.reallocate_output_async(idx, current, size, 256, int(stream))
        elif hasattr(allocator, "reallocate_output"):
            address = allocator.reallocate_output(idx, current, size, 256)
        else:
            address = 0
        if not address:
            return engine._error(f"the output allocator returned no memory for {idx} ({size} bytes)")
        self.addresses[idx] = int(address)
        n = int(np.prod(self._shapes[x]))  # type: ignore[arg-type]
        args = [(self.addresses[x], np.uint64), (n, np.int64), (int(address), np.uint64)]
        Launch(engine._kernels, "nonzero_indices", 1, 1, args)(stream)
        allocator.notify_shape(idx, engine._trt.Dims((1, int(count[0]))))
        self.executions += 1
        return True

    def _prepare(self) -> Launch | None:
        """Check what TensorRT checks before an enqueue, then build the kernel launch."""
        engine, spec = self._engine, self._spec
        if self._profile is None:
            engine._error("enqueue without an optimization profile")
            return None
        unset = [n for n, s in self._shapes.items() if s is None]
        missing = [t.name for t in spec.tensors if not self.addresses.get(t.name) and t.name not in self.allocators]
        if unset or missing:
            engine._error(f"enqueue with unset input shapes {unset} or addresses {missing}")
            return None
        a = self.addresses
        kernels, counter = engine._kernels, int(engine.launch_counter)
        u64, i32, i64 = np.uint64, np.int32, np.int64
        if spec.layer == "weighted_rows":
            (x, y), rows = [t.name for t in spec.tensors], self._shapes[spec.tensors[0].name][0]  # type: ignore[index]
            args = [(a[x], u64), (int(engine._weights), u64), (a[y], u64), (rows, i32), (MNIST_K, i32),
                    (MNIST_N, i32), (counter, u64)]
            self._launch = Launch(kernels, "weighted_rows", rows, 32 * MNIST_N, args)
        elif spec.layer == "copy":  # every input copied byte for byte to the output after it
            pairs = [(spec.tensors[i], spec.tensors[i + 1]) for i in range(0, len(spec.tensors), 2)]
            launches = [Launch(kernels, "copy_bytes", 64, 256, [(a[i.name], u64), (a[o.name], u64),
                               (_buffer_bytes(i, self._shapes[i.name]), i64), (counter, u64)]) for i, o in pairs]
            self._launch = _Sequence(launches)  # type: ignore[assignment]
        elif spec.layer == "nonzero":
            x = spec.tensors[0].name
            n = int(np.prod(self._shapes[x]))  # type: ignore[arg-type]
            args = [(a[x], u64), (n, i64), (int(engine.scratch), u64), (counter, u64)]
            self._launch = Launch(kernels, "count_nonzero", 1, 1, args)
        elif spec.layer == "reshape":
            data, _, y = (t.name for t in spec.tensors)
            args = [(a[data], u64), (a[y], u64), (int(np.prod(self._shapes[data])), i64), (counter, u64)]  # type: ignore[arg-type]
            self._launch = Launch(kernels, "scale", 1024, 256, args)
        elif spec.layer == "mixed":
            count = int(np.prod(spec.tensors[0].shape))
            args = [*((a[t.name], u64) for t in spec.tensors), (count, i32), (counter, u64)]
            self._launch = Launch(kernels, "mixed", (count + 127) // 128, 128, args)
        else:
            count = spec.tensors[0].shape[0]
            args = [(a["x"], u64), (a["y"], u64), (count, i64), (counter, u64)]
            self._launch = Launch(kernels, "scale", 1024, 256, args)
        return self._launch


class _Sequence:
    """Several launches that run as one enqueue."""

    def __init__(self, launches: list[Launch]) -> None:
        self.launches = launches

    def __call__(self, stream: Any) -> None:
        for launch in self.launches:
            launch(stream)


DTYPE_BYTES = {"FLOAT": 4, "HALF": 2, "BF16": 2, "INT8": 1, "UINT8": 1, "INT32": 4, "INT64": 8, "BOOL": 1, "FP8": 1}


def _buffer_bytes(tensor: Tensor, shape: tuple[int, ...] | None) -> int:
    """Bytes of ``tensor``'s buffer: its vectorized dimension padded to whole vectors, as TensorRT lays it out."""
    dims = list(shape or tensor.shape)
    if tensor.vectorized_dim >= 0:
        k = tensor.components
        dims[tensor.vectorized_dim] = -(-dims[tensor.vectorized_dim] // k) * k
    return int(np.prod(dims)) * DTYPE_BYTES[tensor.dtype]


def _timed(launch: Launch, stream: Any, cu: Any) -> float:
    """Run ``launch`` between two events and wait: the ms a profiler reports for the layer."""
    start, end = _ok(cu.cuEventCreate(0)), _ok(cu.cuEventCreate(0))
    try:
        _ok(cu.cuEventRecord(start, stream))
        launch(stream)
        _ok(cu.cuEventRecord(end, stream))
        _ok(cu.cuEventSynchronize(end))
        return float(_ok(cu.cuEventElapsedTime(start, end)))
    finally:
        cu.cuEventDestroy(start)
        cu.cuEventDestroy(end)


class _Dims:
    """trt.Dims behaviour: a sequence of ints."""

    def __init__(self, shape: Any = ()) -> None:
        self._shape = tuple(int(d) for d in shape)

    def __getitem__(self, index: Any) -> Any:
        return self._shape[index]

    def __len__(self) -> int:
        return len(self._shape)

    def __repr__(self) -> str:
        return repr(self._shape)


class _ProfilerBase:
    """trt.IProfiler: subclasses (trtkit's profiler) implement report_layer_time."""


class _OutputAllocatorBase:
    """trt.IOutputAllocator: the bindings expose only its constructor; subclasses (trtkit's) implement
    reallocate_output(_async) and notify_shape, which the stand-in context calls as TensorRT does."""


@cache
def trt_module(checked: bool = True) -> types.ModuleType:
    """A ``tensorrt``-like module: what trtkit's runner and bench look up on ``flavour.module``.

    ``checked=False`` uses the behaviour classes without the signature-checking wrappers (about 3 us of
    Python per call that real bindings do not cost): scripts/bench_gpu.py times trtkit with it.
    """
    module = types.ModuleType("tensorrt_standin")
    module.__version__ = load_api("tensorrt11")["version"]
    if not checked:
        base = trt_module(True)
        module.TensorIOMode, module.DataType, module.Dims = base.TensorIOMode, base.DataType, base.Dims
        module.TensorLocation, module.TensorFormat = base.TensorLocation, base.TensorFormat
        module.IProfiler, module.ICudaEngine, module.IExecutionContext = base.IProfiler, _Engine, _Context
        module.IOutputAllocator = base.IOutputAllocator
        return module
    module.TensorIOMode = make_enum("TensorIOMode")
    module.DataType = make_enum("DataType")
    module.TensorLocation = make_enum("TensorLocation")
    module.TensorFormat = make_enum("TensorFormat")
    module.IOutputAllocator = make_standin("IOutputAllocator", _OutputAllocatorBase)
    module.Dims = make_standin("Dims", _Dims)
    module.IProfiler = make_standin("IProfiler", _ProfilerBase)
    module.ICudaEngine = make_standin("ICudaEngine", _Engine)
    module.IExecutionContext = make_standin("IExecutionContext", _Context)
    return module


def make_engine(spec: EngineSpec, kernels: Kernels | None, checked: bool = True) -> Any:
    """A stand-in trt.ICudaEngine for ``spec`` (release its device memory with ``free_engine``)."""
    trt = trt_module(checked)
    return trt.ICudaEngine(spec, trt, kernels)


def impl_of(standin: Any) -> Any:
    """The behaviour object behind a stand-in (counters, recorded addresses, errors)."""
    if isinstance(standin, (_Engine, _Context)):
        return standin
    return object.__getattribute__(standin, "_impl")


def launches(engine: Any) -> int:
    """Kernels ``engine`` has run so far, CUDA-graph replays included (waits for the device)."""
    import pycuda.driver as cuda

    cuda.Context.synchronize()
    out = np.zeros(1, np.uint32)
    cuda.memcpy_dtoh(out, impl_of(engine).launch_counter)
    return int(out[0])


def live_contexts(engine: Any) -> list[_Context]:
    """The engine's execution contexts that still exist."""
    return list(impl_of(engine)._contexts)


def free_engine(engine: Any) -> None:
    impl = impl_of(engine)
    for allocation in (impl.launch_counter, impl.scratch, impl._weights):
        if allocation is not None:
            allocation.free()


def flavour(checked: bool = True) -> Any:
    """A real trtkit TensorRT 11 flavour around the stand-in module."""
    from trtkit.platform.flavours import TensorRT11

    return TensorRT11(trt_module(checked))


def mnist_input(rng: np.random.Generator, batch: int = 1) -> np.ndarray:
    """Random MNIST-shaped input on a 1/256 grid in [-1, 1): the stand-in's sums are then exact in float32."""
    return (rng.integers(-256, 256, size=(batch, 1, 28, 28)) / 256.0).astype(np.float32)


def mnist_expected(engine: Any, x: np.ndarray) -> np.ndarray:
    return (x.reshape(len(x), -1).astype(np.float64) @ impl_of(engine).weights.T.astype(np.float64)).astype(np.float32)


def mixed_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """a on a quarter grid, b small ints: c = a + b has at most 8 significant bits, exact in bfloat16."""
    return {
        "a": (rng.integers(-32, 33, size=(3, 7)) / 4.0).astype(np.float16),
        "b": rng.integers(-30, 31, size=(3, 7)).astype(np.int32),
    }


def mixed_expected(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import ml_dtypes

    c = feeds["a"].astype(np.float32) + feeds["b"].astype(np.float32)
    return {"c": c, "d": feeds["b"] * 3 + 7, "e": c.astype(ml_dtypes.bfloat16)}

