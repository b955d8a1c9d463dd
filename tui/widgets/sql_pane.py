"""The SQL generate would write now, up and down in tabs, read-only and highlighted."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import TabbedContent, TabPane, TextArea
from textual.widgets.text_area import Selection

from snapshift.tui.views import PlanView, SqlText
from snapshift.tui.widgets.sql_area import SqlArea

NOTHING = "-- no changes: generate would write nothing\n"
PLANNING = "-- planning…\n"
BLOCKED = "-- no plan yet: fix the problems first\n"


class SqlPane(Vertical):
    """Keeps the text of both tabs; `scroll_to_table` puts a table's first statement at the top."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._texts: dict[str, SqlText] = {"up": SqlText(PLANNING), "down": SqlText(PLANNING)}

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="sql-up"):
            for side in ("up", "down"):
                with TabPane(side, id=f"sql-{side}"):
                    yield SqlArea(
                        PLANNING,
                        language="sql",
                        read_only=True,
                        show_line_numbers=False,
                        soft_wrap=False,
                        show_cursor=False,
                        id=f"sql-{side}-text",
                    )

    def show(self, view: PlanView, stale: bool, blocked: bool = False) -> None:
        """`blocked`: problems in the files keep a plan from being made (and none was made before)."""
        if view.questions:
            empty = f"-- {len(view.questions)} open question(s): press g to answer them; the SQL follows\n"
        elif not view.planned:
            empty = BLOCKED if blocked else PLANNING
        else:
            empty = NOTHING
        for side, sql in (("up", view.up), ("down", view.down)):
            text = sql.text or empty
            area = self.query_one(f"#sql-{side}-text", TextArea)
            if area.text != text:
                area.load_text(text)
            self._texts[side] = sql
        files = sum(
            1 for line in view.up.text.splitlines() if line.startswith("-- ") and line.endswith(".sql")
        )
        self.border_title = f"SQL · {files} migration{'s' if files != 1 else ''}" + (
            " · stale" if stale else ""
        )

    def text(self, side: str = "up") -> str:
        return self.query_one(f"#sql-{side}-text", TextArea).text

    def scroll_to_table(self, table: str | None) -> None:
        """Select the table's statements and put the first at the top (the top of the text for none)."""
        for side in ("up", "down"):
            area = self.query_one(f"#sql-{side}-text", TextArea)
            lines = self._texts[side].anchors.get(table) if table else None
            if lines is None:
                area.selection = Selection.cursor((0, 0))
                area.scroll_to(y=0, animate=False)
                continue
            start, end = lines
            area.selection = Selection(
                (end, len(area.document.get_line(end))), (start, 0)
            )  # cursor at the start
            area.call_after_refresh(area.scroll_to, y=start, animate=False)
