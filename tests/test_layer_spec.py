"""--layerPrecisions/--layerOutputTypes SPEC parsing and matching (trtexec's grammar plus op: and @FILE)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cli

from trtkit.platform.errors import UsageError
from trtkit.precision.layers import LayerRule, format_rules, layer_options, lookup, matches, parse_rules


def test_trtexec_entries_split_at_the_last_colon_and_keep_order() -> None:
    rules = parse_rules("conv1:fp16,a:b:c:fp32,*:int8", "--layerPrecisions")
    assert rules == [LayerRule("conv1", ("fp16",)), LayerRule("a:b:c", ("fp32",)), LayerRule("*", ("int8",))]


def test_quoted_names_and_op_types_and_output_type_lists() -> None:
    assert parse_rules("'a:b':bf16", "--layerPrecisions") == [LayerRule("a:b", ("bf16",))]
    assert parse_rules("op:Softmax:fp32", "--layerPrecisions") == [LayerRule("Softmax", ("fp32",), op=True)]
    assert parse_rules("split:fp32+fp16", "--layerOutputTypes", multiple_types=True) == [
        LayerRule("split", ("fp32", "fp16"))]


def test_at_file_reads_one_entry_a_line_with_comments(tmp_path: Path) -> None:
    spec = tmp_path / "keep.txt"
    spec.write_text("# kept by debug precision\nfc1:fp32\n\nop:Softmax:fp32  # all softmaxes\n")
    rules = parse_rules(f"@{spec},tail:fp16", "--layerPrecisions")
    assert [str(r) for r in rules] == ["fc1:fp32", "op:Softmax:fp32", "tail:fp16"]


def test_format_rules_reads_back_through_at_file(tmp_path: Path) -> None:
    spec = tmp_path / "keep.txt"
    spec.write_text(format_rules(["/MatMul", "odd:name", "with,comma"]))
    assert parse_rules(f"@{spec}", "--layerPrecisions") == [LayerRule("/MatMul", ("fp32",)),
                                                            LayerRule("odd:name", ("fp32",)),
                                                            LayerRule("with,comma", ("fp32",))]
    assert parse_rules("'a,b':fp16,c:fp32", "--layerPrecisions") == [LayerRule("a,b", ("fp16",)),
                                                                     LayerRule("c", ("fp32",))]


@pytest.mark.parametrize(("pattern", "name", "hit"), [
    ("conv*", "conv1", True), ("*relu", "block1/relu", True), ("a*z", "az", True), ("a*z", "a", False),
    ("conv", "conv1", False), ("*", "anything", True), ("/block*/Add", "/block2/Add", True),
])  # fmt: skip
def test_one_wildcard_matches_prefix_and_suffix(pattern: str, name: str, hit: bool) -> None:
    assert matches(pattern, name) is hit


def test_exact_name_beats_op_type_beats_wildcard_and_the_last_entry_wins() -> None:
    rules = parse_rules("*:fp16,op:MatMul:bf16,mm:fp32,*:int8,mm:fp16", "--layerPrecisions")
    assert lookup(rules, ["mm"], "MatMul") == (LayerRule("mm", ("fp16",)), True)
    assert lookup(rules, ["other"], "MatMul") == (LayerRule("MatMul", ("bf16",), op=True), False)
    assert lookup(rules, ["other"], "Relu") == (LayerRule("*", ("int8",)), False)
    assert lookup(parse_rules("x:fp32", "--layerPrecisions"), ["y"], None) == (None, False)


@pytest.mark.parametrize(("flag", "spec", "words"), [
    ("--layerPrecisions", "conv1", "needs layerName:type"),
    ("--layerPrecisions", "conv1:fp64", "unknown type 'fp64'"),
    ("--layerPrecisions", "a*b*c:fp32", "2 wildcards"),
    ("--layerPrecisions", ":fp32", "names no layer"),
    ("--layerPrecisions", "op:Mat*:fp32", "no wildcard"),
    ("--layerPrecisions", "'a:b:fp32", "unmatched quote"),
    ("--layerPrecisions", "@/nonexistent/keep.txt", "cannot read"),
    ("--layerPrecisions", ",,", "no entries"),
    ("--layerOutputTypes", "x:fp32+half", "unknown type 'half'"),
])  # fmt: skip
def test_bad_specs_are_one_line_errors_naming_the_flag(flag: str, spec: str, words: str) -> None:
    with pytest.raises(UsageError) as error:
        layer_options(spec if flag == "--layerPrecisions" else None,
                      spec if flag == "--layerOutputTypes" else None, None)
    message = str(error.value)
    assert message.startswith(flag) and words in message and "\n" not in message


def test_constraints_default_to_prefer_and_none_turns_the_rules_off() -> None:
    given = layer_options("x:fp32", None, None)
    assert given.active and given.effective_constraints == "prefer"
    off = layer_options("x:fp32", None, "none")
    assert not off.active
    assert not layer_options(None, None, None).active


def test_build_cli_reports_a_bad_spec_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = Path(__file__).parent / "data" / "models" / "fp16_overflow.onnx"
    code, _, err = cli(capsys, "build", "--onnx", model, "--fp16", "--layerPrecisions=fc1:fp99",
                         "--saveEngine", tmp_path / "x.plan")
    assert code == 2 and err.strip().count("\n") == 0 and "--layerPrecisions" in err and "fp99" in err
    assert not (tmp_path / "x.plan").exists()
