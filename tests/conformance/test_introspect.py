"""Reading pybind11 signature lines (offline: these are the docstring shapes the real bindings print)."""

from __future__ import annotations

from conformance._introspect import _overload_lines, parse_signature


def test_plain_signature_with_enum_parameter() -> None:
    ext = "tensorrt_bindings.tensorrt"
    sig = parse_signature(f"set_flag(self: {ext}.IBuilderConfig, flag: {ext}.BuilderFlag) -> None")
    assert sig == {
        "name": "set_flag",
        "params": [
            {"name": "self", "kind": "positional_or_keyword", "annotation": f"{ext}.IBuilderConfig"},
            {"name": "flag", "kind": "positional_or_keyword", "annotation": f"{ext}.BuilderFlag"},
        ],
        "returns": "None",
    }


def test_defaults_with_reprs_commas_and_brackets() -> None:
    sig = parse_signature(
        "__init__(self: trt.Logger, min_severity: trt.ILogger.Severity = <Severity.WARNING: 2>, "
        "shape: collections.abc.Sequence[typing.SupportsInt] = [1, 2], name: str = 'a, b') -> None"
    )
    assert sig is not None
    assert [(p["name"], p.get("default")) for p in sig["params"]] == [
        ("self", None),
        ("min_severity", "<Severity.WARNING: 2>"),
        ("shape", "[1, 2]"),
        ("name", "'a, b'"),
    ]
    assert sig["params"][2]["annotation"] == "collections.abc.Sequence[typing.SupportsInt]"


def test_parameter_kinds() -> None:
    sig = parse_signature("f(self: object, arg0: int, /, a: int, *args, b: int = 0, **kwargs) -> tuple[int, int]")
    assert sig is not None
    assert [(p["name"], p["kind"]) for p in sig["params"]] == [
        ("self", "positional_only"),
        ("arg0", "positional_only"),
        ("a", "positional_or_keyword"),
        ("args", "var_positional"),
        ("b", "keyword_only"),
        ("kwargs", "var_keyword"),
    ]
    assert sig["returns"] == "tuple[int, int]"
    unnamed = parse_signature("__getitem__(self: trt.ICudaEngine, arg0: typing.SupportsInt) -> str")
    assert unnamed is not None and unnamed["params"][1]["kind"] == "positional_only"  # pybind names no keyword


def test_property_accessor_and_non_signatures() -> None:
    getter = parse_signature("(arg0: trt.IBuilderConfig) -> int")
    assert getter is not None and getter["name"] == "" and getter["returns"] == "int"
    assert parse_signature("Initialize self.  See help(type(self)) for accurate signature.") is None


def test_overloaded_docstring() -> None:
    doc = (
        "__init__(*args, **kwargs)\nOverloaded function.\n\n"
        "1. __init__(self: trt.Dims) -> None\n\n"
        "2. __init__(self: trt.Dims, shape: collections.abc.Sequence[typing.SupportsInt]) -> None\n"
    )
    assert _overload_lines(doc) == [
        "__init__(self: trt.Dims) -> None",
        "__init__(self: trt.Dims, shape: collections.abc.Sequence[typing.SupportsInt]) -> None",
    ]
    assert _overload_lines("num_layers(self) -> int\n\n    The number of layers.\n") == ["num_layers(self) -> int"]
