"""`trtkit infer`: run a plan or ONNX model on images or arrays and classify. A thin mapping onto
trtkit.tasks.infer.InferOptions; the input flags are shared with `trtkit compare`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from trtkit.cli.accuracy_options import accuracy_options, make_accuracy_options, raise_on_failure
from trtkit.cli.common import flavor_option, plan_load_options, plan_loading, verbosity, verbosity_options, with_options
from trtkit.cli.run_options import plan_options
from trtkit.cli.runtime import BACKEND_CHOICES, BACKEND_HELP, pop_runtime, runtime_options
from trtkit.platform import log

F = TypeVar("F", bound=Callable[..., object])
# The choices, spelled here so that --help needs neither numpy nor the preprocessing module.
PRESET_CHOICES = ("auto", "invert", "unit", "signed", "imagenet", "caffe", "none")


def _floats(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        return tuple(float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected numbers separated by commas, e.g. 0.485,0.456,0.406") from None


def input_options(f: F) -> F:
    """Where inputs come from and how images are preprocessed (trtexec's --loadInputs/--shapes and trtkit's own)."""
    options = [
        click.option("--loadInputs", "load_inputs", multiple=True, metavar="name:file[,name:file]",
                     help="Input data per tensor (trtexec --loadInputs): .npy/.npz/.pb, or raw bytes like trtexec."),
        click.option("--shapes", "shapes", metavar="name:1x1x28x28[,...]",
                     help="Shapes of dynamic inputs (trtexec --shapes); a fixed batch runs images in chunks."),
        click.option("--preprocess", "preset", type=click.Choice(PRESET_CHOICES), default="auto", show_default=True,
                     help="Image preset: invert 1-p/255 (dark on light, the samples), unit p/255 (MNIST's own "
                     "white on black), signed, imagenet, caffe, none (raw 0..255); auto: invert for 1-channel, "
                     "imagenet for 3-channel inputs."),
        click.option("--color", type=click.Choice(("gray", "rgb", "bgr")), default=None,
                     help="Colour space fed to the model (default: from the input's channels)."),
        click.option("--layout", type=click.Choice(("NCHW", "NHWC"), case_sensitive=False), default=None,
                     help="Image tensor layout (default: from the input's shape)."),
        click.option("--scale", type=float, default=None, help="Pixel scale after --invert (preset's default)."),
        click.option("--mean", callback=_floats, default=None, metavar="M[,M,M]", help="Per-channel mean to subtract."),
        click.option("--std", callback=_floats, default=None, metavar="S[,S,S]", help="Per-channel std to divide by."),
        click.option("--invert/--no-invert", default=None, help="p -> 255 - p before scaling (preset's default)."),
        click.option("--resize/--no-resize", default=True, show_default=True,
                     help="Resize images to the input's HxW (bilinear), or fail when they differ."),
    ]
    return with_options(f, options)


def make_input_options(files: tuple[str, ...], kwargs: dict[str, Any]) -> Any:
    """The InputOptions for the flags of :func:`input_options` (popped from ``kwargs``)."""
    from trtkit.builder.profiles import parse_shape_spec
    from trtkit.data.feeds import InputOptions
    from trtkit.data.inputs import parse_load_inputs
    from trtkit.data.preprocess import PreprocessOptions

    load_inputs: dict[str, Path] = {}
    for spec in kwargs.pop("load_inputs"):
        load_inputs.update(parse_load_inputs(spec))
    shapes = kwargs.pop("shapes")
    preprocess = PreprocessOptions(
        preset=kwargs.pop("preset"),
        color=kwargs.pop("color"),
        layout=kwargs.pop("layout"),
        scale=kwargs.pop("scale"),
        mean=kwargs.pop("mean"),
        std=kwargs.pop("std"),
        invert=kwargs.pop("invert"),
        resize=kwargs.pop("resize"),
    )
    return InputOptions(
        files=tuple(Path(f) for f in files),
        load_inputs=load_inputs,
        shapes=parse_shape_spec(shapes, "--shapes") if shapes else {},
        preprocess=preprocess,
    )


@click.command("infer")
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1, type=click.Path())
@input_options
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="auto", show_default=True, help=BACKEND_HELP)
@runtime_options
@click.option("--topk", type=click.IntRange(min=1), default=3, show_default=True, help="Classes listed per sample.")
@click.option("--softmax/--no-softmax", default=True, show_default=True,
              help="Softmax over 2-D [N, C] score outputs (off when the model already outputs probabilities).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (predictions, backend, timings).")
@click.option("--exportOutput", "export_output", type=click.Path(path_type=Path), default=None,
              help="Write the raw outputs as JSON (trtexec --exportOutput layout).")
@click.option("--dumpOutput", "dump_output", is_flag=True,
              help="Print the raw outputs as trtkit bench does (trtexec --dumpOutput).")
@plan_options
@plan_load_options
@accuracy_options
@flavor_option
@verbosity_options
def infer(model: Path, inputs: tuple[str, ...], backend: str, topk: int, softmax: bool, as_json: bool,
          export_output: Path | None, dump_output: bool, device: int, use_profile: int | None,
          version_compatible: bool, lean_dll_path: Path | None, flavor: str | None,
          verbose: bool, quiet: bool, **kwargs: Any) -> None:
    """Run MODEL (a TensorRT plan or .onnx) on INPUTS: images (PGM/PNG/JPEG/...), .npy/.npz arrays or ONNX
    TensorProto .pb files, and print each sample's class with the TensorRT MNIST sample's probability bars.

    Example: trtkit infer mnist.plan samples/0.pgm
    """
    from trtkit.tasks.infer import InferOptions, run_infer

    level = verbosity(verbose, quiet)
    log.set_verbosity(level)
    accuracy = make_accuracy_options(kwargs, kwargs["load_inputs"])
    precision, threads = pop_runtime(kwargs)
    input_options = make_input_options(inputs, kwargs)
    precision.preprocess = input_options.preprocess
    options = InferOptions(
        model=model,
        inputs=input_options,
        backend=backend,
        precision=precision,
        threads=threads,
        flavor=flavor,
        topk=topk,
        softmax=softmax,
        export_output=export_output,
        plan_loading=plan_loading(version_compatible, lean_dll_path),
        verbosity=level,
        device=device,
        use_profile=use_profile,
        accuracy=accuracy,
    )
    result = run_infer(options)
    click.echo(result.to_json() if as_json else result.to_text(level))
    if dump_output:
        from trtkit.bench.report import output_lines

        click.echo("\n".join(f"[I] {line}" for line in output_lines(result.outputs)), err=as_json)
    raise_on_failure(result.accuracy)
