"""The accuracy a reduced precision costs (``trtkit build --eval``): the FP32 model next to the graph trtkit
hands TensorRT, on the same labelled set."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from trtkit.backends.loader import open_backend
from trtkit.data.labelled import load_labelled
from trtkit.data.preprocess import PreprocessOptions
from trtkit.platform.errors import TrtkitError
from trtkit.precision.prepare import PreparedModel
from trtkit.tasks.eval import EvalResult, run_eval


@dataclass
class PrecisionComparison:
    """FP32 accuracy next to the accuracy of the graph trtkit hands TensorRT (both on ONNX Runtime)."""

    precision: str
    reference: EvalResult
    reduced: EvalResult | None
    note: str = ""

    @property
    def delta(self) -> float | None:
        """Reduced minus FP32 top-1, in points."""
        return None if self.reduced is None else self.reduced.accuracy - self.reference.accuracy

    def summary(self) -> str:
        head = f"Accuracy on {self.reference.data}, {self.reference.count} samples (ONNX Runtime): "
        fp32 = f"FP32 {self.reference.accuracy:.2f}%"
        if self.reduced is None:
            return f"{head}{fp32}; {self.precision}: not measured ({self.note})"
        note = f" ({self.note})" if self.note else ""
        return f"{head}{fp32}, {self.precision} {self.reduced.accuracy:.2f}% ({self.delta:+.2f} points){note}"


def compare_precisions(
    original_onnx: Path,
    prepared: PreparedModel,
    data: Path,
    *,
    split: str = "test",
    limit: int | None = None,
    preprocess_options: PreprocessOptions | None = None,
) -> PrecisionComparison:
    """Evaluate the FP32 model and the converted/quantized graph of ``prepared`` through ONNX Runtime (a plan
    cannot run without a GPU). On TensorRT 10's weak typing, FP16 flags are estimated with the strongly typed
    FP16 conversion; BF16 and implicit INT8 cannot be measured on ONNX Runtime's CPU kernels."""
    from trtkit.precision.convert import convert_float, load_model

    precision = prepared.description.split(" (")[0]
    graph, note = prepared.onnx, ""
    if graph is None and prepared.calibrator is not None:
        note = "TensorRT computes implicit INT8 scales during the build"
    elif graph is None and "fp16" in prepared.builder_flags:
        graph = convert_float(load_model(original_onnx), "fp16")
        precision, note = "FP16", "estimated on the strongly typed FP16 graph; weak typing picks per layer"
    elif graph is None:
        note = "nothing to compare" if not prepared.builder_flags else "ONNX Runtime on CPU has no BF16 kernels"
    elif _has_bfloat16(graph):
        graph, note = None, "ONNX Runtime on CPU has no BF16 kernels"
    dataset = load_labelled(data, split, limit)
    with open_backend(original_onnx, "onnxruntime") as backend:
        reference = run_eval(backend, original_onnx, dataset, preprocess_options)
    if graph is None:
        return PrecisionComparison(precision, reference, None, note)
    with tempfile.TemporaryDirectory(prefix="trtkit-eval-") as tmp:
        path = Path(tmp) / f"{original_onnx.stem}.{precision.lower()}.onnx"
        path.write_bytes(graph)
        try:
            with open_backend(path, "onnxruntime") as backend:
                reduced = run_eval(backend, original_onnx, dataset, preprocess_options)
        except TrtkitError as e:  # name the scratch graph by where it came from, not by its temporary path
            raise TrtkitError(str(e).replace(str(path), f"the {precision} graph of {original_onnx}")) from None
    return PrecisionComparison(precision, reference, reduced, note)


def _has_bfloat16(graph: bytes) -> bool:
    import onnx

    model = onnx.load_model_from_string(graph)
    return any(t.data_type == onnx.TensorProto.BFLOAT16 for t in model.graph.initializer)
