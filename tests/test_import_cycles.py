"""No import cycles among engine's modules, nor among tui's (issue 13 item 6): every import counts, those
under TYPE_CHECKING, inside functions and through `engine.base.lazy.lazy_module("...")` too, so a module never
needs a module that needs it back. The import graph is grimp's (import-linter's own)."""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Mapping, Set
from pathlib import Path

import grimp
import pytest


def import_graph(package: str) -> dict[str, set[str]]:
    """Each module of `package` and the modules of `package` it imports, grimp's edges plus lazy_module's."""
    graph = grimp.build_graph(package)
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        if module != package and not module.startswith(package + "."):
            continue
        imported = {m for m in graph.find_modules_directly_imported_by(module) if m.startswith(package + ".")}
        source = sys.modules[package].__file__
        assert source is not None
        path = Path(source).parent.joinpath(
            *module[len(package) + 1 :].split(".") if module != package else []
        )
        file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        imported |= {m for m in lazy_imports(file) if m.startswith(package + ".")}
        edges[module] = imported
    return edges


def lazy_imports(file: Path) -> set[str]:
    """The modules `file` loads through `lazy_module("name")` calls (not the ones its docstrings show)."""
    calls = [node for node in ast.walk(ast.parse(file.read_text())) if isinstance(node, ast.Call)]
    return {
        call.args[0].value
        for call in calls
        if isinstance(call.func, ast.Name)
        and call.func.id == "lazy_module"
        and call.args
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    }


def cycles(edges: Mapping[str, Set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(edges.get(module, ())):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1 or module in edges.get(module, ()):
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", ["snapshift.engine", "snapshift.tui"])
def test_no_import_cycles(package: str) -> None:
    importlib.import_module(package)
    edges = import_graph(package)
    assert f"{package}.project" in edges or f"{package}.app" in edges  # the graph is the real one
    assert cycles(edges) == []
