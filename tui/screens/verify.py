"""`v`'s result: the verify report, the first difference highlighted, and the SQL of the migration it
names with the line that mentions the object selected (the section's marker when a statement is missing)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static
from textual.widgets.text_area import Selection

from snapshift.tui.check_views import VerifyView
from snapshift.tui.widgets.sql_area import SqlArea


class VerifyScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,v", "close", "Close")]

    def __init__(self, view: VerifyView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        view = self.view
        report = Text()
        for index, line in enumerate(view.lines):
            if index:
                report.append("\n")
            if index == view.first:
                text = line.lstrip()
                report.append(line[: len(line) - len(text)])
                report.append(text, "bold reverse red")
            elif index == 0 or not line.startswith(" "):
                report.append(line, "bold green" if view.ok else "bold")
            else:
                report.append(line, "dim" if line.lstrip().startswith("note:") else "red")
        with Vertical(classes="dialog verify" + ("" if view.ok else " danger")) as dialog:
            dialog.border_title = "Verify: passed" if view.ok else "Verify: failed"
            dialog.border_subtitle = "esc closes"
            with VerticalScroll(classes="details", can_focus=False):
                yield Static(report, id="verify-report")
            if view.sql:
                yield Label(f"{view.sql_path}", classes="sql-path")
                yield SqlArea(
                    view.sql,
                    language="sql",
                    read_only=True,
                    show_line_numbers=True,
                    soft_wrap=False,
                    id="verify-sql",
                )

    def on_mount(self) -> None:
        if not self.view.sql:
            return
        area = self.query_one("#verify-sql", SqlArea)
        area.focus()
        line = self.view.sql_line
        if line is not None:
            length = len(area.document.get_line(line))
            area.selection = Selection((line, 0), (line, length))
            self.call_after_refresh(area.scroll_to, 0, max(0, line - 3), animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
