"""The top line: project, database (password masked) and whether it answers, what is watched."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from snapshift.tui.views import DatabaseInfo


class StatusBar(Static):
    def __init__(self, project: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.project = project
        self.database: DatabaseInfo | None = None
        self.database_error: str | None = None
        self.watching = 0
        self.plan_state = ""

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        text = Text.assemble((" snapshift ", "bold reverse"), " ", (self.project, "bold"), "  ")
        info = self.database
        if info is None and self.database_error is None:
            text.append("database: checking…", "dim")
        elif info is None:
            text.append(f"database: {self.database_error}", "red")
        else:
            text.append("embedded dev database " if info.embedded else "")
            text.append(info.url)
            if info.reachable:
                text.append("  ● connected", "green")
            elif info.missing:
                text.append("  ✗ no database (c creates it)", "yellow")
            else:
                text.append("  ✗ unreachable", "red")
        if self.plan_state:
            text.append(f"  {self.plan_state}", "dim")
        if self.watching:
            text.append(f"  watching {self.watching} files", "dim")
        self.update(text)
