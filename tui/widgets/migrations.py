"""The migrations of every repo with their state, and a progress bar while a job runs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, ProgressBar, Static

from snapshift.tui.views import MigrationsView

STATE_STYLE = {"applied": "green", "pending": "yellow", "out of order": "bold red", "unknown": "dim"}


class MigrationsPane(Vertical):
    def compose(self) -> ComposeResult:
        yield ProgressBar(id="job-progress", show_eta=False)
        yield Static(id="tenants")
        yield DataTable(id="migration-table", cursor_type="row", zebra_stripes=False)

    def on_mount(self) -> None:
        self.border_title = "Migrations"
        self.query_one("#job-progress").display = False

    def show(self, view: MigrationsView) -> None:
        table: DataTable[Text | str] = self.query_one("#migration-table", DataTable)
        names = [f"{row.name} (tenants)" if row.tenant else row.name for row in view.rows]
        table.clear(columns=True)  # widths given, not measured later: a picture taken now is complete
        table.add_column("version", width=14)
        table.add_column("name", width=max((len(name) for name in names), default=4))
        table.add_column("state", width=12)
        table.add_column("git", width=9)
        for row, name in zip(view.rows, names, strict=True):
            git = {None: "", True: "untracked", False: ""}[row.untracked]
            table.add_row(
                str(row.version), name, Text(row.state, STATE_STYLE[row.state]), Text(git, "magenta")
            )
        lines = list(view.tenants)
        if view.error:
            lines.append(f"database: {view.error}")
        tenants = self.query_one("#tenants", Static)
        shown = Text(
            "\n".join(lines), style="red" if view.error else "dim", no_wrap=True, overflow="ellipsis"
        )
        tenants.update(shown)
        tenants.display = bool(lines)
        applied = sum(1 for row in view.rows if row.state == "applied")
        self.border_title = f"Migrations {len(view.rows)} · {applied} applied"

    def start_job(self, title: str) -> None:
        bar = self.query_one("#job-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.border_subtitle = title

    def progress(self, done: int, total: int) -> None:
        if total:
            self.query_one("#job-progress", ProgressBar).update(total=total, progress=done)

    def end_job(self) -> None:
        self.query_one("#job-progress").display = False
        self.border_subtitle = ""
