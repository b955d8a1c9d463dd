"""`?`: every key and what it does, and the marks of the Resources tree.

The dialog itself is the scrolling container: `.dialog`'s max-height caps it to the screen and what
does not fit scrolls, with the keys (it has the focus) or the mouse wheel, at any size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from snapshift.tui.widgets.resource_tree import MARKS

MARK_NAMES = {"error": "problems"}  # states the help names otherwise; the rest go by their own name
QUESTION_MARK = ("?", "bold magenta")  # after a table's name in the tree, as resource_tree draws it
NARROW_COLUMNS = 110  # the app's NARROW_WIDTH: below it the three upper panes are tabs
# (key, title, what it does): the app's keys for moving around, which are no actions of their own
MOVING: list[tuple[str, str, str]] = [
    (
        "1",
        "Resources tab",
        f"show Resources and focus the tree (the upper panes are tabs under {NARROW_COLUMNS} columns)",
    ),
    ("2", "Pending tab", f"show Pending and focus its list (a tab under {NARROW_COLUMNS} columns)"),
    ("3", "SQL tab", f"show SQL and focus it (a tab under {NARROW_COLUMNS} columns)"),
    ("tab", "Next pane", "focus the next pane or tab bar (← → switch tabs there); shift+tab goes back"),
]
SCROLLING = "scroll: ↑ ↓ pgup pgdn home end · close: esc q ?"


def intro() -> Text:
    """What the three upper panes show, with the tree's marks drawn as the tree draws them."""
    marks = Text(" ").join(
        Text.assemble((mark, style), " ", MARK_NAMES.get(state, state))
        for state, (mark, style) in MARKS.items()
    )
    return Text.assemble(
        "snapshift watches the resource files and the config and re-plans on every save: the tree marks "
        "each table (",
        marks,
        "; a ",
        QUESTION_MARK,
        " after its name: generate has an open question for it, a rename or a drop, that g asks in a "
        "dialog), Pending lists the operations of the selected table, SQL shows what generate would "
        "write. A broken file keeps the last good plan visible, marked stale, until it is fixed.",
    )


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, keys: Sequence[tuple[str, str, str]]) -> None:
        super().__init__()
        self.keys = list(keys)

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2), pad_edge=False)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column(style="bold")  # wraps too: a very narrow help keeps every description
        table.add_column()
        for key, title, description in [*self.keys, ("", "", ""), *MOVING]:
            table.add_row(key, title, description)
        with VerticalScroll(classes="dialog help") as dialog:
            dialog.border_title = "Help"
            dialog.border_subtitle = SCROLLING
            yield Static(intro(), classes="intro")
            yield Static(table)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # its bindings scroll: up/down, page up/down, home/end

    def action_close(self) -> None:
        self.dismiss(None)
