"""What each precision costs and gives on the MNIST models: top-1 on the 10,000 test images (the graph trtkit
hands a strongly typed TensorRT, run on the reference backend with every tensor stored in its declared type;
FP32 on ONNX Runtime), time to prepare the graph (conversion or calibration),
and the TensorRT-RTX plan's build time and size. A table for the README's evidence section.

    python scripts/bench_precision.py [--calibSamples 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trtkit.builder.builder import BuildOptions, build  # noqa: E402
from trtkit.platform import log  # noqa: E402
from trtkit.platform.trt import load  # noqa: E402
from trtkit.precision.options import PrecisionOptions  # noqa: E402
from trtkit.precision.prepare import prepare  # noqa: E402
from trtkit.tasks.accuracy import compare_precisions  # noqa: E402

MNIST = REPO.parent / "shared" / "data" / "mnist"
MODELS = [REPO / "models" / "mnist.onnx", REPO.parent / "shared" / "data" / "models" / "mnist-8.onnx"]


def variants(samples: int) -> dict[str, PrecisionOptions]:
    int8 = {f"int8-{a}": PrecisionOptions(int8=True, calib=MNIST, calib_algo=a, calib_samples=samples)
            for a in ("entropy", "minmax", "percentile")}
    return {"fp32": PrecisionOptions(), "fp16": PrecisionOptions(fp16=True), "bf16": PrecisionOptions(bf16=True),
            **int8}


def measure(model: Path, name: str, options: PrecisionOptions, scratch: Path) -> dict[str, object]:
    flavour = load("rtx")
    start = time.perf_counter()
    prepared = prepare(model, options, flavour, strongly_typed=False)
    prepare_s = time.perf_counter() - start
    graph = model
    if prepared.onnx is not None:
        graph = scratch / f"{model.stem}.{name}.onnx"
        graph.write_bytes(prepared.onnx)
    result = build(BuildOptions(onnx=graph, flavor="rtx", verbosity=-1))
    comparison = compare_precisions(model, prepared, MNIST)
    reduced = comparison.reduced or (comparison.reference if name == "fp32" else None)
    return {"model": model.name, "precision": name, "top1": reduced.accuracy if reduced else None,
            "fp32_top1": comparison.reference.accuracy, "prepare_s": prepare_s, "build_s": result.build_time_s,
            "plan_bytes": len(result.plan), "note": comparison.note}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibSamples", type=int, default=1000, help="MNIST training images to calibrate on")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    log.set_verbosity(-1)
    with tempfile.TemporaryDirectory(prefix="trtkit-bench-precision-") as scratch:
        rows = [measure(m, n, o, Path(scratch)) for m in MODELS for n, o in variants(args.calibSamples).items()]
    print("| model | precision | top-1 (faithful) | vs FP32 | prepare s | RTX build s | plan KiB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        top1 = f"n/a ({r['note']})" if r["top1"] is None else f"{r['top1']:.2f}%"
        delta = "" if r["top1"] is None else f"{r['top1'] - r['fp32_top1']:+.2f}"
        print(f"| {r['model']} | {r['precision']} | {top1} | {delta} | {r['prepare_s']:.2f} | {r['build_s']:.3f} "
              f"| {r['plan_bytes'] / 1024:.0f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
