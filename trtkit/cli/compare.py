"""`trtkit compare`: one set of inputs through two models (ONNX Runtime and/or TensorRT), per-output errors.
A thin mapping onto trtkit.tasks.compare.CompareOptions; input flags are the same as `trtkit infer`'s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from trtkit.cli.accuracy_options import compare_accuracy_options
from trtkit.cli.common import flavor_option, plan_load_options, plan_loading, verbosity, verbosity_options
from trtkit.cli.infer import input_options, make_input_options
from trtkit.cli.run_options import plan_options
from trtkit.cli.runtime import BACKEND_CHOICES, pop_runtime, runtime_options
from trtkit.platform import log


@click.command("compare")
@click.argument("paths", nargs=-1, required=True, metavar="REFERENCE [CANDIDATE] [INPUTS]...")
@click.option("--engine", type=click.Path(path_type=Path), default=None,
              help="The candidate plan (then every path after REFERENCE is an input file).")
@input_options
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="auto", show_default=True,
              help="The CANDIDATE's backend (--engine: tensorrt); the reference runs on auto's choice. E.g. "
                   "compare m.onnx m.onnx --backend openvino --bf16 measures OpenVINO's BF16 against ONNX Runtime.")
@runtime_options
@click.option("--atol", type=click.FloatRange(min=0), default=1e-5, show_default=True,
              help="Absolute tolerance (Polygraphy --atol).")
@click.option("--rtol", type=click.FloatRange(min=0), default=1e-5, show_default=True,
              help="Relative tolerance against the reference (Polygraphy --rtol).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the random inputs used without files.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as one JSON document.")
@compare_accuracy_options
@plan_options
@plan_load_options
@flavor_option
@verbosity_options
def compare(paths: tuple[str, ...], engine: Path | None, backend: str, atol: float, rtol: float, seed: int,
            as_json: bool, device: int, use_profile: int | None, version_compatible: bool, lean_dll_path: Path | None,
            flavor: str | None, verbose: bool, quiet: bool, **kwargs: Any) -> None:
    """Run the same inputs through REFERENCE and CANDIDATE (each an .onnx model, run on ONNX Runtime, or on
    the reference backend when it is an FP16/BF16/INT8 graph, or a TensorRT plan) and report each output's max
    absolute/relative error; exit 1 on a mismatch.

    An element mismatches when it exceeds both --atol and --rtol, as in Polygraphy; with --accuracyAlgorithm an
    output fails when trtexec's loss reaches --accuracyThreshold. Without input files, seeded random data
    shaped from the reference's inputs (dynamic dimensions from --shapes, else 1). --saveOutputs FILE.npz keeps
    the reference's inputs and outputs; --loadOutputs FILE.npz CANDIDATE reuses them.

    Examples: trtkit compare mnist.onnx --engine mnist.plan;  trtkit compare mnist-8.onnx mnist-12.onnx
    """
    from trtkit.platform.errors import TrtkitError
    from trtkit.tasks.compare import CompareOptions, run_compare

    algorithm, threshold = kwargs.pop("accuracy_algorithm"), kwargs.pop("accuracy_threshold")
    save_outputs, load_outputs = kwargs.pop("save_outputs"), kwargs.pop("load_outputs")
    rest = list(paths[1:])
    candidate_backend = "tensorrt" if engine is not None else backend
    precision, threads = pop_runtime(kwargs)
    if load_outputs is not None:  # the saved file is the reference: every path names the candidate and inputs
        rest = list(paths)
    if engine is None:
        if not rest:
            raise click.UsageError("give a CANDIDATE model after REFERENCE, or --engine PLAN")
        engine = Path(rest.pop(0))
    inputs = make_input_options(tuple(rest), kwargs)
    inputs.seed = seed
    level = verbosity(verbose, quiet)
    log.set_verbosity(level)
    precision.preprocess = inputs.preprocess
    reference = load_outputs if load_outputs is not None else Path(paths[0])
    options = CompareOptions(reference, engine, inputs, candidate_backend, atol, rtol, flavor, level,
                             plan_loading=plan_loading(version_compatible, lean_dll_path), device=device,
                             use_profile=use_profile, algorithm=algorithm, threshold=threshold,
                             save_outputs=save_outputs, load_outputs=load_outputs, precision=precision,
                             threads=threads)
    result = run_compare(options)
    click.echo(result.to_json() if as_json else result.to_text())
    if not result.passed:
        raise TrtkitError(result.failure())
