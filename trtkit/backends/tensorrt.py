"""The TensorRT runner: deserialize a plan, pick optimization profiles, bind pinned/device buffers, and run
named arrays through ``execute_async_v3`` on a non-default stream (pycuda), for every flavour.

One :class:`Execution` is one execution context with its own stream and buffers: ``run``/``bind`` use the
backend's own, and ``trtkit bench --infStreams N`` adds N-1 more for the duration of the benchmark. For an
engine with dynamic shapes TensorRT lets contexts in concurrent use share no optimization profile, so each
takes the first profile whose [min, max] ranges contain the input shapes and that no other context holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trtkit.backends.base import Backend
from trtkit.backends.execution import Execution, Shape, dims_of
from trtkit.data.tensors import TensorInfo
from trtkit.data.tensors import format_shape as fmt
from trtkit.platform import cuda
from trtkit.platform.errors import TrtkitError
from trtkit.platform.files import read_bytes
from trtkit.platform.trt import Flavour, load

if TYPE_CHECKING:
    import tensorrt as trt


REBUILD = "rebuild it on this machine with trtkit build"
NEED_GPU = "run it on a machine with an NVIDIA GPU and a driver recent enough for this TensorRT"
# Substrings of TensorRT's deserialization errors -> what they mean for the user, and what to do.
_PLAN_PROBLEMS = (
    ("magicTag", "is not a TensorRT plan, or was built by another TensorRT version or flavour", REBUILD),
    ("serialization version", "was built by another TensorRT version or flavour", REBUILD),
    ("blobSize", "is truncated or corrupt", REBUILD),
    ("minBufferSize", "is truncated or corrupt (too short to be a plan)", REBUILD),
    ("compute capability", "was built for another GPU", REBUILD),
    ("not compatible with this device", "was built for another GPU", REBUILD),
    ("cudaError 35", "cannot run here: the NVIDIA driver is missing or too old", NEED_GPU),
    ("cudaError 100", "cannot run here: no CUDA GPU is visible", NEED_GPU),
    ("Serialization", "is truncated or corrupt", REBUILD),  # any other failed check of the plan's contents
)


def plan_error(path: Path, flavour: Flavour, errors: Sequence[str]) -> TrtkitError:
    """One line for a plan TensorRT refused: the file, the cause TensorRT's first error names, what to do,
    and that error in its own words. Only the first: once deserialization failed, TensorRT's clean-up logs
    follow-on errors (a missing CUDA driver on a machine without a GPU) that say nothing about the plan."""
    said = errors[0] if errors else "no error was logged"
    causes = ((meaning, todo) for key, meaning, todo in _PLAN_PROBLEMS if key in said)
    meaning, todo = next(causes, ("cannot be deserialized", REBUILD))
    return TrtkitError(f"{path}: this plan {meaning}; {todo} ({flavour}: {said})")


class TensorRTBackend(Backend):
    """Runs a TensorRT plan on the GPU: ``TensorRTBackend("model.plan").run({"input": x})``."""

    name = "tensorrt"

    def __init__(
        self, plan_path: str | Path, *, flavor: str | None = None, verbosity: int = 0, profile: int | None = None
    ) -> None:
        path = Path(plan_path)
        plan = read_bytes(path, "TensorRT plan")
        if not plan:
            raise TrtkitError(f"{path}: the plan file is empty; {REBUILD}")
        flavour = load(flavor)
        trt = flavour.module
        self._errors: list[str] = []
        self._logger: trt.ILogger = flavour.make_logger(verbosity, self._errors)
        self._runtime: trt.Runtime | None = trt.Runtime(self._logger)
        engine: trt.ICudaEngine | None = self._runtime.deserialize_cuda_engine(plan)
        if engine is None:
            raise plan_error(path, flavour, self._errors)
        self._open(engine, flavour, profile)

    @classmethod
    def from_engine(cls, engine: trt.ICudaEngine, flavour: Flavour, *, profile: int | None = None) -> TensorRTBackend:
        """A runner around an engine that is already deserialized (the GPU tests' stand-in engines)."""
        self = cls.__new__(cls)
        self._errors, self._runtime = [], None
        self._open(engine, flavour, profile)
        return self

    def _open(self, engine: trt.ICudaEngine, flavour: Flavour, profile: int | None) -> None:
        self.flavour = flavour
        self.engine: trt.ICudaEngine | None = engine
        trt = flavour.module
        inputs, outputs = [], []
        for index in range(engine.num_io_tensors):
            name = engine.get_tensor_name(index)
            dtype = flavour.numpy_dtype(engine.get_tensor_dtype(name))
            info = TensorInfo(name, dims_of(engine.get_tensor_shape(name)), dtype)
            (inputs if engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT else outputs).append(info)
        self.inputs, self.outputs = tuple(inputs), tuple(outputs)
        self.dynamic = any(i.is_dynamic for i in self.inputs)
        count = engine.num_optimization_profiles
        if profile is not None and not 0 <= profile < count:
            raise TrtkitError(f"--optProfile={profile}: the engine has {count} optimization profile(s), 0..{count - 1}")
        self.profile = profile
        self.ranges: list[dict[str, tuple[Shape, Shape]]] = []
        for p in range(count if self.dynamic else 0):
            ranges = {}
            for info in self.inputs:
                low, _opt, high = engine.get_tensor_profile_shape(info.name, p)
                ranges[info.name] = (dims_of(low), dims_of(high))
            self.ranges.append(ranges)
        self._main: Execution | None = None
        self.device: cuda.Device | None = None
        try:
            self.device = cuda.Device()
            self._main = Execution(self)
        except BaseException:
            self.close()
            raise

    def last_error(self) -> str:
        return self._errors[-1] if self._errors else "no TensorRT error was logged"

    def choose_profile(self, shapes: Mapping[str, Shape], taken: frozenset[int], current: int | None) -> int:
        """The profile to run ``shapes`` in: the current one if it still fits, else the first that contains
        every input shape and that no other context holds; a clear error when there is none."""
        candidates = [self.profile] if self.profile is not None else list(range(len(self.ranges)))
        fits = [p for p in candidates if all(_inside(shapes[n], *r) for n, r in self.ranges[p].items())]
        free = [p for p in fits if p not in taken]
        if current in free:
            return current
        if free:
            return free[0]
        if not fits:
            described = "; ".join(
                f"profile {p}: " + ", ".join(f"{n} {fmt(lo)}..{fmt(hi)}" for n, (lo, hi) in self.ranges[p].items())
                for p in candidates
            )
            given = ", ".join(f"{n} {fmt(s)}" for n, s in shapes.items())
            raise TrtkitError(
                f"input shapes {given} are outside every optimization profile of the engine ({described}); "
                "choose shapes inside one, or rebuild with --minShapes/--maxShapes that cover them"
            )
        raise TrtkitError(
            f"--infStreams: each concurrent context needs its own optimization profile, and only {len(fits)} "
            f"profile(s) of the engine contain these shapes; lower --infStreams or build more profiles"
        )

    def _shapes_of(self, feeds: Mapping[str, np.ndarray]) -> dict[str, Shape]:
        """Check the feeds against the engine's inputs; their shapes by name."""
        names = [i.name for i in self.inputs]
        missing = [n for n in names if n not in feeds]
        unknown = [n for n in feeds if n not in names]
        if missing or unknown:
            problem = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
            raise TrtkitError(f"inputs do not match the engine ({problem}); its inputs are: {', '.join(names)}")
        shapes = {}
        for info in self.inputs:
            array = feeds[info.name]
            shape = tuple(np.shape(array))
            if not _fits(shape, info.shape):
                raise TrtkitError(
                    f"input {info.name!r}: shape {fmt(shape)} does not fit the engine's {fmt(info.shape)}"
                )
            dtype = np.asarray(array).dtype
            if not np.can_cast(dtype, info.dtype, "same_kind"):
                raise TrtkitError(
                    f"input {info.name!r}: {dtype} data cannot be cast safely to the engine's {info.dtype}"
                )
            shapes[info.name] = shape
        return shapes

    def _main_execution(self) -> Execution:
        if self._main is None:
            raise TrtkitError("the TensorRT backend is closed")
        return self._main

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """H2D, execute, D2H on the backend's stream; the outputs are copies the caller may keep."""
        outputs = self.bind(feeds)()
        return {name: array.copy() for name, array in outputs.items()}

    def bind(self, feeds: Mapping[str, np.ndarray]) -> Callable[[], dict[str, np.ndarray]]:
        """Shapes, profile, buffers and the feeds' bytes set up once; the callable only copies, executes and
        waits, and returns the pinned output views (overwritten by the next call)."""
        execution = self._main_execution()
        execution.prepare(self._shapes_of(feeds))
        execution.load(feeds)
        generation, ins, outs = execution.generation, execution.copies_in(), execution.copies_out()
        outputs, stream, enqueue = execution.outputs(), execution.stream, execution.enqueue_function()
        driver = cuda.driver()
        htod, dtoh = driver.memcpy_htod_async, driver.memcpy_dtoh_async

        def call() -> dict[str, np.ndarray]:
            if execution.generation != generation:
                raise TrtkitError("the backend's buffers changed since bind(); call bind() again")
            for device, host in ins:
                htod(device, host, stream)
            if not enqueue():
                raise TrtkitError(f"TensorRT could not enqueue the engine: {self.last_error()}")
            for host, device in outs:
                dtoh(host, device, stream)
            stream.synchronize()
            return outputs

        return call

    @contextmanager
    def executions(self, feeds: Mapping[str, np.ndarray], count: int) -> Iterator[list[Execution]]:
        """``count`` executions prepared and loaded with ``feeds`` (the backend's own first); the extra ones
        are freed on exit, so that their optimization profiles are released."""
        shapes = self._shapes_of(feeds)
        executions = [self._main_execution()]
        try:
            while len(executions) < count:
                executions.append(Execution(self))
            taken: set[int] = set()
            for execution in executions:
                execution.prepare(shapes, frozenset(taken))
                execution.load(feeds)
                if self.dynamic and execution.profile is not None:
                    taken.add(execution.profile)
            yield executions
        finally:
            for execution in executions[1:]:
                execution.close()

    def close(self) -> None:
        """Free buffers, stream and context, then the engine and runtime, then release the GPU context."""
        if self._main is not None:
            self._main.close()
            self._main = None
        self.engine = None
        self._runtime = None
        if self.device is not None:
            self.device.close()
            self.device = None


def _fits(shape: Shape, declared: Shape) -> bool:
    """Whether ``shape`` matches the engine's declared shape (-1: any size)."""
    return len(shape) == len(declared) and all(d < 0 or d == s for d, s in zip(declared, shape, strict=True))


def _inside(shape: Shape, low: Shape, high: Shape) -> bool:
    return len(shape) == len(low) and all(lo <= d <= hi for d, lo, hi in zip(shape, low, high, strict=True))


Runner = TensorRTBackend
"""The Python API's name for the TensorRT runner (``trtkit.Runner``)."""
