"""The accuracy a reduced precision costs (``trtkit build --eval``): the FP32 model on ONNX Runtime next to the
graph trtkit hands TensorRT on the reference backend (every tensor stored in its declared type, as TensorRT's
strongly typed kernels store them), on the same labelled set."""

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
    """FP32 accuracy (ONNX Runtime) next to the accuracy of the graph trtkit hands TensorRT (reference backend)."""

    precision: str
    reference: EvalResult
    reduced: EvalResult | None
    note: str = ""

    @property
    def delta(self) -> float | None:
        """Reduced minus FP32 top-1, in points."""
        return None if self.reduced is None else self.reduced.accuracy - self.reference.accuracy

    def summary(self) -> str:
        head = f"Accuracy on {self.reference.data}, {self.reference.count} samples: "
        fp32 = f"FP32 {self.reference.accuracy:.2f}% (ONNX Runtime)"
        if self.reduced is None:
            return f"{head}{fp32}; {self.precision}: not measured ({self.note})"
        note = f" ({self.note})" if self.note else ""
        reduced = f"{self.precision} {self.reduced.accuracy:.2f}% (reference backend, tensors stored {self.precision})"
        return f"{head}{fp32}, {reduced}, {self.delta:+.2f} points{note}"


def compare_precisions(
    original_onnx: Path,
    prepared: PreparedModel,
    data: Path,
    *,
    split: str = "test",
    limit: int | None = None,
    preprocess_options: PreprocessOptions | None = None,
) -> PrecisionComparison:
    """Evaluate the FP32 model on ONNX Runtime and the converted/quantized graph of ``prepared`` on the
    reference backend (a plan cannot run without a GPU). On TensorRT 10's weak typing, FP16/BF16 flags are
    estimated with the strongly typed conversion; implicit INT8 scales exist only inside TensorRT's build."""
    from trtkit.precision.convert import convert_float, load_model

    precision = prepared.description.split(" (")[0]
    graph, note = prepared.onnx, ""
    if graph is None and prepared.calibrator is not None:
        note = "TensorRT computes implicit INT8 scales during the build"
    elif graph is None and prepared.builder_flags:
        precision = next(p for p in ("fp16", "bf16") if p in prepared.builder_flags)
        graph = convert_float(load_model(original_onnx), precision)
        precision = precision.upper()
        note = f"estimated on the strongly typed {precision} graph; weak typing picks per layer"
    elif graph is None:
        note = "nothing to compare"
    dataset = load_labelled(data, split, limit)
    with open_backend(original_onnx, "onnxruntime") as backend:
        reference = run_eval(backend, original_onnx, dataset, preprocess_options)
    if graph is None:
        return PrecisionComparison(precision, reference, None, note)
    with tempfile.TemporaryDirectory(prefix="trtkit-eval-") as tmp:
        path = Path(tmp) / f"{original_onnx.stem}.{precision.lower()}.onnx"
        path.write_bytes(graph)
        try:
            with open_backend(path, "reference") as backend:
                reduced = run_eval(backend, original_onnx, dataset, preprocess_options)
        except TrtkitError as e:  # name the scratch graph by where it came from, not by its temporary path
            raise TrtkitError(str(e).replace(str(path), f"the {precision} graph of {original_onnx}")) from None
    return PrecisionComparison(precision, reference, reduced, note)

