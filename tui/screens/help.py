"""`?`: every key and what it does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "snapshift watches the resource files and the config and re-plans on every save: the tree marks "
    "each table (● unchanged ~ changed + new - removed ✗ problems), Pending lists the operations of "
    "the selected table, SQL shows what generate would write. A broken file keeps the last good plan "
    "visible, marked stale, until it is fixed."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, keys: Sequence[tuple[str, str, str]]) -> None:
        super().__init__()
        self.keys = list(keys)

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, title, description in self.keys:
            table.add_row(key, title, description)
        with Vertical(classes="dialog help") as dialog:
            dialog.border_title = "Help"
            with VerticalScroll():
                yield Static(INTRO, classes="intro")
                yield Static(table)

    def action_close(self) -> None:
        self.dismiss(None)
