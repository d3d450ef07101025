"""What ``trtkit build`` does around the builder: the accuracy of the built precision next to FP32
(``--eval``), and trtexec's short inference run of the new plan where this machine can run it."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from trtkit.bench.benchmark import ModelOptions, benchmark
from trtkit.bench.options import BenchOptions
from trtkit.bench.report import print_report
from trtkit.builder.builder import BuildOptions, BuildResult
from trtkit.builder.builder import build as build_plan
from trtkit.platform import log
from trtkit.platform.errors import TrtkitError
from trtkit.tasks.accuracy import PrecisionComparison, compare_precisions


def build(options: BuildOptions) -> tuple[BuildResult, PrecisionComparison | None]:
    """Build (and save) the plan; with ``options.eval_data`` also measure what its precision costs."""
    result = build_plan(options)
    accuracy = None
    if options.eval_data is not None and result.prepared is not None:
        accuracy = compare_precisions(Path(options.onnx), result.prepared, options.eval_data,
                                      preprocess_options=options.precision.preprocess)
        log.info(accuracy.summary())
    return result, accuracy


def infer_after_build(plan: bytes, save_engine: Path | None, model: ModelOptions) -> None:
    """trtexec measures the engine it just built; trtkit does too where this machine can run the plan, and
    otherwise says why it cannot (TensorRT-RTX builds fine on a machine with no GPU). ``model`` carries
    the run's flags (--flavor, --device, --useProfile, --shapes, plugins, --versionCompatible); its engine is
    the new plan."""
    from trtkit.backends.tensorrt import TensorRTBackend

    level = model.verbosity
    with tempfile.TemporaryDirectory(prefix="trtkit-build-") as scratch:
        path = save_engine or Path(scratch) / "built.plan"
        if save_engine is None:
            path.write_bytes(plan)
        try:
            TensorRTBackend(path, flavor=model.flavor, verbosity=-2, device=model.device,
                            static_plugins=model.static_plugins, dynamic_plugins=model.dynamic_plugins,
                            **model.plan_loading.kwargs()).close()
        except TrtkitError as e:  # a scratch plan is named as what it is, not by its temporary path
            said = str(e) if save_engine is not None else str(e).replace(str(path), "the built plan")
            log.info(f"Inference skipped: {said} (--skipInference builds without trying)")
            return
        bench_options = BenchOptions(progress=level >= 0)
        print_report(benchmark(replace(model, engine=path), bench_options), bench_options, level, as_json=False)
