"""Benchmark options, one field per trtexec flag, with trtexec's defaults.

The four switches trtexec 11 flipped (CUDA graph, data transfers, spin-wait, separate profile run) are
None until :func:`resolve` fills them with the defaults of the flavour that runs the plan, so that
``trtkit bench`` reproduces the trtexec that ships with that TensorRT.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from trtkit.platform import log

if TYPE_CHECKING:
    from trtkit.data.accuracy import AccuracyOptions
    from trtkit.platform.trtexec import InferenceDefaults


@dataclass
class BenchOptions:
    warm_up_ms: float = 200.0  # --warmUp: run this long before measuring (ms)
    iterations: int = 10  # --iterations: at least this many timed iterations
    duration_s: float = 3.0  # --duration: and at least this long (s)
    sleep_time_ms: float = 0.0  # --sleepTime: delay between launch and compute start (ms)
    idle_time_ms: float = 0.0  # --idleTime: host sleep between two timed iterations (ms)
    avg_runs: int = 10  # --avgRuns: iterations averaged per reported sample
    percentiles: tuple[float, ...] = (90.0, 95.0, 99.0)  # --percentile
    use_cuda_graph: bool | None = None  # --useCudaGraph (True) / --noCudaGraph (False); None: the flavour's
    inf_streams: int = 1  # --infStreams (--streams): contexts in flight
    no_data_transfers: bool | None = None  # --noDataTransfers (True) / --includeDataTransfers (False)
    use_spin_wait: bool | None = None  # --useSpinWait (True) / --noSpinWait (False)
    separate_profile_run: bool | None = None  # --separateProfileRun (always on with trtexec 11)
    dump_profile: bool = False  # --dumpProfile
    dump_output: bool = False  # --dumpOutput
    export_output: Path | None = None  # --exportOutput
    export_times: Path | None = None  # --exportTimes
    export_profile: Path | None = None  # --exportProfile
    export_layer_info: Path | None = None  # --exportLayerInfo (TensorRT: inspector on the run; OpenVINO: runtime model)
    plot: Path | None = None  # --plot (trtkit's own)
    progress: bool = True  # progress bar on long runs (off with --quiet or no TTY)
    accuracy: AccuracyOptions | None = None  # --loadRefOutputs/--refPair/--atol/--rtol/--accuracyAlgorithm/...

    @property
    def wants_outputs(self) -> bool:
        """--dumpOutput or --exportOutput: the last iteration's outputs are fetched."""
        return self.dump_output or self.export_output is not None


def given_switches(options: BenchOptions) -> list[str]:
    """The trtexec flags behind the switches set explicitly (for backends where they mean nothing)."""
    pairs = (
        (options.use_cuda_graph, "--useCudaGraph", "--noCudaGraph"),
        (options.no_data_transfers, "--noDataTransfers", "--includeDataTransfers"),
        (options.use_spin_wait, "--useSpinWait", "--noSpinWait"),
        (options.separate_profile_run, "--separateProfileRun", None),
    )
    return [flag for value, yes, no in pairs if value is not None and (flag := yes if value else no)]


def resolve(options: BenchOptions, defaults: InferenceDefaults, warn: bool = True) -> BenchOptions:
    """The switches left None set to ``defaults``; with ``warn``, trtexec's deprecation warning for each flag
    the flavour's trtexec deprecates (trtexec 11: the 10.x spellings, which are no-ops there)."""
    if warn:
        for flag in given_switches(options):
            if flag in defaults.deprecated:
                log.warning(defaults.deprecated[flag])
    separate = defaults.separate_profile_run or bool(options.separate_profile_run)
    return replace(
        options,
        use_cuda_graph=defaults.cuda_graph if options.use_cuda_graph is None else options.use_cuda_graph,
        no_data_transfers=(not defaults.data_transfers) if options.no_data_transfers is None
        else options.no_data_transfers,
        use_spin_wait=defaults.spin_wait if options.use_spin_wait is None else options.use_spin_wait,
        separate_profile_run=separate,
    )
