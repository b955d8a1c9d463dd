"""`g`: the migration's name (the default offered), with what it will contain."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from snapshift.engine.base.migrations import name_problem


class GenerateScreen(ModalScreen[str | None]):
    """Dismisses with the name, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str, summary: str) -> None:
        super().__init__()
        self.default = default
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Generate"
            with Horizontal(classes="field"):
                yield Label("Name ", classes="field-label")
                yield Input(self.default, id="name", placeholder=self.default)
            yield Label(self.summary, classes="summary")
            yield Label("", id="name-problem", classes="refused")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Generate", id="ok", variant="primary")

    def on_mount(self) -> None:
        self._check(self.default)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check(event.value.strip() or self.default)

    def _check(self, name: str) -> bool:
        """Say what is wrong with the name in the dialog (not after it closed); False when something is."""
        problem = name_problem(name)
        self.query_one("#name-problem", Label).update(problem or "")
        self.query_one("#name-problem", Label).display = problem is not None
        self.query_one("#ok", Button).disabled = problem is not None
        return problem is None

    def on_input_submitted(self) -> None:
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._done()
        else:
            self.dismiss(None)

    def _done(self) -> None:
        name = self.query_one("#name", Input).value.strip() or self.default
        if self._check(name):
            self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
