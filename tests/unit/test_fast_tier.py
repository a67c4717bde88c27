"""The fast tier (``pytest -m "not slow"``) tests every module of rag/ and ui/.

A module counts as tested by a fast test file that imports it (by its path or through
the public API) or runs it (``python -m``), the commands counting for the modules they
import directly."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import rag

ROOT = Path(__file__).resolve().parents[2]
#: ``python -m NAME`` → the modules that run
ENTRY = {
    "rag.ask": {"rag.ask", "rag.cli.ask"},
    "rag.eval": {"rag.eval", "rag.cli.eval"},
    "rag.ingest": {"rag.ingest", "rag.ingest.__main__", "rag.cli.ingest"},
    "rag.bench": {"rag.bench", "rag.bench.__main__"},
    "rag.train": {"rag.train", "rag.train.__main__"},
    "rag.serve": {"rag.serve", "rag.cli.serve"},
    "rag.mcp": {"rag.mcp", "rag.mcp.__main__"},
    "ui": {"ui", "ui.__main__"},
}


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _modules() -> dict[str, Path]:
    found = {}
    for path in [*(ROOT / "rag").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        if path.name == "__init__.py" and not path.read_text(encoding="utf-8").strip():
            continue  # an empty package marker has nothing to test
        found[_name(path)] = path
    return found


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
            if node.module == "rag":
                names |= {rag._EXPORTS[a.name][0] for a in node.names if a.name in rag._EXPORTS}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif (
            isinstance(node, ast.Attribute)
            and getattr(node.value, "id", None) == "rag"
            and node.attr in rag._EXPORTS
        ):  # rag.Engine, rag.open_engine, …
            names.add(rag._EXPORTS[node.attr][0])
    return names


def _fast_files() -> list[Path]:
    slow = re.compile(r"^pytestmark = pytest\.mark\.(slow|llm)\b", re.M)
    return [
        path
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (path.name.startswith("test_") or path.name == "conftest.py")
        and not slow.search(path.read_text(encoding="utf-8"))
    ]


def _tested() -> set[str]:
    modules = _modules()
    tested: set[str] = set()
    for path in _fast_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tested |= _imports(tree)
        for value in (n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)):
            if not isinstance(value, str):
                continue
            # "-m", "rag.ask" / run_rag("ask", …) / "-m", "rag.ingest.verify"
            for name in (value, f"rag.{value}"):
                tested |= ENTRY.get(name, {name} & modules.keys())
    for module in [m for m in list(tested) if m in modules]:  # a command: what it runs
        if any(module in runs for runs in ENTRY.values()) or module.startswith("rag.cli."):
            tested |= _imports(ast.parse(modules[module].read_text(encoding="utf-8")))
    return tested


def test_every_module_has_a_test_in_the_fast_tier() -> None:
    tested = _tested()
    assert sorted(m for m in _modules() if m not in tested) == []


def test_a_module_no_fast_test_reaches_is_reported(monkeypatch) -> None:
    only_cli = [ROOT / "tests" / "integration" / "test_entry_points.py"]
    monkeypatch.setattr(f"{__name__}._fast_files", lambda: only_cli)
    tested = _tested()
    assert "rag.cli.ask" in tested and "ui.__main__" in tested  # run by -m
    assert "rag.text.facts" not in tested and "rag.index.replica" not in tested
