"""Benchmark options, one field per trtexec flag, with trtexec's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class BenchOptions:
    warm_up_ms: float = 200.0  # --warmUp: run this long before measuring (ms)
    iterations: int = 10  # --iterations: at least this many timed iterations
    duration_s: float = 3.0  # --duration: and at least this long (s)
    avg_runs: int = 10  # --avgRuns: iterations averaged per reported sample
    percentiles: tuple[float, ...] = (90.0, 95.0, 99.0)  # --percentile
    use_cuda_graph: bool = False  # --useCudaGraph
    inf_streams: int = 1  # --infStreams (--streams): contexts in flight
    no_data_transfers: bool = False  # --noDataTransfers
    use_spin_wait: bool = False  # --useSpinWait
    separate_profile_run: bool = False  # --separateProfileRun
    dump_profile: bool = False  # --dumpProfile
    dump_output: bool = False  # --dumpOutput
    export_times: Path | None = None  # --exportTimes
    export_profile: Path | None = None  # --exportProfile
    export_layer_info: Path | None = None  # --exportLayerInfo (OpenVINO's runtime model)
    plot: Path | None = None  # --plot (trtkit's own)
    progress: bool = True  # progress bar on long runs (off with --quiet or no TTY)
