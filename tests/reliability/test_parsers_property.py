"""Property-based tests (hypothesis) for every parser of a user's string: whatever is typed, the parser
returns a value or raises UsageError/TrtkitError with one line naming the flag or file, never anything else;
and what a formatter writes, the parser reads back."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trtkit.bench.stats import parse_percentiles
from trtkit.builder.builder import MAX_POOL_BYTES, MEM_POOLS, parse_mem_pool_sizes
from trtkit.builder.profiles import parse_shape_spec
from trtkit.data.inputs import parse_load_inputs
from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.platform.flavours import DATA_TYPES
from trtkit.precision.calib_cache import CalibrationTable, is_cache_file
from trtkit.precision.layers import LayerRule, format_rules, parse_rules

FAST = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
# Tensor and file names as users type them: anything printable but the quote trtexec uses to protect ':' and ','.
NAMES = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="'"),
                min_size=1, max_size=12).map(str.strip).filter(bool)
ANY_TEXT = st.text(max_size=40) | st.text(st.sampled_from(":,'x0123456789-. abcGMKB"), max_size=30)


def _one_line(error: Exception, start: str) -> None:
    message = str(error)
    assert "\n" not in message and message.startswith(start), message


def _quoted(name: str) -> str:
    return f"'{name}'" if any(c in name for c in ":,") else name


@FAST
@given(st.dictionaries(NAMES, st.lists(st.integers(1, 4096), min_size=1, max_size=5).map(tuple), min_size=1,
                       max_size=4))
def test_shape_specs_round_trip(spec: dict[str, tuple[int, ...]]) -> None:
    text = ",".join(f"{_quoted(name)}:{'x'.join(map(str, shape))}" for name, shape in spec.items())
    assert parse_shape_spec(text, "--shapes") == spec


@FAST
@given(ANY_TEXT, st.sampled_from(["--shapes", "--minShapes", "--optShapes", "--maxShapes"]))
def test_any_shape_spec_parses_or_is_one_usage_line(text: str, flag: str) -> None:
    try:
        spec = parse_shape_spec(text, flag)
    except UsageError as e:
        _one_line(e, f"{flag}=")
        return
    for shape in spec.values():
        assert all(d >= (1 if flag == "--shapes" else 0) for d in shape)


@FAST
@given(st.sampled_from(sorted(MEM_POOLS)), st.integers(0, 1 << 40), st.sampled_from(["", "B", "K", "M", "G", "k",
                                                                                     "m", "g"]))
def test_mem_pool_sizes_are_exact_bytes(pool: str, number: int, unit: str) -> None:
    scale = {"": 1 << 20, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[unit.upper()]
    text = f"{pool}:{number}{unit}"
    if number * scale > MAX_POOL_BYTES:
        with pytest.raises(UsageError, match="beyond the 64-bit range"):
            parse_mem_pool_sizes(text)
    else:
        assert parse_mem_pool_sizes(text) == {pool: number * scale}


@FAST
@given(ANY_TEXT | st.from_regex(r"(workspace|tacticSharedMem):[0-9]{1,40}(\.[0-9]{1,5})?[BKMGbkmg]?", fullmatch=True))
def test_any_mem_pool_spec_parses_or_is_one_usage_line(text: str) -> None:
    try:
        pools = parse_mem_pool_sizes(text)
    except UsageError as e:
        _one_line(e, "--memPoolSize=")
        return
    assert all(0 <= size <= MAX_POOL_BYTES and isinstance(size, int) for size in pools.values())


@FAST
@given(st.dictionaries(NAMES, NAMES, min_size=1, max_size=4))
def test_load_inputs_round_trip(pairs: dict[str, str]) -> None:
    text = ",".join(f"{_quoted(name)}:{_quoted(file)}" for name, file in pairs.items())
    assert parse_load_inputs(text) == {name: Path(file) for name, file in pairs.items()}


@FAST
@given(ANY_TEXT)
def test_any_load_inputs_spec_parses_or_is_one_usage_line(text: str) -> None:
    try:
        pairs = parse_load_inputs(text)
    except UsageError as e:
        _one_line(e, "--loadInputs=")
        return
    assert pairs and all(name and str(path) for name, path in pairs.items())


@FAST
@given(st.lists(st.floats(0, 100), min_size=1, max_size=6))
def test_percentiles_round_trip(values: list[float]) -> None:
    assert parse_percentiles(",".join(map(repr, values))) == tuple(values)


@FAST
@given(ANY_TEXT | st.lists(st.floats(allow_nan=True, allow_infinity=True).map(repr), max_size=4).map(",".join))
def test_any_percentile_list_parses_or_is_one_usage_line(text: str) -> None:
    try:
        values = parse_percentiles(text)
    except UsageError as e:
        _one_line(e, "--percentile=")
        return
    assert values and all(0 <= v <= 100 for v in values)


SCALES = st.floats(0, 1e6, width=32, allow_subnormal=True)
TENSORS = st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), min_size=1,
                  max_size=30).filter(lambda name: name.strip() and not name.endswith("\r"))


@FAST
@given(st.dictionaries(TENSORS, SCALES, min_size=1, max_size=6), st.integers(1000, 119999),
       st.sampled_from(["EntropyCalibration", "EntropyCalibration2", "MinMaxCalibration", "LegacyCalibration"]))
def test_calibration_cache_round_trips_any_name_and_scale(scales: dict[str, float], version: int,
                                                          algorithm: str) -> None:
    """TensorRT's text for any tensor names (spaces, brackets, colons) and any float32 scale reads back exactly."""
    table = CalibrationTable(algorithm, {name: scale * 127.0 for name, scale in scales.items()}, version)
    data = table.to_bytes()
    for line, (name, scale) in zip(data.decode().split("\n")[1:], scales.items(), strict=False):
        assert line == f"{name}: {struct.unpack('<I', struct.pack('<f', scale))[0]:x}"  # unpadded, '0' for zero
    back = CalibrationTable.parse(data, "c.cache")
    assert (back.algorithm, back.version) == (algorithm, version)
    assert {n: a / 127.0 for n, a in back.amax.items()} == pytest.approx(scales, rel=1e-7, abs=0)


@FAST
@given(st.binary(max_size=200) | ANY_TEXT.map(lambda t: f"TRT-8401-EntropyCalibration2\n{t}".encode()))
def test_any_calibration_cache_bytes_read_or_are_one_line(tmp_path: Path, data: bytes) -> None:
    """--calib/--calibCache FILE: is_cache_file decides, and a cache either reads or is refused in one line."""
    path = tmp_path / "any.cache"
    path.write_bytes(data)
    is_cache_file(path)
    try:
        table = CalibrationTable.parse(data, path)
    except TrtkitError as e:
        _one_line(e, f"{path}: ")
        return
    assert all(amax >= 0 for amax in table.amax.values())


LAYER_NAMES = NAMES.filter(lambda n: "*" not in n and "#" not in n and "@" not in n and not n.startswith("op:"))


@FAST
@given(st.lists(st.tuples(LAYER_NAMES, st.sampled_from(sorted(DATA_TYPES)), st.booleans()), min_size=1, max_size=5))
def test_layer_precisions_round_trip(rules: list[tuple[str, str, bool]]) -> None:
    """Layer names with ':' and ',' (quoted, as trtexec writes them), op: rules, every type."""
    wanted = [LayerRule(name, (dtype,), op and ":" not in name and "," not in name) for name, dtype, op in rules]
    assert parse_rules(",".join(map(str, wanted)), "--layerPrecisions") == wanted


@FAST
@given(st.lists(LAYER_NAMES, min_size=1, max_size=5))
def test_a_saved_keep_list_reads_back_from_its_file(tmp_path: Path, names: list[str]) -> None:
    keep = tmp_path / "keep.txt"
    keep.write_text(format_rules(names), encoding="utf-8")
    assert [rule.pattern for rule in parse_rules(f"@{keep}", "--layerPrecisions")] == names


@FAST
@given(ANY_TEXT.filter(lambda t: "@" not in t) | st.text(st.sampled_from("ab*:,'+ op:fp16fp32int8"), max_size=30),
       st.sampled_from(["--layerPrecisions", "--layerOutputTypes"]))
def test_any_layer_spec_parses_or_is_one_usage_line(text: str, flag: str) -> None:
    try:
        rules = parse_rules(text, flag, multiple_types=flag == "--layerOutputTypes")
    except UsageError as e:
        _one_line(e, flag)
        return
    assert rules and all(rule.pattern and all(t in DATA_TYPES for t in rule.types) for rule in rules)
