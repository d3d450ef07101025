"""How a CPU backend (ONNX Runtime, OpenVINO) runs a model: the runtime's side of the flags. Imported by the
CLI and the loader, so it imports nothing heavy."""

from __future__ import annotations

from dataclasses import dataclass, field

# --fp16/--bf16 -> OpenVINO's INFERENCE_PRECISION_HINT. FP32 is set explicitly: without a hint OpenVINO's CPU
# plugin runs BF16 on CPUs with AVX-512 BF16 or AMX, silently (logits off by ~0.5% on MNIST).
FLOAT_HINTS = ("f32", "f16", "bf16")


@dataclass
class RuntimeOptions:
    """One field per flag (the flag in each comment); the defaults are what trtkit runs without flags."""

    threads: int = 0  # --cpuThreads: ONNX Runtime intra-op threads / OpenVINO INFERENCE_NUM_THREADS; 0: its default
    inference_precision: str = "f32"  # --fp16 / --bf16: OpenVINO INFERENCE_PRECISION_HINT (int8 comes as Q/DQ)
    streams: int = 1  # --infStreams: 1 = OpenVINO's latency hint; N > 1 = throughput hint, N streams and requests
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # --shapes: OpenVINO reshapes before compiling
    profile: bool = False  # --dumpProfile / --exportProfile: OpenVINO PERF_COUNT

    def is_default(self) -> bool:
        """True when nothing CPU-specific was asked for (what a TensorRT plan can honour)."""
        return self.threads == 0 and self.inference_precision == "f32"
