"""The TensorRT runner: deserialize a plan, pick optimization profiles, bind pinned/device buffers, and run
named arrays through ``execute_async_v3`` on a non-default stream (pycuda), for every flavour.

One :class:`Execution` is one execution context with its own stream and buffers: ``run``/``bind`` use the
backend's own, and ``trtkit bench --infStreams N`` adds N-1 more for the duration of the benchmark. For an
engine with dynamic shapes TensorRT lets contexts in concurrent use share no optimization profile, so each
takes the first profile whose [min, max] ranges contain the input shapes (and shape-tensor values) and that
no other context holds. What each I/O tensor needs (host shape tensors, data-dependent outputs, vectorized
formats) is read from the engine once (trtkit.backends.io_types); docs/runner-io.md says how each is run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trtkit.backends.base import Backend
from trtkit.backends.execution import Execution, Shape, Values, dims_of
from trtkit.backends.io_types import TensorIO, describe, profile_values
from trtkit.backends.plans import REBUILD, make_runtime, plan_error
from trtkit.data.tensors import TensorInfo
from trtkit.data.tensors import format_shape as fmt
from trtkit.platform import cuda
from trtkit.platform.errors import TrtkitError
from trtkit.platform.files import read_bytes
from trtkit.platform.flavours import Flavour
from trtkit.platform.trt import load

if TYPE_CHECKING:
    import tensorrt as trt


class TensorRTBackend(Backend):
    """Runs a TensorRT plan on the GPU: ``TensorRTBackend("model.plan").run({"input": x})``."""

    name = "tensorrt"

    def __init__(
        self, plan_path: str | Path, *, flavor: str | None = None, verbosity: int = 0, profile: int | None = None,
        device: int = 0, static_plugins: Sequence[str] = (), dynamic_plugins: Sequence[str] = (),
        version_compatible: bool = False, lean_dll_path: str | Path | None = None,
    ) -> None:
        path = Path(plan_path)
        plan = read_bytes(path, "TensorRT plan")
        if not plan:
            raise TrtkitError(f"{path}: the plan file is empty; {REBUILD}")
        flavour = load(flavor)
        self._errors: list[str] = []
        self._main: Execution | None = None
        self._logger: trt.ILogger = flavour.make_logger(verbosity, self._errors)
        # --device: TensorRT deserializes on the CUDA runtime's current device, so another GPU than the
        # runtime's default 0 is made current first; for GPU 0 the plan is checked before CUDA is touched.
        self.device: cuda.Device | None = cuda.Device(device) if device else None
        self.host_code_allowed = version_compatible  # trtexec --versionCompatible where the plan is loaded
        # What the API tells: a plan that loads with host code disallowed embeds no lean runtime; with host
        # code allowed TensorRT does not say (backends.plans.lean_runtime_embedded asks without running it).
        self.embeds_lean_runtime: bool | None = None if version_compatible else False
        try:
            self._runtime: trt.Runtime | None
            self._runtime, self._parent = make_runtime(flavour, self._logger, self._errors,
                                                       version_compatible=version_compatible,
                                                       lean_dll_path=lean_dll_path)
            flavour.load_plugins(self._runtime.get_plugin_registry(), static_plugins, dynamic_plugins, self._errors)
            engine: trt.ICudaEngine | None = self._runtime.deserialize_cuda_engine(plan)
            if engine is None:
                raise plan_error(path, flavour, self._errors)
        except BaseException:
            self.close()
            raise
        self._open(engine, flavour, profile)

    @classmethod
    def from_engine(cls, engine: trt.ICudaEngine, flavour: Flavour, *, profile: int | None = None) -> TensorRTBackend:
        """A runner around an engine that is already deserialized (the GPU tests' stand-in engines)."""
        self = cls.__new__(cls)
        self._errors, self._runtime, self._parent, self.device, self._main = [], None, None, None, None
        self.host_code_allowed, self.embeds_lean_runtime = False, None
        self._open(engine, flavour, profile)
        return self

    def _open(self, engine: trt.ICudaEngine, flavour: Flavour, profile: int | None) -> None:
        self.flavour = flavour
        self.engine: trt.ICudaEngine | None = engine
        names = [engine.get_tensor_name(index) for index in range(engine.num_io_tensors)]
        self.io: dict[str, TensorIO] = {name: describe(engine, flavour, name) for name in names}
        shape_inputs = [io for io in self.io.values() if io.is_input and io.shape_tensor and io.host]
        self.dynamic = any(-1 in io.shape for io in self.io.values() if io.is_input) or bool(shape_inputs)
        count = engine.num_optimization_profiles
        if profile is not None and not 0 <= profile < count:
            raise TrtkitError(f"--useProfile={profile}: the engine has {count} optimization profile(s), "
                              f"0..{count - 1} (--dumpOptimizationProfile or trtkit inspect lists them)")
        self.profile = profile
        self.ranges: list[dict[str, tuple[Shape, Shape]]] = []
        self.value_ranges: list[dict[str, tuple[Shape, Shape]]] = []
        opt_shapes: dict[str, Shape] = {}
        opt_values: dict[str, Shape] = {}
        for p in range(count if self.dynamic else 0):
            ranges, value_ranges = {}, {}
            for io in (io for io in self.io.values() if io.is_input):
                if -1 in io.shape:
                    low, opt, high = engine.get_tensor_profile_shape(io.name, p)
                    ranges[io.name] = (dims_of(low), dims_of(high))
                    opt_shapes.setdefault(io.name, dims_of(opt))
                if io in shape_inputs:
                    low, opt, high = profile_values(engine, io.name, p)
                    value_ranges[io.name] = (low, high)
                    opt_values.setdefault(io.name, opt)
            self.ranges.append(ranges)
            self.value_ranges.append(value_ranges)
        first = profile or 0  # trtexec's default shapes: the opt values of the profile it runs in
        if self.dynamic and first:
            opt_shapes = {n: dims_of(engine.get_tensor_profile_shape(n, first)[1]) for n in opt_shapes}
            opt_values = {n: profile_values(engine, n, first)[1] for n in opt_values}
        infos = {
            io.name: TensorInfo(io.name, io.shape, io.dtype, opt_shapes.get(io.name), opt_values.get(io.name))
            for io in self.io.values()
        }
        self.inputs = tuple(infos[n] for n in names if self.io[n].is_input)
        self.outputs = tuple(infos[n] for n in names if not self.io[n].is_input)
        self._main = None
        try:
            if self.device is None:
                self.device = cuda.Device()
            self._main = Execution(self)
        except BaseException:
            self.close()
            raise

    def last_error(self) -> str:
        return self._errors[-1] if self._errors else "no TensorRT error was logged"

    def choose_profile(self, shapes: Mapping[str, Shape], values: Values, taken: frozenset[int],
                       current: int | None) -> int:
        """The profile to run ``shapes`` (and shape-tensor ``values``) in: the current one if it still fits,
        else the first that contains every input shape and value and that no other context holds; a clear
        error when there is none."""
        candidates = [self.profile] if self.profile is not None else list(range(len(self.ranges)))

        def fits(p: int) -> bool:
            return all(_inside(shapes[n], *r) for n, r in self.ranges[p].items()) and all(
                _inside(values[n], *r) for n, r in self.value_ranges[p].items())

        fitting = [p for p in candidates if fits(p)]
        free = [p for p in fitting if p not in taken]
        if current in free:
            return current
        if free:
            return free[0]
        if not fitting:
            raise TrtkitError(self._outside(shapes, values, candidates))
        raise TrtkitError(
            f"--infStreams: each concurrent context needs its own optimization profile, and only {len(fitting)} "
            f"profile(s) of the engine contain these shapes; lower --infStreams or build more profiles"
        )

    def _outside(self, shapes: Mapping[str, Shape], values: Values, candidates: list[int]) -> str:
        """One line: what was given, and each candidate profile's ranges (shape tensors: their values)."""
        def ranges(p: int) -> str:
            shown = [f"{n} {fmt(lo)}..{fmt(hi)}" for n, (lo, hi) in self.ranges[p].items()]
            shown += [f"{n} values {list(lo)}..{list(hi)}" for n, (lo, hi) in self.value_ranges[p].items()]
            return f"profile {p}: " + ", ".join(shown)

        given = [f"{n} {fmt(s)}" for n, s in shapes.items() if n in self.ranges[candidates[0]]]
        given += [f"{n} values {list(v)}" for n, v in values.items()]
        hint = "give shape-tensor values inside one (--loadInputs) or " if values else "choose shapes inside one, or "
        return (f"inputs {', '.join(given)} are outside every optimization profile of the engine "
                f"({'; '.join(ranges(p) for p in candidates)}); {hint}rebuild with --minShapes/--maxShapes that "
                "cover them")

    def _shapes_of(self, feeds: Mapping[str, np.ndarray]) -> tuple[dict[str, Shape], Values]:
        """Check the feeds against the engine's inputs; their shapes by name, and the values of the shape
        tensors TensorRT reads from host memory."""
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
        values = {n: tuple(int(v) for v in np.asarray(feeds[n]).reshape(-1)) for n, io in self.io.items()
                  if io.is_input and io.host}
        return shapes, values

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
        execution.prepare(*self._shapes_of(feeds))
        execution.load(feeds)
        generation, ins, outs = execution.generation, execution.copies_in(), execution.copies_out()
        stream, enqueue, dynamic = execution.stream, execution.enqueue_function(), execution.dynamic
        linear = dynamic is None and all(self.io[o.name].layout is None for o in self.outputs)
        outputs = execution.outputs() if linear else None  # views that stay valid; else made after each run
        driver = cuda.driver()
        htod, dtoh = driver.memcpy_htod_async, driver.memcpy_dtoh_async

        def call() -> dict[str, np.ndarray]:
            if execution.generation != generation:
                raise TrtkitError("the backend's buffers changed since bind(); call bind() again")
            for device, host in ins:
                htod(device, host, stream)
            if dynamic is not None:
                dynamic.begin()
            if not enqueue():
                cause = dynamic.failure if dynamic is not None and dynamic.failure else self.last_error()
                raise TrtkitError(f"TensorRT could not enqueue the engine: {cause}")
            for host, device in outs:
                dtoh(host, device, stream)
            if dynamic is not None:  # sized by TensorRT during the enqueue: copy what it reported
                for host, device in dynamic.copies_out():
                    dtoh(host, device, stream)
            stream.synchronize()
            return outputs if outputs is not None else execution.outputs()

        return call

    @contextmanager
    def executions(self, feeds: Mapping[str, np.ndarray], count: int) -> Iterator[list[Execution]]:
        """``count`` executions prepared and loaded with ``feeds`` (the backend's own first); the extra ones
        are freed on exit, so that their optimization profiles are released."""
        shapes, values = self._shapes_of(feeds)
        executions = [self._main_execution()]
        try:
            while len(executions) < count:
                executions.append(Execution(self))
            taken: set[int] = set()
            for execution in executions:
                execution.prepare(shapes, values, frozenset(taken))
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
        self._runtime = self._parent = None
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
