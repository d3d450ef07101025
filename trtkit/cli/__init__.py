"""The `trtkit` command: a click group whose subcommands are imported only when used.

Every subcommand module imports click and plain option code only; TensorRT, pycuda, ONNX Runtime and onnx
load inside the command, so ``trtkit --help`` answers instantly on a machine with none of them.
"""

from __future__ import annotations

import sys
import traceback
from importlib import import_module

import click

from trtkit import __version__
from trtkit.platform.errors import Interrupted, as_trtkit_error

COMMANDS = {
    "build": ("trtkit.cli.build", "build", "Build a TensorRT engine (plan) from an ONNX model."),
    "infer": ("trtkit.cli.infer", "infer", "Run a plan or ONNX model on images or arrays and classify."),
    "bench": ("trtkit.cli.bench", "bench", "Measure latency and throughput like trtexec."),
    "compare": ("trtkit.cli.compare", "compare", "Run the same inputs through two backends and compare outputs."),
    "eval": ("trtkit.cli.eval", "eval_", "Top-1 accuracy of a plan or ONNX model on a labelled set."),
}

# trtexec flags that trtkit recognises but does not implement yet: a clear message instead of click's
# "No such option".
TRTEXEC_NOT_YET = frozenset(
    "--useDLACore --allowGPUFallback --plugins --staticPlugins --dynamicPlugins --setPluginsToSerialize "
    "--safe --consistency --sparsity --refit --stripWeights --stripAllWeights --fp8 --int4 --fp4 "
    "--directIO --layerPrecisions --layerOutputTypes --layerDeviceTypes --precisionConstraints "
    "--tacticSources --calibProfile --restricted --weightStreaming --weightStreamingBudget "
    "--markDebug --markUnfusedTensorsAsDebugTensors --saveDebugTensors --getPlanVersionOnly "
    "--preview --allocationStrategy --setOutputAllocator --memPoolSize=dlaSRAM --persistentCacheRatio "
    "--maxTactics --tilingOptimizationLevel --l2LimitForTiling --excludeLeanRuntime --leanDLLPath "
    "--device --threads --exposeDMA --idleTime --loadRuntimeCache --saveRuntimeCache".split()
)


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand runs or shows its own help."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        return getattr(import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands from the table, without importing them."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, _, short) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trtkit")
def cli() -> None:
    """trtkit: trtexec in Python. Build TensorRT engines from ONNX, run them, benchmark them.

    One command line works on TensorRT 10.x, TensorRT 11.x and TensorRT-RTX 1.x; ONNX models also run
    on ONNX Runtime anywhere.
    """


def _explain_unknown(error: click.NoSuchOption) -> str | None:
    name = error.option_name
    if name in TRTEXEC_NOT_YET:
        return f"{name} is a trtexec flag that trtkit does not support yet"
    return None


def main(argv: list[str] | None = None) -> None:
    """Entry point, and the one error path of every command: whatever goes wrong ends in one line
    ``trtkit: error: ...`` on stderr and a non-zero exit; the traceback only with --verbose."""
    args = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in args or "-v" in args
    try:
        cli.main(args=args, prog_name="trtkit", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:
        e.show()  # `trtkit build` alone: the command's help, as click shows it
        sys.exit(e.exit_code)
    except click.NoSuchOption as e:
        _fail(_explain_unknown(e) or _usage(e), 2)
    except click.UsageError as e:
        _fail(_usage(e), e.exit_code)
    except click.ClickException as e:
        _fail(e.format_message(), e.exit_code)
    except click.Abort:
        click.echo("trtkit: interrupted", err=True)
        sys.exit(130)
    except Interrupted as e:
        if verbose:
            traceback.print_exc()
        click.echo(f"trtkit: interrupted: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("trtkit: interrupted", err=True)
        sys.exit(130)
    except BaseException as e:  # the one place where every failure becomes one line
        if isinstance(e, SystemExit | GeneratorExit):
            raise
        if verbose:
            traceback.print_exc()
        error = as_trtkit_error(e)
        _fail(str(error), error.exit_code)


def _usage(error: click.UsageError) -> str:
    """click's message, pointing at the command's help instead of printing the usage block."""
    where = f"; see '{error.ctx.command_path} --help'" if error.ctx is not None else ""
    return error.format_message().rstrip(".") + where


def _fail(message: str, code: int) -> None:
    click.echo(f"trtkit: error: {' '.join(message.split())}", err=True)
    sys.exit(code)
