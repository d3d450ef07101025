"""Queries over one version's API surface: member lookup, annotation types, and pybind11 call binding.

Shared by the collector (which needs return types to follow values) and the checker (which judges each
usage), so both read a signature the same way.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

POSITIONAL = ("positional_only", "positional_or_keyword")
BY_KEYWORD = ("positional_or_keyword", "keyword_only")


# The types the collector follows values with.
@dataclass(frozen=True)
class Module:
    """The TensorRT module itself (the name ``trt``)."""


@dataclass(frozen=True)
class ClassRef:
    """A TensorRT class object, e.g. ``trt.BuilderFlag`` or ``trt.ILogger.Severity``."""

    name: str


@dataclass(frozen=True)
class Instance:
    """An instance of a TensorRT class (enum members included)."""

    name: str


@dataclass(frozen=True)
class Seq:
    """A homogeneous sequence or iterable (``list[trt.ITensor]``)."""

    item: Type


@dataclass(frozen=True)
class Tup:
    """A fixed tuple (``tuple[list[str], list[trt.WeightsRole]]``)."""

    items: tuple[Type, ...]


@dataclass(frozen=True)
class DictOf:
    """A dict literal whose values share one type (``{"fp16": trt.BuilderFlag.FP16, ...}``)."""

    value: Type


@dataclass(frozen=True)
class Project:
    """An instance of a trtkit class."""

    name: str


@dataclass(frozen=True)
class ProjectClass:
    """A trtkit class object."""

    name: str


@dataclass(frozen=True)
class Opaque:
    """Not a TensorRT value as far as anyone can tell (ints, strings, trtkit values): nothing to check."""


@dataclass(frozen=True)
class Untyped:
    """A value a TensorRT call returned whose type the bindings do not name: using it needs an annotation."""

    origin: str


@dataclass(frozen=True)
class Broken:
    """The result of a usage already reported as wrong: followed no further, so one mistake is one report."""


Type = Module | ClassRef | Instance | Seq | Tup | DictOf | Project | ProjectClass | Opaque | Untyped | Broken
OPAQUE = Opaque()
BROKEN = Broken()

_SEQUENCES = {"list", "List", "Sequence", "Iterable", "Iterator", "set", "Set", "frozenset", "MutableSequence"}
_UNKNOWN = {"object", "Any", "capsule", "CapsuleType", "function", "Callable"}


def last_name(node: ast.expr | None) -> str:
    """The last name of a dotted expression (``typing.Optional`` -> ``Optional``)."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def trt_chain(node: ast.expr) -> list[str] | None:
    """``trt.A.B`` -> ["A", "B"]; None for anything not rooted at the name ``trt``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id == "trt":
        return parts[::-1]
    return None


def _canonical(chain: list[str]) -> Type:
    return Instance(".".join(chain))


def annotation_type(
    node: ast.expr | None,
    project: MappingABC[str, str] = MappingProxyType({}),
    resolve: Callable[[list[str]], Type] = _canonical,
    unknown: Callable[[str], Type] = Untyped,
) -> Type:
    """The type an annotation names: ``trt.X`` chains (through ``resolve``, which maps an alias such as
    ``trt.Logger.Severity`` to its class), Optional/``| None``, sequences, tuples, strings, trtkit classes
    (``project``: name -> key). Spellings that say nothing (``object``, ``Any``) give ``unknown(spelling)``."""

    def inner(node: ast.expr) -> Type:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                return inner(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return unknown(node.value)
        chain = trt_chain(node)
        if chain:
            return resolve(chain)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            real = [t for t in (inner(node.left), inner(node.right)) if t != OPAQUE]
            if len(real) > 1:  # trt.A | trt.B: which class to check against is unknowable, so refuse, never skip
                return Untyped(f"the annotation {ast.unparse(node)} names several types; annotate one")
            return real[0] if real else OPAQUE
        if isinstance(node, ast.Subscript):
            base = last_name(node.value)
            args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base in ("Optional", "Annotated"):
                return inner(args[0])
            if base in _SEQUENCES:
                return Seq(inner(args[0]))
            if base in ("tuple", "Tuple"):
                if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
                    return Seq(inner(args[0]))
                return Tup(tuple(inner(a) for a in args))
            return OPAQUE
        name = last_name(node)
        if name in project:
            return Project(project[name])
        return unknown(name) if name in _UNKNOWN else OPAQUE

    return OPAQUE if node is None else inner(node)


def signature_type(text: str | None) -> Type:
    """The type a signature's annotation string (``trt.INetworkDefinition``, ``list[trt.Dims]``) names;
    the bindings write classes by their canonical names, so ``trt.X`` needs no resolving."""
    if text is None:
        return Untyped("no annotation")
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return Untyped(text)
    kind = annotation_type(node)
    return Untyped(text) if isinstance(kind, Untyped) else kind


@dataclass(frozen=True)
class Arg:
    """What the collector knows of one argument: the TensorRT enum its value belongs to, or an int literal."""

    text: str
    enum: str | None = None
    int_literal: bool = False


@dataclass(frozen=True)
class CallShape:
    """How a call passes its arguments; ``star``/``double_star``: ``*args``/``**kwargs`` hide the counts."""

    positional: tuple[Arg, ...] = ()
    keywords: tuple[tuple[str, Arg], ...] = ()
    star: bool = False
    double_star: bool = False

    def render(self) -> str:
        items = [a.text for a in self.positional] + [f"{k}={a.text}" for k, a in self.keywords]
        return f"({', '.join(items)})"


class Surface:
    """One version's API surface (the JSON _introspect.py writes), with the lookups the harness needs."""

    def __init__(self, data: dict[str, Any], flavour: str, label: str) -> None:
        self.data = data
        self.flavour = flavour
        self.label = label
        self.classes: dict[str, Any] = data["classes"]
        self.attributes: dict[str, Any] = data["attributes"]

    def is_enum(self, name: str) -> bool:
        return bool(self.classes.get(name, {}).get("enum"))

    def member(self, cls: str, name: str) -> dict[str, Any] | None:
        klass = self.classes.get(cls)
        if klass is None:
            return None
        if name in klass.get("enum_members", {}):
            return {"kind": "enum_member"}
        return klass["members"].get(name)

    def enum_of(self, annotation: str | None) -> str | None:
        """The enum class a parameter annotated ``annotation`` takes, if it is one."""
        kind = signature_type(annotation)
        return kind.name if isinstance(kind, Instance) and self.is_enum(kind.name) else None

    def bind(self, params: list[dict[str, Any]], call: CallShape) -> str | None:
        """Why pybind11 would reject ``call`` for one overload's parameters; None where it binds."""
        positional = [p for p in params if p["kind"] in POSITIONAL]
        var_positional = any(p["kind"] == "var_positional" for p in params)
        var_keyword = any(p["kind"] == "var_keyword" for p in params)
        if len(call.positional) > len(positional) and not var_positional:
            return f"takes {len(positional)} positional argument(s), {len(call.positional)} given"
        bound = {p["name"]: (p, a) for p, a in zip(positional, call.positional, strict=False)}  # fewer given: defaults
        for key, arg in call.keywords:
            param = next((p for p in params if p["name"] == key and p["kind"] in BY_KEYWORD), None)
            if param is None:
                if var_keyword:
                    continue
                return f"no keyword argument '{key}'"
            if key in bound:
                return f"'{key}' given twice"
            bound[key] = (param, arg)
        if not (call.star or call.double_star):
            required = [p["name"] for p in params if p["kind"] in (*POSITIONAL, "keyword_only") and "default" not in p]
            missing = [name for name in required if name not in bound]
            if missing:
                return f"missing argument(s) {', '.join(missing)}"
        for name, (param, arg) in bound.items():
            wanted = self.enum_of(param["annotation"])
            if wanted and arg.int_literal:
                return f"argument '{name}' takes trt.{wanted}, not the int {arg.text}"
            if wanted and arg.enum and arg.enum != wanted:
                return f"argument '{name}' takes trt.{wanted}, not trt.{arg.enum}"
        return None
