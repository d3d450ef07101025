"""Every TensorRT attribute, method, enum member and property trtkit uses, read from its source.

Relies on trtkit's convention (see tests/conformance/README.md): the TensorRT module is always the name
``trt``; values holding TensorRT objects are annotated ``trt.ClassName`` or come from a TensorRT call whose
signature names the return type; code inside a ``Flavour`` subclass (``key = "tensorrt10"``) or a module
with ``TRT_FLAVOURS = (...)`` claims only those flavours. The walk is per surface, because the type of
``builder.create_network()`` is whatever that version's signature says.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from conformance.bindings import FLAVOURS
from conformance.surface import (
    BROKEN,
    OPAQUE,
    Arg,
    Broken,
    CallShape,
    ClassRef,
    DictOf,
    Instance,
    Module,
    Project,
    ProjectClass,
    Seq,
    Surface,
    Tup,
    Type,
    Untyped,
    annotation_type,
    last_name,
    signature_type,
    trt_chain,
)

FLAVOUR_BASE = "Flavour"
_ITERATORS = {"enumerate", "zip", "reversed", "sorted", "list", "tuple", "iter", "set", "frozenset"}


@dataclass(frozen=True)
class Usage:
    """One use of the TensorRT API at one place in the source.

    kind: "get" (attribute read), "call", "set" (assignment), "construct" (``trt.Cls(...)``),
    "override" (a method of a class deriving from a TensorRT class), "untyped" (attribute use of a value
    whose type the bindings do not name), "convention" (trtkit breaks the convention the harness reads).
    owner: the TensorRT class, None for attributes of the module.
    """

    path: str
    line: int
    scope: tuple[str, ...]
    kind: str
    owner: str | None
    name: str
    on_class: bool = False
    call: CallShape | None = None
    value: Arg | None = None
    accepts: tuple[int, int | None] | None = None
    detail: str = ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def text(self) -> str:
        if self.kind in ("untyped", "convention"):
            return f".{self.name}" if self.kind == "untyped" else self.name
        dotted = "trt." + ".".join(filter(None, [self.owner, self.name if self.kind != "construct" else ""]))
        return dotted + (self.call.render() if self.call else "")


@dataclass
class ClassInfo:
    """What the collector knows of a trtkit class: annotated and assigned attributes, methods, bases."""

    node: ast.ClassDef
    module: ModuleInfo
    annotations: dict[str, ast.expr] = field(default_factory=dict)
    assigned: dict[str, list[Type]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.module.path}:{self.node.name}"

    def method(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        return next(
            (n for n in self.node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name),
            None,
        )


@dataclass
class ModuleInfo:
    path: str
    tree: ast.Module
    scope: tuple[str, ...]
    problems: list[tuple[int, str]] = field(default_factory=list)
    constants: dict[str, ast.expr] = field(default_factory=dict)
    """Module-level ``NAME = <literal>``: where ``getattr(trt.X, TABLE[key])`` takes its names from."""
    classes: dict[str, str] = field(default_factory=dict)
    """Class name -> index key of the trtkit classes this module can name (its own first)."""
    functions: dict[str, str] = field(default_factory=dict)


def _module_scope(tree: ast.Module) -> tuple[tuple[str, ...], list[tuple[int, str]]]:
    """The flavours a module claims (``TRT_FLAVOURS``), all by default."""
    for node in tree.body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if any(isinstance(t, ast.Name) and t.id == "TRT_FLAVOURS" for t in targets):
            try:
                value = ast.literal_eval(node.value) if node.value is not None else None
            except ValueError:
                value = None
            if not (isinstance(value, (tuple, list)) and value and all(v in FLAVOURS for v in value)):
                return FLAVOURS, [(node.lineno, f"TRT_FLAVOURS must be a literal tuple of {FLAVOURS}")]
            return tuple(value), []
    return FLAVOURS, []


def _class_key(node: ast.ClassDef) -> ast.Assign | None:
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "key" for t in stmt.targets):
            return stmt
    return None


class Index:
    """All trtkit modules, classes and functions, so that values can be followed across them."""

    def __init__(self, sources: Iterable[tuple[str, str]]) -> None:
        self.modules: list[ModuleInfo] = []
        self.classes: dict[str, ClassInfo] = {}  # keyed "path:Name"
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for path, text in sources:
            tree = ast.parse(text, filename=path)
            scope, problems = _module_scope(tree)
            module = ModuleInfo(path, tree, scope, problems)
            self.modules.append(module)
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    module.constants[node.targets[0].id] = node.value
                if isinstance(node, ast.ClassDef):
                    self.classes[f"{path}:{node.name}"] = ClassInfo(node, module)
                    module.classes[node.name] = f"{path}:{node.name}"
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions[f"{path}:{node.name}"] = node
                    module.functions[node.name] = f"{path}:{node.name}"
        for table in ("classes", "functions"):  # other modules' names where only one module defines them
            owners: dict[str, list[str]] = {}
            for module in self.modules:
                for name, key in getattr(module, table).items():
                    owners.setdefault(name, []).append(key)
            unique = {name: keys[0] for name, keys in owners.items() if len(keys) == 1}
            for module in self.modules:
                setattr(module, table, unique | getattr(module, table))
        for info in self.classes.values():
            for stmt in info.node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    info.annotations[stmt.target.id] = stmt.annotation
            for stmt in ast.walk(info.node):
                if (
                    isinstance(stmt, ast.AnnAssign)
                    and isinstance(stmt.target, ast.Attribute)
                    and isinstance(stmt.target.value, ast.Name)
                    and stmt.target.value.id == "self"
                ):
                    info.annotations[stmt.target.attr] = stmt.annotation

    def flavour_key(self, node: ast.ClassDef, module: ModuleInfo) -> str | None:
        """The ``key`` of a Flavour subclass (through trtkit bases); None for other classes."""
        seen: set[str] = set()
        todo = [(node, module)]
        is_flavour = False
        while todo:
            klass, where = todo.pop()
            for base in klass.bases:
                name = last_name(base)
                key = where.classes.get(name)
                if name == FLAVOUR_BASE:
                    is_flavour = True
                elif key is not None and key not in seen:
                    seen.add(key)
                    todo.append((self.classes[key].node, self.classes[key].module))
        key = _class_key(node)
        if not is_flavour or key is None:
            return None
        return key.value.value if isinstance(key.value, ast.Constant) else ""


@dataclass
class Scope:
    """Names in one function (or module) body and what is known of their types."""

    names: dict[str, Type]
    klass: ClassInfo | None = None
    sources: dict[str, ast.expr] = field(default_factory=dict)
    """What each local name was last assigned, for ``getattr(trt.X, name)`` with a name from a table."""

    def child(self) -> Scope:
        return Scope(dict(self.names), self.klass, dict(self.sources))


class Walker:
    """Walks one module, following types and recording usages (silently in the attribute pre-pass)."""

    def __init__(self, index: Index, surface: Surface, module: ModuleInfo, record: bool) -> None:
        self.index = index
        self.surface = surface
        self.module = module
        self.record = record
        self.usages: list[Usage] = []
        self.scope_flavours: tuple[str, ...] = module.scope

    # ---------------------------------------------------------------- recording
    def add(self, node: ast.AST, kind: str, owner: str | None, name: str, **extra: Any) -> None:
        if self.record:
            line = getattr(node, "lineno", 0)
            self.usages.append(Usage(self.module.path, line, self.scope_flavours, kind, owner, name, **extra))

    # ---------------------------------------------------------------- statements
    def run(self) -> list[Usage]:
        for line, problem in self.module.problems:
            self.add(ast.Constant(value=None, lineno=line), "convention", None, problem)
        if self.surface.flavour in self.scope_flavours:
            self.body(self.module.tree.body, Scope({"trt": Module()}))
        return self.usages

    def body(self, stmts: list[ast.stmt], scope: Scope) -> None:
        for stmt in stmts:
            self.stmt(stmt, scope)

    def stmt(self, node: ast.stmt, scope: Scope) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function(node, scope)
        elif isinstance(node, ast.ClassDef):
            self.class_def(node, scope)
        elif isinstance(node, ast.Assign):
            value = self.expr(node.value, scope)
            for target in node.targets:
                self.bind(target, value, scope, node.value)
        elif isinstance(node, ast.AnnAssign):
            declared = self.annotation(node.annotation, scope)
            if node.value is not None:
                self.expr(node.value, scope)
            self.bind(node.target, declared, scope, node.value)
        elif isinstance(node, ast.AugAssign):
            if isinstance(node.target, ast.Attribute):
                self.attribute(node.target, scope)  # the read
            value = self.expr(node.value, scope)
            self.bind(node.target, value if isinstance(node.target, ast.Attribute) else OPAQUE, scope, None)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.bind(node.target, self.element(self.expr(node.iter, scope)), scope, None)
            self.body(node.body, scope)
            self.body(node.orelse, scope)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                value = self.expr(item.context_expr, scope)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, value, scope, None)
            self.body(node.body, scope)
        else:
            self.generic(node, scope)

    def generic(self, node: ast.AST, scope: Scope) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                self.stmt(child, scope)
            elif isinstance(child, ast.expr):
                self.expr(child, scope)
            elif isinstance(child, ast.ExceptHandler):
                if child.type is not None:
                    self.expr(child.type, scope)
                if child.name:
                    scope.names[child.name] = OPAQUE
                self.body(child.body, scope)
            else:
                self.generic(child, scope)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, outer: Scope) -> None:
        scope = outer.child()
        args = node.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.expr(default, outer)
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.expr(decorator, outer)
            if node.returns is not None:
                self.annotation(node.returns, outer)
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        params += [a for a in (args.vararg, args.kwarg) if a is not None]
        where = "a lambda (use a def with annotations)" if isinstance(node, ast.Lambda) else f"{node.name}()"
        for i, param in enumerate(params):
            if param.arg == "trt":
                declared: Type = Module()
            elif i == 0 and param.arg == "self" and outer.klass is not None:
                declared = Project(outer.klass.key)
            elif param.annotation is not None:
                declared = self.annotation(param.annotation, outer)
            elif i == 0 and param.arg in ("self", "cls") and not isinstance(node, ast.Lambda):
                declared = OPAQUE  # self of a class deriving from TensorRT: its own attributes are free
            else:  # refused rather than skipped: whatever reaches it, a TensorRT call through it goes unchecked
                declared = Untyped(f"parameter {param.arg!r} of {where} has no annotation")
            scope.names[param.arg] = declared
        if isinstance(node, ast.Lambda):
            self.expr(node.body, scope)
        else:
            self.body(node.body, scope)

    def class_def(self, node: ast.ClassDef, outer: Scope) -> None:
        saved = self.scope_flavours
        key = self.index.flavour_key(node, self.module)
        if key is not None:
            if key not in FLAVOURS:
                self.add(node, "convention", None, f"Flavour subclass {node.name}: key {key!r} is none of {FLAVOURS}")
                return
            self.scope_flavours = tuple(f for f in saved if f == key)
        try:
            if self.surface.flavour not in self.scope_flavours:
                return
            for decorator in node.decorator_list:
                self.expr(decorator, outer)
            trt_bases = [b.name for b in (self.expr(base, outer) for base in node.bases) if isinstance(b, ClassRef)]
            info = self.index.classes.get(f"{self.module.path}:{node.name}")
            inner = Scope(dict(outer.names), info if info is not None and info.node is node else None)
            if trt_bases:
                inner.klass = None  # self is the TensorRT object: its own attributes are free
                for base in trt_bases:
                    self.overrides(node, base)
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign):
                    self.annotation(stmt.annotation, inner)
                    if stmt.value is not None:
                        self.expr(stmt.value, inner)
                else:
                    self.stmt(stmt, inner)
        finally:
            self.scope_flavours = saved

    def overrides(self, node: ast.ClassDef, base: str) -> None:
        """Public methods of a class deriving from a TensorRT class must override one of its methods."""
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and not stmt.name.startswith("_"):
                args = stmt.args
                positional = len(args.posonlyargs) + len(args.args) - 1  # less self
                required = positional - len(args.defaults)
                accepts = (required, None if args.vararg else positional)
                self.add(stmt, "override", base, stmt.name, accepts=accepts, detail=node.name)

    # ---------------------------------------------------------------- binding names
    def bind(self, target: ast.expr, value: Type, scope: Scope, source: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            scope.names[target.id] = Module() if target.id == "trt" else value
            if source is not None:
                scope.sources[target.id] = source
            else:
                scope.sources.pop(target.id, None)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = value.items if isinstance(value, Tup) and len(value.items) == len(target.elts) else None
            for i, elt in enumerate(target.elts):
                self.bind(elt, items[i] if items else self.element(value), scope, None)
        elif isinstance(target, ast.Attribute):
            owner = self.expr(target.value, scope)
            if isinstance(owner, Project) and isinstance(target.value, ast.Name) and target.value.id == "self":
                info = self.index.classes.get(owner.name)
                if info is not None and target.attr not in info.annotations:
                    info.assigned.setdefault(target.attr, []).append(value)
            elif isinstance(owner, Instance):
                arg = self.arg(source, value) if source is not None else Arg("...")
                self.add(target, "set", owner.name, target.attr, value=arg)
            elif isinstance(owner, Untyped):
                self.add(target, "untyped", None, target.attr, detail=owner.origin)
        elif isinstance(target, ast.Subscript):
            self.expr(target.value, scope)
            self.expr(target.slice, scope)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, Seq(self.element(value)), scope, None)

    def element(self, value: Type) -> Type:
        """The type of one item of ``value`` (iteration, unpacking)."""
        if isinstance(value, Seq):
            return value.item
        if isinstance(value, Tup) and len(set(value.items)) == 1:
            return value.items[0]
        return value if isinstance(value, (Untyped, Broken)) else OPAQUE

    def annotation(self, node: ast.expr, scope: Scope) -> Type:
        """Record the ``trt.X`` chains an annotation names, and return the type it declares."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return OPAQUE
            ast.copy_location(parsed, node)
            for sub in ast.walk(parsed):
                ast.copy_location(sub, node)
            return self.annotation(parsed, scope)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and trt_chain(sub) and not self.is_chain_part(sub, node):
                self.expr(sub, scope)
        return self.declared(node)

    def declared(self, node: ast.expr | None) -> Type:
        """The type an annotation declares, ``trt.X`` chains resolved through this version's aliases.

        ``Any``/``object`` written in trtkit is a deliberate opt-out, not an unknown TensorRT value."""
        return annotation_type(node, self.module.classes, self.resolve, lambda _: OPAQUE)

    def resolve(self, chain: list[str]) -> Type:
        """The instance type a ``trt.A.B`` annotation names (Broken where this version lacks it)."""
        kind: Type = Module()
        for name in chain:
            kind = self.lookup(kind, name)
        return Instance(kind.name) if isinstance(kind, ClassRef) else BROKEN if isinstance(kind, Broken) else OPAQUE

    @staticmethod
    def is_chain_part(sub: ast.Attribute, root: ast.expr) -> bool:
        """True where ``sub`` is the inner part of a longer ``trt.A.B`` chain inside ``root``."""
        return any(isinstance(n, ast.Attribute) and n.value is sub for n in ast.walk(root))

    # ---------------------------------------------------------------- expressions
    def expr(self, node: ast.expr, scope: Scope) -> Type:
        if isinstance(node, ast.Name):
            if node.id == "trt":
                return Module()
            if node.id in scope.names:
                return scope.names[node.id]
            if node.id in self.module.classes:
                return ProjectClass(self.module.classes[node.id])
            return OPAQUE
        if isinstance(node, ast.Attribute):
            return self.attribute(node, scope)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, ast.Subscript):
            base = self.expr(node.value, scope)
            self.expr(node.slice, scope)
            return self.subscript(node, base)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = scope.child()
            for gen in node.generators:
                self.bind(gen.target, self.element(self.expr(gen.iter, inner)), inner, None)
                for cond in gen.ifs:
                    self.expr(cond, inner)
            if isinstance(node, ast.DictComp):
                self.expr(node.key, inner)
                return DictOf(self.expr(node.value, inner))
            return Seq(self.expr(node.elt, inner))
        if isinstance(node, ast.Lambda):
            self.function(node, scope)
            return OPAQUE
        if isinstance(node, ast.NamedExpr):
            value = self.expr(node.value, scope)
            self.bind(node.target, value, scope, node.value)
            return value
        if isinstance(node, (ast.IfExp, ast.BoolOp)):
            values = [node.body, node.orelse] if isinstance(node, ast.IfExp) else node.values
            if isinstance(node, ast.IfExp):
                self.expr(node.test, scope)
            return self.join([self.expr(v, scope) for v in values], values)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = tuple(self.expr(e, scope) for e in node.elts)
            if isinstance(node, ast.Tuple):
                return Tup(items)
            return Seq(items[0]) if items and len(set(items)) == 1 else Seq(OPAQUE)
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    self.expr(key, scope)
            values = {self.expr(v, scope) for v in node.values}
            return DictOf(values.pop()) if len(values) == 1 else OPAQUE
        self.generic(node, scope)
        return OPAQUE

    @staticmethod
    def join(types: list[Type], nodes: list[ast.expr]) -> Type:
        """One type for ``a if c else b`` / ``a or b``: the shared one, ``None`` branches aside."""
        kept = {t for t, n in zip(types, nodes, strict=True) if not (isinstance(n, ast.Constant) and n.value is None)}
        return kept.pop() if len(kept) == 1 else OPAQUE

    def subscript(self, node: ast.Subscript, base: Type) -> Type:
        if isinstance(base, (Seq, DictOf)):
            return base.item if isinstance(base, Seq) else base.value
        if isinstance(base, Tup):
            index = node.slice.value if isinstance(node.slice, ast.Constant) else None
            if isinstance(index, int) and -len(base.items) <= index < len(base.items):
                return base.items[index]
            return self.element(base)
        if isinstance(base, Instance):
            shape = CallShape((self.arg(node.slice, OPAQUE),))
            return self.method_call(node, base, "__getitem__", shape)
        return base if isinstance(base, (Untyped, Broken)) else OPAQUE

    def arg(self, node: ast.expr, kind: Type) -> Arg:
        text = ast.unparse(node)
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return Arg(text, int_literal=True)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return Arg(text, int_literal=type(node.operand.value) is int)
        if isinstance(kind, Instance) and self.surface.is_enum(kind.name):
            return Arg(text, enum=kind.name)
        return Arg(text)

    def shape(self, node: ast.Call, scope: Scope) -> CallShape:
        positional: list[Arg] = []
        star = False
        for a in node.args:
            if isinstance(a, ast.Starred):
                self.expr(a.value, scope)
                star = True
            else:
                positional.append(self.arg(a, self.expr(a, scope)))
        keywords: list[tuple[str, Arg]] = []
        double_star = False
        for kw in node.keywords:
            value = self.expr(kw.value, scope)
            if kw.arg is None:
                double_star = True
            else:
                keywords.append((kw.arg, self.arg(kw.value, value)))
        return CallShape(tuple(positional), tuple(keywords), star, double_star)

    def attribute(self, node: ast.Attribute, scope: Scope) -> Type:
        return self.member(node, self.expr(node.value, scope), node.attr)

    def member(self, node: ast.AST, base: Type, name: str) -> Type:
        """Record reading ``base.name`` and return its type."""
        if isinstance(base, Module):
            self.add(node, "get", None, name)
        elif isinstance(base, (ClassRef, Instance)):
            self.add(node, "get", base.name, name, on_class=isinstance(base, ClassRef))
        elif isinstance(base, Project):
            return self.project_member(node, base.name, name)
        elif isinstance(base, Untyped):
            self.add(node, "untyped", None, name, detail=base.origin)
            return BROKEN
        return self.lookup(base, name)

    def lookup(self, base: Type, name: str) -> Type:
        """The type of ``base.name`` in this version, recording nothing."""
        surface = self.surface
        if isinstance(base, Module):
            found = surface.attributes.get(name)
            if found is None:
                return BROKEN
            if found["kind"] == "class":
                return ClassRef(found["target"].removeprefix("trt."))
            return signature_type(found["type"]) if found["kind"] == "value" else OPAQUE
        if isinstance(base, (ClassRef, Instance)):
            found = surface.member(base.name, name)
            if found is None:
                return BROKEN
            kind = found["kind"]
            if kind == "enum_member":
                return Instance(base.name)
            if kind == "class":
                return ClassRef(found["target"].removeprefix("trt."))
            if kind == "value":
                return signature_type(found["type"])
            if kind == "property" and isinstance(base, Instance):
                return signature_type(found["type"])
            return OPAQUE
        if isinstance(base, ProjectClass):
            info = self.index.classes.get(base.name)
            return self.declared(info.annotations[name]) if info is not None and name in info.annotations else OPAQUE
        return base if isinstance(base, Broken) else OPAQUE

    def project_member(self, node: ast.AST, cls: str, name: str) -> Type:
        """``obj.name`` on a trtkit object: its annotation, a property's return, what it was assigned.
        ``flavour.module`` is the TensorRT module, whatever name it is bound to."""
        info = self.index.classes.get(cls)
        seen: set[str] = set()
        while info is not None and info.node.name not in seen:
            seen.add(info.node.name)
            if info.node.name == FLAVOUR_BASE and name == "module":
                return Module()
            if name in info.annotations:
                return self.declared(info.annotations[name])
            method = info.method(name)
            if method is not None:
                if any(last_name(d) in ("property", "cached_property") for d in method.decorator_list):
                    return self.declared(method.returns)
                return OPAQUE
            if name in info.assigned:
                kinds = {k for k in info.assigned[name] if k != OPAQUE}
                if len(kinds) == 1:
                    return kinds.pop()
                if any(_holds_tensorrt(k) for k in kinds):
                    return Untyped(f"self.{name} is assigned values of different types in {info.node.name}")
                return OPAQUE
            bases = [info.module.classes.get(last_name(b)) for b in info.node.bases]
            info = next((self.index.classes[b] for b in bases if b is not None), None)
        return OPAQUE

    def literal_names(self, node: ast.expr, scope: Scope) -> list[str] | None:
        """The attribute names ``getattr(obj, node)`` can read: a string, a name holding one, or
        ``TABLE[key]`` of a module-level dict of strings (``getattr(trt.MemoryPoolType, MEM_POOLS[name])``)."""
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            source = scope.sources.get(node.id, self.module.constants.get(node.id))
            return None if source is None else self.literal_names(source, Scope({}))
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            table = self.module.constants.get(node.value.id)
            if isinstance(table, ast.Dict):
                names = [self.literal_names(v, scope) for v in table.values]
                return None if None in names else [n for ns in names for n in ns or []]
        return None

    def call(self, node: ast.Call, scope: Scope) -> Type:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) == 2 and not node.keywords:
            base = self.expr(node.args[0], scope)
            self.expr(node.args[1], scope)
            names = self.literal_names(node.args[1], scope)
            if names is None:  # a name only known at run time: at least an enum's member is of that enum
                if isinstance(base, ClassRef) and self.surface.is_enum(base.name):
                    return Instance(base.name)
                self.dynamic_attribute(node, base)
                return OPAQUE
            kinds = {self.member(node, base, name) for name in names}
            return kinds.pop() if len(kinds) == 1 else OPAQUE
        if last_name(func) == "partial" and node.args and isinstance(node.args[0], ast.Attribute):
            # partial(obj.method, *given): what is given must bind; the rest comes at the call
            bound, given = node.args[0], ast.Call(node.args[0], node.args[1:], node.keywords)
            shape = replace(self.shape(given, scope), star=True)
            self.method_call(node, self.expr(bound.value, scope), bound.attr, shape)
            return OPAQUE
        if isinstance(func, ast.Attribute):
            base = self.expr(func.value, scope)
            shape = self.shape(node, scope)
            return self.method_call(node, base, func.attr, shape)
        if isinstance(func, ast.Name) and func.id in _ITERATORS and func.id not in scope.names:
            items = [self.element(self.expr(a, scope)) for a in node.args]
            for kw in node.keywords:
                self.expr(kw.value, scope)
            if func.id == "enumerate" and items:
                return Seq(Tup((OPAQUE, items[0])))
            if func.id == "zip":
                return Seq(Tup(tuple(items)))
            return Seq(items[0]) if items else OPAQUE
        callee = self.expr(func, scope)
        shape = self.shape(node, scope)
        if isinstance(callee, ClassRef):
            return self.construct(node, callee.name, shape)
        if isinstance(callee, ProjectClass):
            return Project(callee.name)
        if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) == 3:
            if self.literal_names(node.args[1], scope) is None:
                self.dynamic_attribute(node, self.expr(node.args[0], scope))
            return OPAQUE
        if isinstance(func, ast.Name) and func.id in self.module.functions and func.id not in scope.names:
            return self.returned(self.index.functions[self.module.functions[func.id]])
        return OPAQUE

    def returned(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Type:
        """What a trtkit function returns: its annotation; without one, a value nothing may be called on."""
        if function.returns is None:
            return Untyped(f"{function.name}() has no return annotation")
        return self.declared(function.returns)

    def dynamic_attribute(self, node: ast.Call, base: Type) -> None:
        """``getattr``/``setattr`` on a TensorRT object with a name known only at run time: refused."""
        if isinstance(base, (Module, ClassRef, Instance, Untyped)):
            what = "a value" if isinstance(base, Untyped) else "trt" if isinstance(base, Module) else f"trt.{base.name}"
            self.add(node, "convention", None,
                     f"{ast.unparse(node)}: an attribute of {what} named only at run time cannot be checked; "
                     "name it, or take it from a module-level table of strings")

    def construct(self, node: ast.AST, cls: str, shape: CallShape) -> Type:
        self.add(node, "construct", cls, "__init__", call=shape)
        return Instance(cls) if cls in self.surface.classes else BROKEN

    def method_call(self, node: ast.AST, base: Type, name: str, shape: CallShape) -> Type:
        """Record ``base.name(...)`` and return the type the matching overloads return."""
        surface = self.surface
        if isinstance(base, Module):
            found = surface.attributes.get(name)
            if found is not None and found["kind"] == "class":
                self.add(node, "get", None, name)
                return self.construct(node, found["target"].removeprefix("trt."), shape)
            self.add(node, "call", None, name, call=shape)
            if found is None or found["kind"] != "function":
                return BROKEN
            return self.returns(found.get("overloads"), shape, f"trt.{name}()", False)
        if isinstance(base, (ClassRef, Instance)):
            on_class = isinstance(base, ClassRef)
            found = surface.member(base.name, name)
            if found is not None and found["kind"] == "class":
                self.add(node, "get", base.name, name, on_class=on_class)
                return self.construct(node, found["target"].removeprefix("trt."), shape)
            self.add(node, "call", base.name, name, on_class=on_class, call=shape)
            if found is None or found["kind"] not in ("method", "staticmethod"):
                return BROKEN
            self_arg = on_class and found["kind"] == "method"
            return self.returns(found.get("overloads"), shape, f"trt.{base.name}.{name}()", self_arg)
        if isinstance(base, Project):
            info = self.index.classes.get(base.name)
            method = info.method(name) if info is not None else None
            if method is not None:
                return self.returned(method)
            return self.project_trt_base_call(node, base.name, name, shape)
        if isinstance(base, ProjectClass):
            info = self.index.classes.get(base.name)
            method = info.method(name) if info is not None else None
            return self.returned(method) if method is not None else OPAQUE
        if isinstance(base, Untyped):
            self.add(node, "untyped", None, name, detail=base.origin)
            return BROKEN
        if isinstance(base, DictOf):
            views = {"get": base.value, "values": Seq(base.value), "items": Seq(Tup((OPAQUE, base.value)))}
            return views.get(name, OPAQUE)
        return base if isinstance(base, Broken) else OPAQUE

    def project_trt_base_call(self, node: ast.AST, cls: str, name: str, shape: CallShape) -> Type:
        """A method a trtkit class inherits from a TensorRT base (``self.get_batch_size()``)."""
        info = self.index.classes.get(cls)
        if info is None or name in info.assigned or name in info.annotations:
            return OPAQUE
        for base in info.node.bases:
            chain = trt_chain(base)
            if chain:
                return self.method_call(node, Instance(".".join(chain)), name, shape)
        return OPAQUE

    def returns(self, overloads: list[dict] | None, shape: CallShape, what: str, self_arg: bool) -> Type:
        if overloads is None:
            return Untyped(f"{what} has no readable signature")
        extra = [{"name": "self", "kind": "positional_only", "annotation": None}] if self_arg else []
        matching = {o["returns"] for o in overloads if self.surface.bind(extra + o["params"], shape) is None}
        if not matching:
            return BROKEN
        if len(matching) > 1:
            return Untyped(f"{what}: its overloads return {' or '.join(sorted(map(str, matching)))}")
        text = matching.pop()
        if text is None:
            return Untyped(f"{what} has no return annotation")
        kind = signature_type(text)
        return Untyped(f"{what} returns {text}") if isinstance(kind, Untyped) else kind


def _holds_tensorrt(kind: Type) -> bool:
    if isinstance(kind, (Instance, Untyped)):
        return True
    if isinstance(kind, Seq):
        return _holds_tensorrt(kind.item)
    if isinstance(kind, DictOf):
        return _holds_tensorrt(kind.value)
    return isinstance(kind, Tup) and any(_holds_tensorrt(k) for k in kind.items)


def collect_sources(sources: Iterable[tuple[str, str]], surface: Surface) -> list[Usage]:
    """Usages in (path, text) sources that claim ``surface``'s flavour, with the types that version gives."""
    index = Index(sources)
    for module in index.modules:  # pre-pass: what self.x is assigned, so other methods can follow it
        Walker(index, surface, module, record=False).run()
    usages: list[Usage] = []
    for module in index.modules:
        usages += Walker(index, surface, module, record=True).run()
    return usages


def python_files(root: Path) -> Iterator[tuple[str, str]]:
    """(path relative to root's parent, text) of every .py file under ``root``, in a stable order."""
    for path in sorted(root.rglob("*.py")):
        yield str(path.relative_to(root.parent)), path.read_text()


def collect(root: Path, surface: Surface) -> list[Usage]:
    """Usages in the package at ``root`` (trtkit/) for ``surface``'s version."""
    return collect_sources(python_files(root), surface)
