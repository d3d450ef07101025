"""The measurement record every timing loop fills: trtexec's InferenceTrace, one row per iteration.

All times are milliseconds from the start of the measured run. Host times (enqueue) come from
time.perf_counter; device times (H2D, compute, D2H) from CUDA events on the stream, placed on the host
time axis by one event recorded at the start. A backend without device phases (ONNX Runtime) fills
compute with its host-measured run and gives H2D/D2H zero length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRACE_FIELDS = (
    "stream",
    "startEnqMs",
    "endEnqMs",
    "startH2DMs",
    "endH2DMs",
    "startComputeMs",
    "endComputeMs",
    "startD2HMs",
    "endD2HMs",
)
TRACE_DTYPE = np.dtype([(name, np.int32 if name == "stream" else np.float64) for name in TRACE_FIELDS])


def empty_trace(n: int) -> np.ndarray:
    """A preallocated trace, so that timing loops write into it without allocating per iteration."""
    return np.zeros(n, dtype=TRACE_DTYPE)


@dataclass
class BenchRun:
    """One measured run: the per-iteration trace plus what the reports need besides it."""

    trace: np.ndarray  # TRACE_DTYPE rows, warm-up excluded
    walltime_ms: float  # Total Host Walltime of the measured run
    # --dumpProfile: each layer's ms in every profiled iteration, in execution order
    layer_times_ms: dict[str, np.ndarray] | None = None
    outputs: dict[str, np.ndarray] | None = None  # --dumpOutput: outputs of the last iteration
    # --exportLayerInfo: the engine inspector's JSON with the measured context attached (its shapes)
    layer_info: dict[str, object] | None = None
    interrupted: bool = False  # Ctrl-C ended the run: the trace holds the queries that completed
