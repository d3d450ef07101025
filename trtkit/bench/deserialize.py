"""--timeDeserialize: how long the runtime takes to deserialize a plan, as trtexec's ``timeDeserialize``
(sampleInference.cpp) measures it: two warm-up deserializations, a first timed one, then 20 more; the
dynamic plugin libraries are loaded again inside each timing, as trtexec does. trtexec fails the run when
the first time exceeds twice the average. The bandwidth uses the plan's size (trtexec measures the device
memory the engines took, which pycuda's free-memory figure cannot isolate per engine)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trtkit.platform import cuda
from trtkit.platform.errors import TrtkitError
from trtkit.platform.files import read_bytes
from trtkit.platform.trt import load

if TYPE_CHECKING:
    import tensorrt as trt

ITERATIONS = 20  # trtexec kNB_ITERS
WARM_UP = 2
TOLERANCE = 2.0


@dataclass(frozen=True)
class DeserializeTimes:
    first_ms: float
    total_ms: float
    plan_bytes: int

    @property
    def average_ms(self) -> float:
        return self.total_ms / ITERATIONS

    @property
    def too_slow(self) -> bool:
        """trtexec's failure condition: the first deserialization took over twice the average."""
        return self.first_ms > self.average_ms * TOLERANCE

    def lines(self) -> list[str]:
        """trtexec's log lines."""
        lines = [
            f"First deserialization time = {self.first_ms:g} milliseconds",
            f"Total deserialization time = {self.total_ms:g} milliseconds in {ITERATIONS} iterations, average time = "
            f"{self.average_ms:g} milliseconds, first time = {self.first_ms:g} milliseconds.",
            f"Deserialization Bandwidth = {1e-6 * self.plan_bytes * ITERATIONS / self.total_ms:g} GB/s",
        ]
        if self.too_slow:
            lines.append(f"First deserialization time divided by average time is {self.first_ms / self.average_ms:g}. "
                         f"Exceeds tolerance of {TOLERANCE:g}x.")
        return lines


def time_deserialize(plan: Path, flavor: str | None = None, device: int = 0, dynamic_plugins: Sequence[str] = (),
                     verbosity: int = 0, static_plugins: Sequence[str] = ()) -> DeserializeTimes:
    """Time deserializing ``plan`` on GPU ``device``; a TrtkitError if TensorRT cannot deserialize it."""
    data = read_bytes(plan, "TensorRT plan")
    flavour = load(flavor)
    trt = flavour.module
    errors: list[str] = []
    with cuda.Device(device):
        runtime: trt.Runtime = trt.Runtime(flavour.make_logger(verbosity, errors))
        flavour.load_plugins(runtime.get_plugin_registry(), static_plugins, (), errors)

        def once() -> float:
            start = time.perf_counter()
            flavour.load_plugins(runtime.get_plugin_registry(), (), dynamic_plugins, errors)
            engine: trt.ICudaEngine | None = runtime.deserialize_cuda_engine(data)
            elapsed = (time.perf_counter() - start) * 1000.0
            if engine is None:
                said = errors[0] if errors else "no error was logged"
                raise TrtkitError(f"{plan}: Engine deserialization failed ({flavour}: {said})")
            del engine
            return elapsed

        for _ in range(WARM_UP):
            once()
        first = once()
        total = sum(once() for _ in range(ITERATIONS))
    return DeserializeTimes(first, total, len(data))
