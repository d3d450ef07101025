"""trtkit's "not supported yet" list is exactly the trtexec flags no trtkit command implements: every name in
it is a flag trtexec 10.16's or 11.x's own option parser takes (tests/data/trtexec_flags.json, written by
scripts/trtexec_flags.py from NVIDIA's sampleOptions.cpp), and every such flag is either an option of some
trtkit command or in the list."""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path

import click
import pytest
from helpers import cli

from trtkit.cli import COMMANDS, TRTEXEC_ELSEWHERE, TRTEXEC_NOT_YET

DATA = Path(__file__).resolve().parent / "data" / "trtexec_flags.json"
SOURCES = Path("/tmp/research/src")
RECORDED = json.loads(DATA.read_text())
TRTEXEC = frozenset().union(*RECORDED["flags"].values())


def _implemented() -> set[str]:
    names = set()
    for module, attr, _ in COMMANDS.values():
        command = getattr(import_module(module), attr)
        names |= {o for p in command.params if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)}
    return names | {"-h", "--help"}  # the group's and every command's help option


def test_the_recorded_lists_are_trtexecs() -> None:
    flags = RECORDED["flags"]
    assert set(flags) == {"10.16", "11.0", "11.1"}
    assert {"--fp16", "--int8", "--best", "--useCudaGraph", "--loadEngine"} <= set(flags["10.16"])
    assert not {"--fp16", "--int8", "--best"} & set(flags["11.1"]), "trtexec 11 removed the precision flags"
    assert {"--noCudaGraph", "--noSpinWait", "--includeDataTransfers"} <= set(flags["11.0"]) - set(flags["10.16"])
    assert {"--loadRefOutputs", "--accuracyThreshold", "--refPair"} <= set(flags["11.1"]) - set(flags["11.0"])
    assert not {"--fp4", "--weightStreaming", "--setOutputAllocator", "--loadRuntimeCache"} & TRTEXEC
    assert not {"--serialized", "--std"} & TRTEXEC, "SafeBuilderOptions' flags are not trtexec's"


def test_the_script_reproduces_the_recorded_lists() -> None:
    if not (SOURCES / "11.1" / "sampleOptions.cpp").is_file():
        pytest.skip(f"trtexec sources not extracted in {SOURCES} (scripts/trtexec_flags.py --src)")
    from scripts.trtexec_flags import parser_flags

    for version, flags in RECORDED["flags"].items():
        assert parser_flags((SOURCES / version / "sampleOptions.cpp").read_text()) == flags, version


def test_not_yet_names_only_real_trtexec_flags() -> None:
    assert sorted(TRTEXEC_NOT_YET - TRTEXEC) == []
    assert set(TRTEXEC_ELSEWHERE) <= TRTEXEC_NOT_YET


def test_every_trtexec_flag_is_implemented_or_not_yet() -> None:
    implemented = _implemented()
    assert sorted(TRTEXEC - implemented - TRTEXEC_NOT_YET, key=str.lower) == []
    assert sorted(TRTEXEC_NOT_YET & implemented, key=str.lower) == []


def test_the_messages(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "bench", "--useDLACore=1")
    assert code == 2 and err == "trtkit: error: --useDLACore is a trtexec flag that trtkit does not support yet\n"
    code, _, err = cli(capsys, "bench", "--dumpOptimizationProfile")
    assert code == 2 and "trtkit inspect PLAN lists the optimization profiles" in err
    code, _, err = cli(capsys, "eval", "m.onnx", "data", "--iterations", "3")
    assert code == 2 and err == "trtkit: error: trtkit eval has no --iterations; trtkit bench takes it\n"
    code, _, err = cli(capsys, "bench", "--fp4")
    assert code == 2 and "No such option" in err
