"""The pending operations of the selected table (or all), and below them its before/after view."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from snapshift.tui.views import PlanView, Problem, TableRow

SYMBOL_STYLE = {"+": "green", "~": "yellow", "-": "red"}


class PendingPane(Vertical):
    """One line per operation: `+ ~ -`, what it does, and a mark on destructive or rewriting ones."""

    def compose(self) -> ComposeResult:
        yield OptionList(id="operations")
        yield Static(id="change")

    def show(
        self, view: PlanView, selected: str, problems: Sequence[Problem], root: Path, stale: bool
    ) -> None:
        rows = _selected_rows(view, selected)
        options: list[Option] = [_problem_option(p, root) for p in problems]
        for row in rows:
            options += [
                Option(Text.assemble(("? ", "bold magenta"), q), disabled=True) for q in row.questions
            ]
        shown_table = len(rows) == 1
        for row in rows:
            for op in row.operations:
                line = Text.assemble((op.symbol, SYMBOL_STYLE[op.symbol]), " ", op.text)
                if op.destructive:
                    line.append("  ⚠ drop", "bold red")
                elif op.rewrites:
                    line.append("  ⚠ rewrite", "yellow")
                options.append(Option(line))
        count = sum(len(r.operations) for r in rows)
        if not options:
            if not view.planned:
                text = "planning…"
            else:
                text = "no pending changes" if not shown_table else f"{rows[0].name}: unchanged"
            options.append(Option(Text(text, style="dim"), disabled=True))
        operations = self.query_one("#operations", OptionList)
        operations.set_options(options)
        where = rows[0].name if shown_table else "all"
        title = f"Pending  {where} · {count} op{'s' if count != 1 else ''}"
        self.border_title = title + (" · stale" if stale else "")
        self.query_one("#change", Static).update(_change_table(rows[0]) if shown_table else _summary(view))


def _selected_rows(view: PlanView, selected: str) -> list[TableRow]:
    if ":" in selected and not selected.endswith(":"):
        repo, name = selected.split(":", 1)
        return [row for row in view.tables if row.repo == repo and row.name == name]
    only = selected[:-1] if selected.endswith(":") else None
    return [
        row for row in view.tables if (only is None or row.repo == only) and (row.operations or row.questions)
    ]


def _problem_option(problem: Problem, root: Path) -> Option:
    return Option(Text.assemble(("✗ ", "bold red"), (problem.where(root), "bold"), " ", problem.message))


def _change_table(row: TableRow) -> RenderableType:
    if not row.changes:
        return Text(f"{row.name}: {row.state}", style="dim")
    table = Table(box=None, expand=True, padding=(0, 1), show_edge=False)
    table.add_column(row.name, style="bold", no_wrap=True, ratio=2)
    table.add_column("before", ratio=3, overflow="ellipsis")
    table.add_column("after", ratio=3, overflow="ellipsis")
    for change in row.changes:
        name = change.name if change.section == "column" else f"{change.section} {change.name}"
        before = Text(change.before or "-", style="red" if change.after is None else "")
        after = Text(change.after or "-", style="green" if change.before is None else "yellow")
        table.add_row(name, before, after)
    return table


def _summary(view: PlanView) -> RenderableType:
    if not view.planned:
        return Text("no plan yet", style="dim")
    if not view.files:
        return Text("generate would write nothing", style="dim")
    lines = Text(f"generate would write {len(view.files)} file(s):\n", style="bold")
    for name in view.files[:12]:
        lines.append(f"  {name}\n", style="dim")
    if len(view.files) > 12:
        lines.append(f"  ... and {len(view.files) - 12} more\n", style="dim")
    for warning in view.warnings:
        lines.append(warning + "\n", style="yellow")
    return lines
