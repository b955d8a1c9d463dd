"""The log: one line per event, timestamped; the clock can be frozen for snapshot tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.widgets import RichLog

LEVEL_STYLE = {"info": "", "ok": "green", "warning": "yellow", "error": "bold red"}


class LogPane(RichLog):
    clock: ClassVar[Callable[[], str]] = staticmethod(lambda: time.strftime("%H:%M:%S"))

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, highlight=False, max_lines=500, min_width=20)
        self.lines_written: list[str] = []

    def on_mount(self) -> None:
        self.border_title = "Log"

    def add(self, message: str, level: str = "info") -> None:
        self.lines_written.append(message)
        self.write(Text.assemble((type(self).clock() + " ", "dim"), (message, LEVEL_STYLE[level])))
