"""The questions generate may need answered, as dialogs: a rename with its candidates, and a drop that
is confirmed by typing the table's name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

CANCELLED = -1  # escape: the whole generate (or regen) is called off
BACK = -2  # the Back button: the previous question again (the first one's Back calls it all off)
DROP, KEEP = 1, 0  # DropTableScreen's answers


class Choices(RadioSet):
    """A RadioSet where Enter also continues: it only marked the option, so Enter on the one already
    chosen did nothing, and the dialog needed Tab, Tab, Enter."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "choose", "Choose", show=False)]

    class Chosen(Message):
        """Enter was pressed on an option (now the pressed one)."""

    def action_choose(self) -> None:
        self.action_toggle_button()
        self.post_message(self.Chosen())


class ChoiceScreen(ModalScreen[int]):
    """A question with options (renames first, the default selected); dismisses with the option's
    index, BACK or CANCELLED."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, text: str, options: Sequence[str], default: int = 0) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.options = list(options)
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Label(self.text, classes="question")
            with Choices(id="choices"):
                for index, option in enumerate(self.options):
                    yield RadioButton(option, value=index == self.default)
            with Horizontal(classes="buttons"):
                yield Button("Back", id="cancel")
                yield Button("Continue", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#choices", RadioSet).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._continue()
        else:
            self.dismiss(BACK)

    def on_choices_chosen(self) -> None:
        self._continue()

    def _continue(self) -> None:
        chosen = self.query_one("#choices", RadioSet).pressed_index
        self.dismiss(chosen if chosen >= 0 else self.default)

    def action_cancel(self) -> None:
        self.dismiss(CANCELLED)


class DropTableScreen(ModalScreen[int]):
    """Dropping a table deletes its rows: typing its name is the confirmation. Dismisses with DROP, KEEP,
    BACK or CANCELLED."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, table: str) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog danger") as dialog:
            dialog.border_title = f"Drop table {self.table}?"
            yield Label(
                f"{self.table} has no resource any more. Dropping it deletes its rows when the "
                "migration runs; keeping it is remembered in its snapshot.",
                classes="question",
            )
            with Horizontal(classes="field"):
                yield Label("Type the table name to drop it ", classes="field-label")
                yield Input(id="confirm", placeholder=self.table)
            with Horizontal(classes="buttons"):
                yield Button("Back", id="cancel")
                yield Button("Keep table", id="keep", variant="primary")
                yield Button("Drop table", id="drop", variant="error", disabled=True)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#drop", Button).disabled = event.value.strip() != self.table

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.table:
            self.dismiss(DROP)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss({"drop": DROP, "keep": KEEP}.get(event.button.id or "", BACK))

    def action_cancel(self) -> None:
        self.dismiss(CANCELLED)
