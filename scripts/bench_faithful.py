"""Which CPU runner judges an FP16/BF16 graph faithfully, and how fast: time per MNIST batch and agreement with
``onnx.reference.ReferenceEvaluator`` (ONNX's per-op-dtype interpreter), side by side in one run.

Runners, on the graphs trtkit's --fp16/--bf16 conversion hands TensorRT:
  refeval     onnx.reference.ReferenceEvaluator on the converted graph (numpy kernels in the declared dtypes)
  reference   trtkit's reference backend: FP32 rewrite, Cast(declared)->Cast(FLOAT) after every FP16/BF16
              producer, ONNX Runtime with graph optimizations off
  ref+opt     the same rewrite with ONNX Runtime's optimizations on (checks whether they remove the casts)
  ort         ONNX Runtime on the converted graph as is (its CPU provider runs FP16 chains in FP32)
and the tiny overflow graph of tests/faithful_graphs.py (an FP16 MatMul past 65504, rescaled back into
range): a faithful runner returns inf there.

Usage: python scripts/bench_faithful.py [--batches 5] [--data ../shared/data/mnist]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx.reference import ReferenceEvaluator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from faithful_graphs import OVERFLOW_INPUT, overflow_model  # noqa: E402

from trtkit.backends.faithful import faithful_graph  # noqa: E402
from trtkit.data.datasets import load_mnist  # noqa: E402
from trtkit.precision.convert import convert_float, load_model  # noqa: E402

Runner = Callable[[dict[str, np.ndarray]], np.ndarray]


def runners(model: onnx.ModelProto) -> dict[str, Runner | None]:
    """Each runner as a function of the feeds returning the first output in FP32 (None: cannot run it)."""
    rewrite = faithful_graph(model).model.SerializeToString()

    def session(graph: bytes, level: ort.GraphOptimizationLevel) -> Runner | None:
        options = ort.SessionOptions()
        options.graph_optimization_level = level
        try:
            s = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except Exception as e:  # ONNX Runtime refuses BF16 graphs (no kernels): report, go on
            print(f"    (ort cannot load: {str(e).split(' : ')[-1][:80]})")
            return None
        return lambda feeds: np.asarray(s.run(None, feeds)[0], np.float32)

    evaluator = ReferenceEvaluator(model)
    return {
        "refeval": lambda feeds: np.asarray(evaluator.run(None, feeds)[0], np.float32),
        "reference": session(rewrite, ort.GraphOptimizationLevel.ORT_DISABLE_ALL),
        "ref+opt": session(rewrite, ort.GraphOptimizationLevel.ORT_ENABLE_ALL),
        "ort": session(model.SerializeToString(), ort.GraphOptimizationLevel.ORT_ENABLE_ALL),
    }


def batches(images: np.ndarray, model: onnx.ModelProto, count: int) -> list[dict[str, np.ndarray]]:
    """``count`` batches of test images preprocessed p/255, sized to the model's batch (1 for mnist-8)."""
    first = model.graph.input[0]
    dim = first.type.tensor_type.shape.dim[0]
    size = dim.dim_value if dim.HasField("dim_value") and dim.dim_value > 0 else 100
    x = images[: size * count].astype(np.float32).reshape(-1, 1, 28, 28) / 255.0
    return [{first.name: x[i * size : (i + 1) * size]} for i in range(count)]


def measure(name: str, model: onnx.ModelProto, feeds: list[dict[str, np.ndarray]]) -> None:
    rows = runners(model)
    results: dict[str, tuple[float, np.ndarray]] = {}
    for label, run in rows.items():
        if run is None:
            continue
        run(feeds[0])  # warm-up
        start = time.perf_counter()
        outputs = np.concatenate([run(f) for f in feeds])
        results[label] = ((time.perf_counter() - start) * 1e3 / len(feeds), outputs)
    base_ms, base = results["refeval"]
    batch = next(iter(feeds[0].values())).shape[0]
    print(f"  {name} (batch {batch}, {len(feeds)} batches)")
    for label, (ms, out) in results.items():
        diff = np.abs(out.astype(np.float64) - base)
        agree = float((out.argmax(1) == base.argmax(1)).mean() * 100)
        print(f"    {label:<10} {ms:9.3f} ms/batch  x{base_ms / ms:7.1f} vs refeval  "
              f"max |diff| {diff.max():.3g}  exact {float((diff == 0).mean() * 100):5.1f}%  top-1 agree {agree:.1f}%")


def overflow() -> None:
    print("Overflow graph (FP16 MatMul = 120000 > 65504, then x0.01): faithful answer is inf")
    for half in (onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16):
        model = overflow_model(half)
        print(f"  {onnx.TensorProto.DataType.Name(half)}:")
        for label, run in runners(model).items():
            if run is not None:
                print(f"    {label:<10} y = {run({'x': OVERFLOW_INPUT})[0, 0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "mnist")
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)  # numpy's FP16 overflow warnings inside refeval
    images, _ = load_mnist(args.data, "test")
    overflow()
    for path in (REPO / "models" / "mnist.onnx", REPO.parent / "shared" / "data" / "models" / "mnist-8.onnx"):
        for precision in ("fp16", "bf16"):
            graph = onnx.load_model_from_string(convert_float(load_model(path), precision))
            print(f"{path.name} {precision.upper()}:")
            measure(f"{path.name} {precision}", graph, batches(images, graph, args.batches))


if __name__ == "__main__":
    main()
