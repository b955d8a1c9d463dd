"""`D`'s result: the live database and every tenant schema against the snapshots, grouped by their
difference; the groups on the left, the repair SQL of the selected one on the right (shown, never run).
A part with pending migrations is listed apart (not compared, no repair) until they are applied."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from snapshift.tui.check_views import DriftGroupView, DriftView
from snapshift.tui.widgets.sql_area import SqlArea


class DriftScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,D", "close", "Close")]

    def __init__(self, view: DriftView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        view = self.view
        options = [
            Option(Text(group.title, _style(group)), id=str(index)) for index, group in enumerate(view.groups)
        ]
        with Vertical(classes="dialog drift" + ("" if view.ok else " danger")) as dialog:
            dialog.border_title = "Drift: none" if view.ok else "Drift"
            dialog.border_subtitle = "esc closes"
            yield Label("", id="drift-finding", classes="summary")
            with Horizontal(id="drift-body"):
                yield OptionList(*options, id="drift-groups")
                yield SqlArea(
                    "",
                    language="sql",
                    read_only=True,
                    show_line_numbers=False,
                    soft_wrap=False,
                    show_cursor=False,
                    id="drift-sql",
                )

    def on_mount(self) -> None:
        groups = self.query_one("#drift-groups", OptionList)
        first = next((i for i, group in enumerate(self.view.groups) if group.drifted or group.pending), 0)
        groups.highlighted = first if self.view.groups else None
        groups.focus()
        self.show_group(first)

    @on(OptionList.OptionHighlighted, "#drift-groups")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_group(event.option_index)

    def show_group(self, index: int) -> None:
        if not 0 <= index < len(self.view.groups):
            return
        group = self.view.groups[index]
        self.query_one("#drift-finding", Label).update(group.text)
        self.query_one("#drift-sql", SqlArea).load_text(group.sql)

    def action_close(self) -> None:
        self.dismiss(None)


def _style(group: DriftGroupView) -> str:
    """Drifted in red, pending (not compared) in yellow, matching in green."""
    if group.drifted:
        return "bold red"
    return "bold yellow" if group.pending else "green"
