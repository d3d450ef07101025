"""``trtkit infer``: input files -> feeds -> backend runs -> classification, JSON and trtexec's output export.

``run_infer(InferOptions(...))`` is the command's whole code path; the click command only maps flags.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from trtkit.backends.base import Backend
from trtkit.backends.faithful import choose_backend
from trtkit.backends.plans import PlanLoading
from trtkit.backends.validation import check_backend
from trtkit.builder.cpu_model import open_model
from trtkit.data.accuracy import AccuracyOptions, TensorAccuracy
from trtkit.data.examples import SAMPLES, sample_images
from trtkit.data.feeds import Feeds, InputOptions, Run, make_runs
from trtkit.data.postprocess import Prediction, classify, export_outputs, format_prediction, is_class_scores
from trtkit.data.tensors import TensorInfo
from trtkit.data.tensors import format_shape as fmt
from trtkit.platform import log
from trtkit.platform.files import check_writable
from trtkit.precision.options import PrecisionOptions


@dataclass
class InferOptions:
    model: Path  # the plan or .onnx model (positional; trtexec --loadEngine / --onnx)
    inputs: InputOptions = field(default_factory=InputOptions)
    backend: str = "auto"  # --backend auto|tensorrt|onnxruntime|openvino (auto: see loader.resolve_backend)
    flavor: str | None = None  # --flavor: which TensorRT loads a plan
    topk: int = 3  # --topk: classes listed per sample
    softmax: bool = True  # --softmax/--no-softmax: on 2-D [N, C] score outputs
    export_output: Path | None = None  # --exportOutput (trtexec): raw outputs as JSON
    plan_loading: PlanLoading = field(default_factory=PlanLoading)  # --versionCompatible, --leanDLLPath
    verbosity: int = 0  # --verbose 2 / --quiet -1
    device: int = 0  # --device: GPU ordinal a plan runs on
    use_profile: int | None = None  # --useProfile: optimization profile of a multi-profile plan
    accuracy: AccuracyOptions = field(default_factory=AccuracyOptions)  # --loadRefOutputs, --refPair, --atol ...
    precision: PrecisionOptions = field(default_factory=PrecisionOptions)  # --fp16 --bf16 --int8 --calib...
    threads: int = 0  # --cpuThreads


@dataclass
class InferResult:
    """Everything a report needs: predictions, the outputs of all runs, and where the time went."""

    model: Path
    backend: str
    inputs: tuple[TensorInfo, ...]
    outputs: list[tuple[str, np.ndarray]]  # per output, runs stacked along the batch axis
    predictions: list[Prediction]
    feeds: Feeds
    timings_ms: dict[str, object]
    accuracy: list[TensorAccuracy] = field(default_factory=list)  # one per reference tensor (--loadRefOutputs)

    def to_json(self) -> str:
        """One JSON document: model, backend, preprocessing, predictions, output shapes and timings."""
        pipeline = self.feeds.pipeline
        doc = {
            "model": str(self.model),
            "backend": self.backend,
            "inputs": [{"name": i.name, "shape": list(i.shape), "dtype": str(i.dtype)} for i in self.inputs],
            "preprocess": pipeline.describe() if pipeline else None,
            "predictions": [p.to_json() for p in self.predictions],
            "outputs": [{"name": n, "shape": list(a.shape), "dtype": str(a.dtype)} for n, a in self.outputs],
            "timings_ms": self.timings_ms,
        }
        if self.accuracy:  # --loadRefOutputs: each reference tensor's loss (NaN/inf as JSON's NaN/Infinity)
            doc["accuracy"] = [{"pair": r.pair, "tensor": r.name, "loss": r.loss, "failed": r.failed}
                               for r in self.accuracy]  # fmt: skip
        return json.dumps(doc, indent=2)

    def to_text(self, verbosity: int = 0) -> str:
        """The sample's bars per prediction (--quiet: one ``source: class (probability)`` line each), then a
        summary of each output that is not class scores."""
        if verbosity < 0:
            lines = [f"{p.source}: {p.label} ({p.topk[0][1]:.4f})" for p in self.predictions]
        else:
            lines = [format_prediction(p) for p in self.predictions]
        classified = {p.output for p in self.predictions}
        for name, array in self.outputs:
            if name not in classified:
                lines.append(f"Output {name!r}: {fmt(array.shape)} {array.dtype}{_summary(array)}")
        return "\n".join(lines)


def _summary(array: np.ndarray) -> str:
    if array.size == 0 or array.dtype.kind not in "fiu":
        return ""
    a = array.astype(np.float64)
    return f", min {a.min():.6g}, max {a.max():.6g}, mean {a.mean():.6g} (all values: --exportOutput)"


def _with_samples(inputs: InputOptions, infos: tuple[TensorInfo, ...]) -> InputOptions:
    """No inputs for an MNIST-shaped model (one input of Nx1x28x28): the bundled sample digits, so that a
    fresh install has something to show. Any other model still needs its data named."""
    if inputs.files or inputs.load_inputs or len(infos) != 1 or tuple(infos[0].shape[-3:]) != (1, 28, 28):
        return inputs
    samples = sample_images()
    log.info(f"no inputs given: classifying the {len(samples)} bundled sample digits ({SAMPLES})")
    return replace(inputs, files=samples)


def run_infer(options: InferOptions) -> InferResult:
    """Open the backend, build the runs, run them, classify [N, C] score outputs, export if asked."""
    check_writable(("--exportOutput", options.export_output))
    t0 = time.perf_counter()
    backend_name = choose_backend(options.model, options.backend)
    with open_model(options.model, backend_name, precision=options.precision, threads=options.threads,
                    shapes=options.inputs.shapes, flavor=options.flavor, verbosity=options.verbosity,
                    gpu=options.device, profile=options.use_profile, **options.plan_loading.kwargs()) as backend:
        t1 = time.perf_counter()
        feeds = make_runs(backend.inputs, _with_samples(options.inputs, backend.inputs))
        t2 = time.perf_counter()
        results, run_ms = _run_all(backend, feeds.runs)
        name, inputs = backend.name, backend.inputs
        accuracy = check_backend(backend, options.accuracy, options.inputs.shapes) if options.accuracy.enabled else []
    predictions = [
        prediction
        for run, outputs in zip(feeds.runs, results, strict=True)
        for output, array in outputs.items()
        if is_class_scores(array, len(run.sources))
        for prediction in classify(array, run.sources, output, topk=options.topk, apply_softmax=options.softmax)
    ]
    samples = sum(len(r.sources) for r in feeds.runs)
    log.info(f"Model: {options.model} ({name})")
    if feeds.pipeline:
        log.info(f"Preprocess: {feeds.pipeline.describe()}")
    log.info(f"{samples} sample(s) in {len(feeds.runs)} run(s): {sum(run_ms):.3f} ms inference")
    stacked = stack_outputs(results)
    if options.export_output is not None:
        export_outputs(options.export_output, stacked)
    timings = {
        "open": (t1 - t0) * 1e3,
        "load_and_preprocess": (t2 - t1) * 1e3,
        "infer": sum(run_ms),
        "runs": run_ms,
    }
    return InferResult(options.model, name, inputs, stacked, predictions, feeds, timings, accuracy)


def _run_all(backend: Backend, runs: list[Run]) -> tuple[list[dict[str, np.ndarray]], list[float]]:
    """Run each feed set; outputs with a row per fed sample drop the padding rows."""
    results, times = [], []
    for run in runs:
        start = time.perf_counter()
        outputs = backend.run(run.feeds)
        times.append((time.perf_counter() - start) * 1e3)
        rows = len(run.sources)
        results.append(
            {n: a[:rows] if rows < run.batch and a.ndim and a.shape[0] == run.batch else a for n, a in outputs.items()}
        )
    return results, times


def stack_outputs(results: list[dict[str, np.ndarray]]) -> list[tuple[str, np.ndarray]]:
    """Each output's runs concatenated along the batch axis (as if all samples ran in one batch); an output
    whose runs differ beyond the batch axis keeps one entry per run."""
    stacked: list[tuple[str, np.ndarray]] = []
    for name in results[0] if results else ():
        parts = [r[name] for r in results]
        if len(parts) == 1:
            stacked.append((name, parts[0]))
        elif all(p.ndim and p.shape[1:] == parts[0].shape[1:] for p in parts):
            stacked.append((name, np.concatenate(parts)))
        else:
            stacked += [(name, p) for p in parts]
    return stacked
