"""Dump the API surface of an imported TensorRT Python module as JSON (run as a script in a subprocess).

Runs inside a subprocess because the official binding wheels all install as ``tensorrt_bindings`` and
need stub libraries on LD_LIBRARY_PATH: each version gets its own interpreter. Standard library only.

Usage: python _introspect.py PACKAGE [SYS_PATH_ENTRY]  -> JSON on stdout.

pybind11 exposes no ``inspect.signature`` for its functions; the first docstring line (one per overload)
is the signature, e.g. ``set_flag(self: tensorrt_bindings.tensorrt.IBuilderConfig, flag:
tensorrt_bindings.tensorrt.BuilderFlag) -> None``. Type names of the extension module are rewritten to
``trt.<Name>`` so that surfaces of differently named packages compare.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import json
import re
import sys
import types
from typing import Any

POSITIONAL_ONLY = "positional_only"
POSITIONAL_OR_KEYWORD = "positional_or_keyword"
VAR_POSITIONAL = "var_positional"
KEYWORD_ONLY = "keyword_only"
VAR_KEYWORD = "var_keyword"

_OPEN = "([{<"
_CLOSE = ")]}>"
_UNNAMED = re.compile(r"arg\d+")


def _split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` at ``sep`` outside brackets and quotes (defaults look like ``<DataType.FLOAT: 0>``)."""
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "-" and text.startswith("->", i):
            i += 1  # an arrow is no closing bracket
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return parts


def parse_signature(line: str) -> dict[str, Any] | None:
    """Parse one pybind11 signature line into name, parameters (self included) and return annotation.

    None where the line is no signature (pybind's "Initialize self." on classes without a constructor).
    """
    match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)?\(", line)
    if not match:
        return None
    start = match.end()
    depth, i = 1, start
    while i < len(line) and depth:
        if line.startswith("->", i):
            i += 2
            continue
        depth += line[i] in "([{<"
        depth -= line[i] in ")]}>"
        i += 1
    if depth:
        return None
    inner, rest = line[start : i - 1], line[i:].strip()
    returns = rest[2:].strip() if rest.startswith("->") else None
    params: list[dict[str, Any]] = []
    kind = POSITIONAL_OR_KEYWORD
    for raw in (p.strip() for p in _split_top(inner, ",")):
        if not raw:
            continue
        if raw == "/":
            for p in params:
                p["kind"] = POSITIONAL_ONLY
            continue
        if raw == "*":
            kind = KEYWORD_ONLY
            continue
        head, *default = _split_top(raw, "=")
        name, _, annotation = head.partition(":")
        name, annotation = name.strip(), annotation.strip() or None
        param: dict[str, Any] = {"name": name.lstrip("*"), "kind": kind, "annotation": annotation}
        if name.startswith("**"):
            param["kind"] = VAR_KEYWORD
        elif name.startswith("*"):
            param["kind"] = VAR_POSITIONAL
            kind = KEYWORD_ONLY
        elif kind == POSITIONAL_OR_KEYWORD and _UNNAMED.fullmatch(name):
            param["kind"] = POSITIONAL_ONLY  # pybind11 names unnamed arguments argN; no keyword reaches them
        if default:
            param["default"] = "=".join(default).strip()
        params.append(param)
    return {"name": match.group(1) or "", "params": params, "returns": returns}


def _overload_lines(doc: str | None) -> list[str]:
    """The signature lines of a pybind11 docstring: the first line, or each "N. name(...)" when overloaded."""
    if not doc:
        return []
    lines = doc.strip().splitlines()
    if len(lines) > 1 and lines[1].strip() == "Overloaded function.":
        return [m.group(1) for m in (re.match(r"\d+\. (.*)", ln) for ln in lines[2:]) if m]
    return [lines[0]]


class _Namer:
    """Rewrites the extension module's qualified names (``tensorrt_bindings.tensorrt.X``) to ``trt.X``."""

    def __init__(self, module: types.ModuleType, ext_name: str) -> None:
        names = sorted({ext_name, module.__name__}, key=len, reverse=True)
        self._pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\.")

    def __call__(self, text: str | None) -> str | None:
        return None if text is None else self._pattern.sub("trt.", text)

    def type_of(self, value: Any) -> str:
        cls = type(value)
        if cls.__module__ == "builtins":
            return cls.__qualname__
        return self(f"{cls.__module__}.{cls.__qualname__}") or ""


def _overloads(func: Any, namer: _Namer, drop_self: bool) -> list[dict[str, Any]] | None:
    """All overloads of a callable; None where no signature can be read."""
    if isinstance(func, (types.FunctionType, types.MethodType)):
        sig = inspect.signature(func)
        params = [
            {
                "name": p.name,
                "kind": p.kind.name.lower(),
                "annotation": None if p.annotation is p.empty else str(p.annotation),
            }
            | ({} if p.default is p.empty else {"default": repr(p.default)})
            for p in sig.parameters.values()
        ]
        parsed = [{"params": params, "returns": None, "signature": f"{func.__name__}{sig}"}]
    else:
        parsed = []
        for line in _overload_lines(getattr(func, "__doc__", None)):
            sig = parse_signature(line)
            if sig is None:
                return None
            for p in sig["params"]:
                p["annotation"] = namer(p["annotation"])
            parsed.append({"params": sig["params"], "returns": namer(sig["returns"]), "signature": namer(line)})
        if not parsed:
            return None
    if drop_self:
        for overload in parsed:
            overload["params"] = overload["params"][1:]
    return parsed


def _is_enum(cls: type) -> bool:
    return isinstance(cls, enum.EnumMeta) or isinstance(getattr(cls, "__members__", None), dict)


def _documented_overrides(cls: type) -> dict[str, Any]:
    """Methods an application-implemented class shows in its docstring's example subclass
    (``def reallocate_output(self, tensor_name, memory, size, alignment):``). TensorRT calls them through
    pybind11 trampolines, and some classes (IOutputAllocator) expose no Python attribute for them, so
    this is the only place the bindings name them."""
    found: dict[str, Any] = {}
    for match in re.finditer(r"^\s*def (\w+)\((self\b.*)\)[^:\n]*:", cls.__doc__ or "", re.MULTILINE):
        name, params = match.groups()
        if name.startswith("_") or name in found:
            continue
        try:
            node = ast.parse(f"def f({params}): pass").body[0]
        except SyntaxError:
            continue
        assert isinstance(node, ast.FunctionDef)
        found[name] = {"params": [a.arg for a in node.args.args[1:]]}
    return found


def _class_surface(cls: type, namer: _Namer, ext: str) -> dict[str, Any]:
    """Members of ``cls`` flattened over its TensorRT bases (pybind11_object and object left out)."""
    mro = [c for c in cls.__mro__ if c.__module__ == ext or c is cls]
    out: dict[str, Any] = {
        "bases": [namer(f"{c.__module__}.{c.__qualname__}") for c in mro[1:]],
        "enum": _is_enum(cls),
        "members": {},
    }
    if out["enum"]:
        out["enum_members"] = {name: int(value) for name, value in cls.__members__.items()}
        out["members"]["__members__"] = {"kind": "value", "type": "dict"}
    documented = _documented_overrides(cls)
    if documented:
        out["documented_overrides"] = documented
    members: dict[str, Any] = out["members"]
    for klass in reversed(mro):
        for name, value in vars(klass).items():
            if name in ("_pybind11_conduit_v1_", "__members__", "__doc__", "__module__"):
                continue
            if out["enum"] and name in out["enum_members"]:
                continue
            if isinstance(value, property):
                setter = _overloads(value.fset, namer, False) if value.fset else None
                getter = _overloads(value.fget, namer, False) if value.fget else None
                members[name] = {
                    "kind": "property",
                    "type": getter[0]["returns"] if getter else None,
                    "writable": value.fset is not None,
                    "setter_type": setter[0]["params"][-1]["annotation"] if setter else None,
                }
            elif isinstance(value, type):
                members[name] = {"kind": "class", "target": namer(f"{value.__module__}.{value.__qualname__}")}
            elif isinstance(value, (staticmethod, classmethod)) or (
                callable(value) and type(value).__name__ == "builtin_function_or_method"
            ):
                func = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
                members[name] = {"kind": "staticmethod", "overloads": _overloads(func, namer, False)}
            elif callable(value):
                overloads = _overloads(value, namer, True)
                if name == "__init__" and overloads is None:
                    members.pop(name, None)  # pybind11's "No constructor defined!" placeholder
                    continue
                members[name] = {"kind": "method", "overloads": overloads}
            elif not name.startswith("_"):
                members[name] = {"kind": "value", "type": namer.type_of(value)}
    return out


def surface(package: str) -> dict[str, Any]:
    """The JSON-able API surface of ``package`` (``tensorrt_bindings``, ``tensorrt_rtx``, ...)."""
    module = importlib.import_module(package)
    ext = module.Builder.__module__ if hasattr(module, "Builder") else module.Runtime.__module__
    namer = _Namer(module, ext)
    classes: dict[str, Any] = {}
    todo = [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == ext]
    while todo:
        cls = todo.pop()
        name = namer(f"{cls.__module__}.{cls.__qualname__}")[len("trt.") :]
        if name in classes:
            continue
        classes[name] = _class_surface(cls, namer, ext)
        todo.extend(v for v in vars(cls).values() if isinstance(v, type) and v.__module__ == ext)
    attributes: dict[str, Any] = {}
    for name, value in vars(module).items():
        if name.startswith("_") and name != "__version__":
            continue
        if isinstance(value, type) and value.__module__ == ext:
            attributes[name] = {"kind": "class", "target": namer(f"{value.__module__}.{value.__qualname__}")}
        elif isinstance(value, types.ModuleType):
            attributes[name] = {"kind": "module"}
        elif callable(value) and not isinstance(value, type):
            attributes[name] = {"kind": "function", "overloads": _overloads(value, namer, False)}
        else:
            attributes[name] = {"kind": "value", "type": namer.type_of(value)}
    result = {"package": package, "version": module.__version__, "attributes": attributes, "classes": classes}
    return _resolve_cpp_names(result, set(classes))


_CPP_NAME = re.compile(r"\b(?:nvinfer1|nvonnxparser)::(?:v_\d+_\d+::)?(\w+)")
_NAMED = ("annotation", "returns", "setter_type", "type", "signature")


def _resolve_cpp_names(node: Any, classes: set[str]) -> Any:
    """Map C++ names pybind11 printed for types it had not registered yet (``nvinfer1::TensorFormat``,
    ``nvonnxparser::IParserError``) to the Python class, where one has that name (or lacks the I)."""

    def python_name(match: re.Match[str]) -> str:
        name = match.group(1)
        for candidate in (name, name[1:] if name.startswith("I") else name):
            if candidate in classes:
                return f"trt.{candidate}"
        return match.group(0)

    if isinstance(node, dict):
        return {
            k: _CPP_NAME.sub(python_name, v) if k in _NAMED and isinstance(v, str) else _resolve_cpp_names(v, classes)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_resolve_cpp_names(v, classes) for v in node]
    return node


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.path.insert(0, sys.argv[2])
    json.dump(surface(sys.argv[1]), sys.stdout, sort_keys=True, indent=1)
