"""What differs between the two generations of trtexec (10.x and 11.x, which TensorRT-RTX's tensorrt_rtx
tool follows): the inference defaults, the flags one generation deprecates, the advice after the summary.

Plain data, read by the Flavour subclasses in trtkit.platform.trt (``Flavour.inference``) and by bench,
without importing TensorRT, so that a bench on ONNX Runtime needs none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class InferenceDefaults:
    """The inference defaults of the trtexec a flavour ships with, and what that trtexec says about the flags
    of the other generation (sampleOptions.h/.cpp of trtexec 10.16 and 11.x). Class attributes of the
    Flavour subclasses, so that a caller can read them without importing TensorRT."""

    generation: int  # the trtexec major version whose option parser these follow
    cuda_graph: bool  # --useCudaGraph (10) / --noCudaGraph (11)
    data_transfers: bool  # --noDataTransfers (10) / --includeDataTransfers (11)
    spin_wait: bool  # --useSpinWait (10) / --noSpinWait (11)
    separate_profile_run: bool  # --separateProfileRun (10); always on in 11
    deprecated: Mapping[str, str] = field(default_factory=dict)  # flag -> trtexec's warning when it is given
    hints: Mapping[str, str] = field(default_factory=dict)  # advice after the summary: enqueue, transfers, unstable


TRTEXEC10 = InferenceDefaults(
    generation=10, cuda_graph=False, data_transfers=True, spin_wait=False, separate_profile_run=False,
    hints={
        "enqueue": "If not already in use, --useCudaGraph (utilize CUDA graphs where possible) may increase the "
                   "throughput.",
        "transfers": "Add --noDataTransfers flag to disable data transfers.",
        "unstable": "If not already in use, locking GPU clock frequency or adding --useSpinWait may improve the "
                    "stability.",
    },
)
TRTEXEC11 = InferenceDefaults(
    generation=11, cuda_graph=True, data_transfers=False, spin_wait=True, separate_profile_run=True,
    deprecated={
        "--noDataTransfers": "--noDataTransfers is deprecated. Data transfers are now disabled by default. "
                             "Use --includeDataTransfers to re-enable data transfers.",
        "--useSpinWait": "--useSpinWait is deprecated. Spin wait is now enabled by default. "
                         "Use --noSpinWait to disable spin wait.",
        "--useCudaGraph": "--useCudaGraph is deprecated. CUDA graph is now enabled by default. "
                          "Use --noCudaGraph to disable CUDA graph.",
        "--separateProfileRun": "--separateProfileRun is deprecated. Separate profile run is now always enabled. "
                                "This flag will be removed in a future release.",
    },
    hints={
        "enqueue": "If you are using --noCudaGraph, removing it may increase throughput.",
        "transfers": "Consider removing --includeDataTransfers to disable data transfers and potentially increase "
                     "throughput.",
        "unstable": "If not already in use, locking GPU clock frequency may improve the stability.",
    },
)
