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
    "inspect": ("trtkit.cli.inspect", "inspect", "A plan's writer and contents, or an ONNX model and parser support."),
    "debug": ("trtkit.cli.debug", "debug", "debug precision: the layers that break FP16/BF16/INT8, and a keep list."),
    "sweep": ("trtkit.cli.sweep", "sweep", "Build, bench and judge a precision x shape x backend grid."),
}

# trtexec flags (trtexec 10.16 and 11.x option parsers: tests/data/trtexec_flags.json, written by
# scripts/trtexec_flags.py from NVIDIA's sources) that no trtkit command implements: a clear message instead of
# click's "No such option". tests/test_trtexec_flags.py keeps it exactly the difference.
TRTEXEC_NOT_YET = frozenset(
    "--adjustForDLA --allocationStrategy --allowGPUFallback "
    "--allowWeightStreaming --asyncFileReader --avgTiming --buildDLAStandalone --calibProfile --consistency "
    "--continue --cpuOnly --decomposableAttentions --directIO --distributiveIndependence --dryRun --dumpKernelText "
    "--dumpLayerInfo --dumpOptimizationProfile --dumpRawBindingsToFile --dumpRefit --enablePluginOverride "
    "--errorOnTimingCacheMiss --exposeDMA --fp8 --helpBuildRoute --ignoreParsedPluginLibs "
    "--int4 --l2LimitForTiling --layerDeviceTypes "
    "--markDebug --markUnfusedTensorsAsDebugTensors --maxShapesCalib --maxTactics --minShapesCalib "
    "--monitorMemory --noBuilderCache --noCompilationCache --optShapesCalib --persistentCacheRatio --pi "
    "--pluginInstanceNorm --preview --profile --refit --refitFromOnnx "
    "--remoteAutoTuningConfig --reportCapabilityDLA --restricted --runtimePlatform --safe --safetyPlugins "
    "--saveAllDebugTensors --saveAllEngines --saveDebugTensors --setBuildRoute --sparsity --stripAllWeights "
    "--stripWeights --tacticSources --tempdir --tempfileControls --threads --tilingOptimizationLevel --timeRefit "
    "--tuneBuildRouteFile --tuneBuildRoutes --tuningCacheFile --tuningResultFile --tuningSearch --tuningTimeOut "
    "--uint8AsymmetricQuantizationDLA --useDLACore --useManagedMemory --useRuntime --weightless "
    "--weightStreamingBudget".split()
)
# Not-yet flags whose job another trtkit command does.
TRTEXEC_ELSEWHERE = {
    "--dumpLayerInfo": "trtkit inspect PLAN lists the layers",
    "--dumpOptimizationProfile": "trtkit inspect PLAN lists the optimization profiles",
}


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
    """A trtexec flag trtkit lacks, or one another trtkit command takes: say so, and where to go."""
    name = error.option_name
    if name in TRTEXEC_NOT_YET:
        elsewhere = f"; {TRTEXEC_ELSEWHERE[name]}" if name in TRTEXEC_ELSEWHERE else ""
        return f"{name} is a trtexec flag that trtkit does not support yet{elsewhere}"
    ctx = error.ctx
    if ctx is None or not name.startswith("--"):
        return None
    takers = [command for command, (module, attr, _) in COMMANDS.items()
              if command != ctx.info_name and name in _options_of(getattr(import_module(module), attr))]
    if takers:
        verb = "takes" if len(takers) == 1 else "take"
        return f"trtkit {ctx.info_name} has no {name}; trtkit {' and trtkit '.join(takers)} {verb} it"
    return None


def _options_of(command: click.Command) -> set[str]:
    return {o for p in command.params if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)}


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
