"""Judge each collected usage against one version's surface: one line per problem, None where it conforms."""

from __future__ import annotations

from typing import Any

from conformance.collect import Usage
from conformance.surface import Surface


def _overload_lines(member: dict[str, Any]) -> str:
    return "; ".join(o["signature"] for o in member.get("overloads") or [])


def _call_problem(surface: Surface, member: dict[str, Any], usage: Usage, self_arg: bool) -> str | None:
    """Why no overload accepts the call; the reason of the only overload, else each overload's reason."""
    overloads = member.get("overloads")
    assert usage.call is not None
    if overloads is None:
        return None  # the bindings give no signature to hold the call to; existence was checked
    extra = [{"name": "self", "kind": "positional_only", "annotation": None}] if self_arg else []
    reasons = [surface.bind(extra + o["params"], usage.call) for o in overloads]
    if any(r is None for r in reasons):
        return None
    if len(overloads) == 1:
        return f"{reasons[0]} [{overloads[0]['signature']}]"
    each = (f"{o['signature']}: {r}" for o, r in zip(overloads, reasons, strict=True))
    return "no overload accepts it: " + "; ".join(each)


def problem(usage: Usage, surface: Surface) -> str | None:
    """What is wrong with ``usage`` in ``surface``'s version, or None."""
    if usage.kind == "convention":
        return usage.name
    if usage.kind == "untyped":
        return f"used on a value whose type cannot be known ({usage.detail}): annotate it with trt.ClassName"
    if usage.owner is None:
        found = surface.attributes.get(usage.name)
        if found is None:
            return "no such attribute"
        if usage.kind == "call":
            if found["kind"] != "function":
                return f"is a {found['kind']}, not a function"
            return _call_problem(surface, found, usage, False)
        return None
    if usage.owner not in surface.classes:
        return f"no such class trt.{usage.owner}"
    found = surface.member(usage.owner, usage.name)
    if usage.kind == "override" and found is None:
        documented = surface.classes[usage.owner].get("documented_overrides", {}).get(usage.name)
        if documented is not None:  # a virtual TensorRT calls but Python cannot see (IOutputAllocator)
            shown = f"{usage.name}(self, {', '.join(documented['params'])}) in trt.{usage.owner}'s docstring"
            params = [{"name": p} for p in documented["params"]]
            found = {"kind": "method", "overloads": [{"params": params, "signature": shown}]}
    if usage.kind == "construct":
        if found is None:
            return "has no constructor (instances come from other TensorRT calls)"
        return _call_problem(surface, found, usage, False)
    if found is None:
        missing = {"call": "no such method", "set": "no such property"}
        if usage.kind == "override":
            return f"overrides nothing in trt.{usage.owner}"
        return missing.get(usage.kind, "no such attribute")
    kind = found["kind"]
    if usage.kind == "call":
        if kind not in ("method", "staticmethod"):
            return f"is a {kind.replace('_', ' ')}, not a method"
        return _call_problem(surface, found, usage, usage.on_class and kind == "method")
    if usage.kind == "set":
        if kind != "property":
            return f"is a {kind.replace('_', ' ')}, not a property"
        if not found["writable"]:
            return "is a read-only property"
        wanted = surface.enum_of(found["setter_type"])
        value = usage.value
        if wanted and value is not None and value.int_literal:
            return f"takes trt.{wanted}, not the int {value.text}"
        if wanted and value is not None and value.enum and value.enum != wanted:
            return f"takes trt.{wanted}, not trt.{value.enum}"
        return None
    if usage.kind == "override":
        if kind != "method":
            return f"overrides a {kind.replace('_', ' ')}, not a method"
        low, high = usage.accepts or (0, None)
        counts = [len(o["params"]) for o in found.get("overloads") or []]
        if counts and not any(low <= n and (high is None or n <= high) for n in counts):
            accepted = f"{low}" if low == high else f"{low} to {high if high is not None else 'any'}"
            given = " or ".join(map(str, counts))
            return f"takes {accepted} argument(s) but TensorRT passes {given} [{_overload_lines(found)}]"
    return None


def report(usages: list[Usage], surface: Surface) -> list[str]:
    """``path:line trt.X.y(...): problem in tensorrt 11.4.0.106`` for every non-conforming usage."""
    lines = []
    for usage in usages:
        why = problem(usage, surface)
        if why is not None:
            name = f"{usage.detail}.{usage.name}" if usage.kind == "override" else usage.text
            lines.append(f"{usage.where} {name}: {why} in {surface.label}")
    return lines
