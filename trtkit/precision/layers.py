"""Per-layer precision in trtexec's spelling: ``--layerPrecisions``, ``--layerOutputTypes``,
``--precisionConstraints``, read once here and applied by every flavour.

SPEC is trtexec's comma-separated ``layerName:type`` (split at the last ``:``; ``'a:b':fp16`` quotes a name
that holds colons; at most one ``*`` wildcard per name; later entries override earlier ones). trtkit also
takes ``op:OpType:type`` (every node of that ONNX op type) and ``@FILE`` (one entry a line, ``#`` comments),
which is what ``trtkit debug precision --saveLayerPrecisions`` writes. Names are TensorRT layer names, which
the ONNX parser takes from the ONNX node names (an unnamed node becomes ``node_of_<first output>``, the
parser's own rule, which :func:`node_name` repeats so that one keep list names the same layers everywhere).

Which rule wins for a layer: an exact name, else an ``op:`` rule, else a wildcard; the last such entry.
TensorRT 10 (weak typing) applies the rules through the layer API (:mod:`trtkit.builder.layer_precisions`);
strongly typed flavours turn them into the FP16/BF16 conversion's keep list (:func:`blocked_nodes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trtkit.platform.errors import UsageError
from trtkit.platform.flavours import DATA_TYPES

if TYPE_CHECKING:
    import onnx

REDUCED_FLOATS = ("fp16", "bf16")
NON_ACTIVATION = ("int32", "int64", "bool", "uint8")  # trtexec leaves these alone on wildcard matches
CONSTRAINTS = ("none", "prefer", "obey")


@dataclass(frozen=True)
class LayerRule:
    """One SPEC entry: a layer-name pattern (or an ONNX op type when ``op``) and its type(s)."""

    pattern: str
    types: tuple[str, ...]
    op: bool = False

    def __str__(self) -> str:
        name = f"'{self.pattern}'" if ":" in self.pattern or "," in self.pattern else self.pattern
        return f"{'op:' if self.op else ''}{name}:{'+'.join(self.types)}"


@dataclass
class LayerPrecisions:
    """The per-layer flags of one build (the trtexec flag is in each comment)."""

    precisions: list[LayerRule] = field(default_factory=list)  # --layerPrecisions
    output_types: list[LayerRule] = field(default_factory=list)  # --layerOutputTypes
    constraints: str | None = None  # --precisionConstraints none|prefer|obey (default prefer when rules are given)

    @property
    def active(self) -> bool:
        """Rules to apply: trtexec ignores them under --precisionConstraints=none, and so does trtkit."""
        return bool(self.precisions or self.output_types) and self.constraints != "none"

    @property
    def effective_constraints(self) -> str:
        return self.constraints or ("prefer" if self.precisions or self.output_types else "none")


def parse_rules(text: str, flag: str, *, multiple_types: bool = False) -> list[LayerRule]:
    """SPEC -> rules; a bad entry is a one-line error naming ``flag`` and the entry."""
    rules: list[LayerRule] = []
    for entry in _entries(text, flag):
        rules.append(_parse_entry(entry, flag, multiple_types))
    if not rules:
        raise UsageError(f"{flag}={text}: no entries; expected layerName:type[,...] or @FILE")
    return rules


def _split(text: str) -> list[str]:
    """Split at commas outside single quotes ('a,b':fp32 names a layer with a comma)."""
    return [part.strip() for part in re.split(r",(?=(?:[^']*'[^']*')*[^']*$)", text)]


def _entries(text: str, flag: str) -> Iterable[str]:
    for entry in _split(text):
        if not entry.startswith("@"):
            if entry:
                yield entry
            continue
        path = Path(entry[1:])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise UsageError(f"{flag}={entry}: cannot read {path} ({e.strerror or e}); give an existing file") from None
        for line in lines:
            for part in _split(line.split("#", 1)[0]):
                if part:
                    yield part


def _parse_entry(entry: str, flag: str, multiple_types: bool) -> LayerRule:
    op = entry.startswith("op:")
    body = entry[3:] if op else entry
    if body.count("'") == 2:  # trtexec: 'name:with:colons':type
        _, name, rest = body.split("'")
        if not rest.startswith(":"):
            raise UsageError(f"{flag}: entry {entry!r} needs ':type' after the quoted name")
        value = rest[1:]
    elif "'" in body:
        raise UsageError(f"{flag}: entry {entry!r} has an unmatched quote; quote a name as 'a:b':fp16")
    else:
        name, sep, value = body.rpartition(":")
        if not sep:
            raise UsageError(f"{flag}: entry {entry!r} needs layerName:type (e.g. conv1:fp32)")
    if not name:
        raise UsageError(f"{flag}: entry {entry!r} names no layer")
    if name.count("*") > 1:
        raise UsageError(f"{flag}: entry {entry!r} has {name.count('*')} wildcards; a name takes at most one '*'")
    if op and "*" in name:
        raise UsageError(f"{flag}: entry {entry!r}: op:OpType takes an exact ONNX op type, no wildcard")
    types = tuple(value.split("+")) if multiple_types else (value,)
    for t in types:
        if t not in DATA_TYPES:
            raise UsageError(f"{flag}: entry {entry!r}: unknown type {t!r}; expected one of {', '.join(DATA_TYPES)}")
    return LayerRule(name, types, op)


def layer_options(precisions: str | None, output_types: str | None, constraints: str | None) -> LayerPrecisions:
    """The three flags as given on the command line -> LayerPrecisions (checked)."""
    if constraints is not None and constraints not in CONSTRAINTS:
        raise UsageError(f"--precisionConstraints={constraints}: expected one of {', '.join(CONSTRAINTS)}")
    return LayerPrecisions(
        parse_rules(precisions, "--layerPrecisions") if precisions else [],
        parse_rules(output_types, "--layerOutputTypes", multiple_types=True) if output_types else [],
        constraints,
    )


def matches(pattern: str, name: str) -> bool:
    """trtexec's matchStringWithOneWildcard: exact, or prefix*suffix."""
    if "*" not in pattern:
        return pattern == name
    prefix, suffix = pattern.split("*", 1)
    return len(name) >= len(prefix) + len(suffix) and name.startswith(prefix) and name.endswith(suffix)


def lookup(rules: Sequence[LayerRule], names: Iterable[str], op_type: str | None) -> tuple[LayerRule | None, bool]:
    """The rule for a layer known by ``names`` (TensorRT layer name, ONNX node name) of ONNX ``op_type``, and
    whether it matched exactly (by name): exact name, else op type, else wildcard; the last entry wins."""
    names = [n for n in names if n]

    def by_name(r: LayerRule) -> bool:
        return not r.op and r.pattern in names

    def by_op(r: LayerRule) -> bool:
        return r.op and r.pattern == op_type

    def by_wildcard(r: LayerRule) -> bool:
        return not r.op and "*" in r.pattern and any(matches(r.pattern, n) for n in names)

    for rule_matches in (by_name, by_op, by_wildcard):
        found = [r for r in rules if rule_matches(r)]
        if found:
            return found[-1], not found[-1].op and "*" not in found[-1].pattern
    return None, False


def node_name(node: onnx.NodeProto) -> str:
    """The TensorRT layer name the ONNX parser gives ``node``: its name, else ``node_of_<first output>``."""
    return node.name or f"node_of_{node.output[0]}"


def name_nodes(model: onnx.ModelProto) -> onnx.ModelProto:
    """Name every unnamed node as the parser would, so that the FP16 converter's block list (by node name) and
    the parsed layers agree. In place; returns ``model``."""
    for node in model.graph.node:
        if not node.name and node.output:
            node.name = node_name(node)
    return model


def blocked_nodes(model: onnx.ModelProto, layers: LayerPrecisions, reduced: str | None,
                  default_ops: Iterable[str]) -> tuple[str | None, set[str]]:
    """For a strongly typed build: the reduced float type to convert to and the nodes that stay FP32.

    A node stays FP32 when a rule gives it fp32 (precision, or any output type), is converted when a rule
    gives it ``reduced`` (also ops on the default keep list), and otherwise follows the default: converted,
    unless its op is in ``default_ops`` or the build asked for no reduced float at all (then only the
    nodes rules name are converted). No target type at all: (None, empty), nothing to convert."""
    named = {t for rule in (*layers.precisions, *layers.output_types) for t in rule.types if t in REDUCED_FLOATS}
    if reduced is None and len(named) > 1:
        raise UsageError("--layerPrecisions/--layerOutputTypes name both fp16 and bf16; a strongly typed network "
                         "has one reduced float type")
    target = reduced or (named.pop() if named else None)
    if target is None:
        return None, set()
    default_ops = set(default_ops)
    blocked: set[str] = set()
    for node in model.graph.node:
        name = node_name(node)
        chosen = [rule.types for rule in (lookup(rules, [name], node.op_type)[0]
                                          for rules in (layers.precisions, layers.output_types)) if rule]
        types = {t for ts in chosen for t in ts}
        for t in types - {"fp32", target, *NON_ACTIVATION}:
            flag = "--layerPrecisions/--layerOutputTypes"
            raise UsageError(f"{flag}: {name}:{t} on a strongly typed build converting to {target}; "
                             f"use fp32 or {target} (INT8 per layer comes from Q/DQ nodes)")
        if "fp32" in types or (target not in types and (reduced is None or node.op_type in default_ops)):
            blocked.add(name)
    return target, blocked


def fp32_nodes(model: onnx.ModelProto, layers: LayerPrecisions) -> list[str]:
    """Nodes a rule gives fp32 (precision or an output type): left out of INT8 quantization."""
    def fp32(node: onnx.NodeProto) -> bool:
        both = (layers.precisions, layers.output_types)
        found = [lookup(rules, [node_name(node)], node.op_type)[0] for rules in both]
        return any(rule is not None and "fp32" in rule.types for rule in found)

    return [node_name(n) for n in model.graph.node if fp32(n)]


def format_rules(names: Iterable[str], dtype: str = "fp32") -> str:
    """A keep list in --layerPrecisions format, one entry a line (readable back as ``@FILE``)."""
    return "".join(f"{LayerRule(n, (dtype,))}\n" for n in names)
