"""The package's shape: no import cycles, no imports of its own modules inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[tuple[str, str]]:
    """Imports a → b where b also reaches a (directly or through others): a cycle."""
    return sorted(
        (a, b)
        for a in modules
        for b in graph.find_modules_directly_imported_by(a) & modules
        if graph.chain_exists(importer=b, imported=a)
    )


def test_no_module_of_the_project_imports_another_in_a_cycle() -> None:
    graph = grimp.build_graph("rag", "ui", exclude_type_checking_imports=True)
    # the package's __init__ only names the public API (lazily): every module is below it
    modules = {m for m in graph.modules if m not in ("rag", "ui")}
    assert _cycles(graph, modules) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(name)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph, {"a.x", "a.y", "a.z"}) == [("a.x", "a.y"), ("a.y", "a.x")]


def test_no_function_imports_a_module_of_the_project() -> None:
    found = []
    for path in sorted([*(ROOT / "rag").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            found += [
                f"{path.relative_to(ROOT)}:{inner.lineno}"
                for inner in ast.walk(node)
                if _own(inner)
            ]
    assert found == []


def _own(node: ast.AST) -> bool:
    """An import of the project's own modules (relative, or rag.*/ui.*)."""
    if isinstance(node, ast.ImportFrom):
        return bool(node.level) or (node.module or "").split(".")[0] in ("rag", "ui")
    if isinstance(node, ast.Import):
        return any(a.name.split(".")[0] in ("rag", "ui") for a in node.names)
    return False
