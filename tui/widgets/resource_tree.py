"""The resources as a tree (repo -> table), each table marked with its state; counts in the title."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from snapshift.tui.views import PlanView, Problem, TableRow

MARKS = {
    "unchanged": ("●", "dim"),
    "changed": ("~", "yellow"),
    "new": ("+", "green"),
    "removed": ("-", "red"),
    "kept": ("○", "dim"),
    "error": ("✗", "bold red"),
}
ALL = "*"


def table_id(row: TableRow) -> str:
    return f"{row.repo}:{row.name}"


class ResourceTree(Tree[str]):
    """Selecting a table shows its operations, its before/after and scrolls the SQL to it; selecting
    a repo (or the root) shows all of them."""

    def __init__(self, *, first_repo: str | None = None, id: str | None = None) -> None:
        super().__init__(Text("project"), data=ALL, id=id)  # a str: Rich markup, and its emoji table
        self.first_repo = first_repo  # `--repo`: shown first, and selected at the start
        self.show_root = False
        self.guide_depth = 2
        self._shape: tuple[str, ...] = ()
        self._leaves: dict[str, TreeNode[str]] = {}
        self._labels: dict[str, Text] = {}

    def show(self, view: PlanView, problems: Sequence[Problem], root: Path, stale: bool) -> None:
        broken = {p.path for p in problems if p.path is not None}
        rows = [row if row.source not in broken else _broken(row) for row in view.tables]
        rows.sort(key=lambda row: row.repo != self.first_repo)  # stable: the chosen repo first
        known = {row.source for row in rows}
        orphans = [p for p in problems if p.path is not None and p.path not in known]
        shape = tuple(table_id(row) for row in rows) + tuple(f"!{p.path}" for p in orphans)
        labels = {table_id(row): _label(row) for row in rows}
        labels |= {f"!{p.path}": _problem_label(p, root) for p in orphans}
        if shape != self._shape:
            self._rebuild(rows, orphans, labels)
        else:
            for key, label in labels.items():
                if self._labels.get(key) != label:
                    self._leaves[key].set_label(label)
        self._labels = labels
        changed = sum(1 for row in rows if row.state not in ("unchanged", "kept", "error"))  # broken: apart
        title = f"Resources {len(view.tables)}"
        if changed:
            title += f" · {changed} changed"
        if problems:
            title += f" · {len(broken) or len(problems)} broken"
        elif not changed:
            title += " · no changes"
        self.border_title = title + (" · stale" if stale else "")

    def _rebuild(self, rows: Sequence[TableRow], orphans: Sequence[Problem], labels: dict[str, Text]) -> None:
        selected = self.cursor_node.data if self.cursor_node else None
        self.clear()
        self._leaves = {}
        repos: dict[str, TreeNode[str]] = {}
        for row in rows:
            if row.repo not in repos:
                repos[row.repo] = self.root.add(
                    Text(row.repo, style="bold"), data=f"{row.repo}:", expand=True
                )
            key = table_id(row)
            self._leaves[key] = repos[row.repo].add_leaf(labels[key], data=key)
        if orphans:
            node = self.root.add(Text("files with problems", style="bold red"), data=ALL, expand=True)
            for problem in orphans:
                key = f"!{problem.path}"
                self._leaves[key] = node.add_leaf(labels[key], data=key)
        self._shape = tuple(self._leaves)
        target = self._leaves.get(selected or "")
        if selected is None and self.first_repo in repos:
            target = repos[self.first_repo]
        if target is not None:
            self._tree_lines  # number the new lines now (Tree does it lazily), so the move can take  # noqa: B018
            self.move_cursor(target)

    @property
    def selected(self) -> str:
        """The table id under the cursor, `repo:` for a repo, or ALL."""
        node = self.cursor_node
        return node.data if node is not None and node.data else ALL


def _broken(row: TableRow) -> TableRow:
    return replace(row, state="error")


def _label(row: TableRow) -> Text:
    mark, style = MARKS[row.state]
    text = Text.assemble((mark, style), " ", row.name)
    if row.state == "error":
        text.append("  problems", "red")
    elif row.state == "kept":
        text.append("  kept (no resource)", "dim")
    elif row.questions:
        text.append("  ?", "bold magenta")
    elif row.operations:
        text.append(f"  {len(row.operations)} op{'s' if len(row.operations) != 1 else ''}", "dim")
    return text


def _problem_label(problem: Problem, root: Path) -> Text:
    return Text.assemble(("✗", "bold red"), " ", problem.where(root))
