"""The layout is the architecture: dependencies point one way, and only the TensorRT import point imports
TensorRT. Read from the source's own imports (annotation-only imports under ``TYPE_CHECKING`` excluded:
they never execute)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "trtkit"
# Lowest first. A module may import its own package and the layers below it, never above or beside.
LAYERS = ("platform", "data", ("backends", "precision"), "builder", "bench", "tasks", "cli")
MAX_LINES = 300
TENSORRT = ("tensorrt", "tensorrt_rtx")


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 3:  # trtkit/__init__.py, __main__.py: the package's lazy front door
        return None
    for index, layer in enumerate(LAYERS):
        if parts[1] in (layer if isinstance(layer, tuple) else (layer,)):
            return index
    raise AssertionError(f"{module}: in no layer; add its package to LAYERS")


def _runtime_imports(tree: ast.AST) -> list[str]:
    """Every ``trtkit.*`` module imported at run time, at module level or inside functions."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("trtkit"):
            names = [f"{node.module}.{a.name}" for a in node.names]
            found.extend(n if (PACKAGE.parent / (n.replace(".", "/") + ".py")).is_file() else node.module
                         for n in names)
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names if a.name.startswith("trtkit"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _modules() -> dict[str, tuple[Path, list[str]]]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = (path, _runtime_imports(ast.parse(path.read_text())))
    return modules


MODULES = _modules()


def test_no_import_cycles() -> None:
    graph = {m: {i for i in imports if i in MODULES and i != m} for m, (_, imports) in MODULES.items()}
    state: dict[str, int] = {}

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt):], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                walk(nxt, [*stack, nxt])
        state[node] = 2

    for module in graph:
        if module not in state:
            walk(module, [module])


def test_dependencies_point_down() -> None:
    wrong = []
    for module, (_, imports) in MODULES.items():
        own = _layer(module)
        if own is None:
            continue
        for target in imports:
            other = _layer(target)  # None for the package's front door (``from trtkit import __version__``)
            if other is not None and target.split(".")[1] != module.split(".")[1] and other >= own:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(wrong)


def _imports_tensorrt(path: Path) -> bool:
    """A ``tensorrt``/``tensorrt_rtx`` import that executes, or a dynamic ``importlib.import_module`` (how the
    import point loads whichever flavour is installed)."""
    hits: list[ast.AST] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        dynamic = isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module")
        if dynamic or any(n.split(".")[0] in TENSORRT for n in names):
            hits.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return bool(hits)


def test_only_the_import_point_imports_tensorrt() -> None:
    importers = {m for m, (path, _) in MODULES.items() if _imports_tensorrt(path)}
    # trtkit/__init__.py and the CLI group load their own submodules lazily by name, never TensorRT
    assert importers - {"trtkit", "trtkit.cli"} == {"trtkit.platform.trt"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    path = MODULES[module][0]
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE.parent)}: {lines} lines; split it by job"
