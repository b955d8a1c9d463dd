"""`R`: what regen rolls back, deletes and writes, with a checkbox to migrate afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label


class RegenScreen(ModalScreen[bool | None]):
    """Dismisses with whether to migrate afterwards, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "confirm", "Regen", show=False),
    ]

    def __init__(self, lines: Sequence[str], refused: str | None, migrate: bool = True) -> None:
        super().__init__()
        self.lines = list(lines)
        self.refused = refused
        self.migrate = migrate

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog danger") as dialog:
            dialog.border_title = "Regen"
            with VerticalScroll(classes="details", can_focus=False):
                yield Label("\n".join(self.lines))
            if self.refused:
                yield Label(self.refused, classes="refused")
            yield Checkbox("migrate afterwards", self.migrate, id="migrate")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Regen", id="ok", variant="error", disabled=self.refused is not None)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.action_confirm()
        else:
            self.dismiss(None)

    def action_confirm(self) -> None:
        if self.refused is None:
            self.dismiss(self.query_one("#migrate", Checkbox).value)

    def action_cancel(self) -> None:
        self.dismiss(None)
