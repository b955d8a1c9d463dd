"""The log: one line per event, timestamped; the clock can be frozen for snapshot tests."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

LEVEL_STYLE = {"info": "", "ok": "green", "warning": "yellow", "error": "bold red"}
MAX_LINES = 500


class LogPane(RichLog):
    """RichLog wraps a line once, at the width it has when written: the entries are kept, and written
    again when the width changes (a resize, the keys panel opening), so nothing stays wrapped narrow."""

    clock: ClassVar[Callable[[], str]] = staticmethod(lambda: time.strftime("%H:%M:%S"))

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, highlight=False, max_lines=MAX_LINES, min_width=20)
        self.lines_written: list[str] = []
        self._entries: deque[Text] = deque(maxlen=MAX_LINES)
        self._width = 0

    def on_mount(self) -> None:
        self.border_title = "Log"

    def add(self, message: str, level: str = "info") -> None:
        self.lines_written.append(message)
        entry = Text.assemble((type(self).clock() + " ", "dim"), (message, LEVEL_STYLE[level]))
        self._entries.append(entry)
        self.write(entry)

    def on_resize(self, event: Resize) -> None:  # RichLog's own handler runs after this one (Textual
        width = event.size.width  # calls each class's): on the first size it writes what waited for it
        if self._size_known and width and width != self._width:
            self.clear()
            for entry in self._entries:
                self.write(entry, scroll_end=False)
            self.scroll_end(animate=False, immediate=False)
        self._width = width or self._width
