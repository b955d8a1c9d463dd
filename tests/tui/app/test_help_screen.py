"""`?` at any size: the help scrolls with the keys and the mouse wheel until its last line is in view,
closes with escape, q or ?, and lists the keys for moving around (1 2 3, tab) and the tree's `?` mark,
each as the app binds or draws it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.events import MouseScrollDown, MouseScrollUp
from textual.geometry import Region
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static, Tabs

from snapshift.tui.app import NARROW_WIDTH, SnapshiftApp
from snapshift.tui.screens.help import MOVING, NARROW_COLUMNS, HelpScreen
from snapshift.tui.widgets.resource_tree import MARKS
from tests.support.appkit import copy_example, make_app, planned, until

SIZES = [(80, 24), (60, 15), (40, 10)]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")  # no database needed
    return copy_example(tmp_path)


async def open_help(pilot: Pilot[Any]) -> VerticalScroll:
    """Press `?` once the first plan is shown; the help's scrolling dialog."""
    app = pilot.app
    await planned(pilot)
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
    await pilot.pause()
    return app.screen.query_one(VerticalScroll)


def help_lines(dialog: VerticalScroll) -> list[tuple[int, str]]:
    """Every line of the help as (its row in the dialog's scrolled content, its text), in order."""
    lines = []
    for static in dialog.query(Static):
        strips = static.render_lines(Region(0, 0, static.size.width, static.size.height))
        lines += [(static.virtual_region.y + row, strip.text.rstrip()) for row, strip in enumerate(strips)]
    return lines


def viewport(dialog: VerticalScroll) -> range:
    """The rows of the help's content inside the dialog at its scroll offset."""
    top = dialog.scroll_offset.y
    return range(top, top + dialog.scrollable_content_region.height)


def shown(dialog: VerticalScroll) -> list[str]:
    """The lines of the help in view."""
    return [text for y, text in help_lines(dialog) if y in viewport(dialog)]


def words(dialog: VerticalScroll) -> str:
    """The whole help as one line: its words, however the lines wrap."""
    return " ".join(" ".join(line for _, line in help_lines(dialog)).split())


def quit_line(lines: list[str]) -> bool:
    return any(line.split()[:2] == ["q", "Quit"] for line in lines if line.strip())


async def test_at_80x24_end_brings_the_quit_line_and_the_last_entries_into_view(project: Path) -> None:
    """QA's case: the list stopped at `R Regen` and no key scrolled."""
    app = make_app(project, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_help(pilot)
        assert app.focused is dialog  # its bindings scroll
        assert dialog.region.bottom <= 24 and dialog.max_scroll_y > 0  # capped by the screen: it scrolls
        assert dialog.scroll_offset.y == 0 and not quit_line(shown(dialog))

        await pilot.press("end")
        await until(pilot, lambda: dialog.scroll_y == dialog.max_scroll_y, "the end of the help")
        lines = shown(dialog)
        assert quit_line(lines), lines
        assert "shift+tab goes back" in " ".join(" ".join(lines).split())  # the very last entry


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_end_and_home_reach_the_last_and_first_lines_at_any_size(
    project: Path, size: tuple[int, int]
) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=size) as pilot:
        dialog = await open_help(pilot)
        assert dialog.region.bottom <= size[1] and dialog.region.right <= size[0]
        first, last = help_lines(dialog)[0][0], help_lines(dialog)[-1][0]
        assert first in viewport(dialog) and last not in viewport(dialog)

        await pilot.press("end")
        await until(pilot, lambda: dialog.scroll_y == dialog.max_scroll_y, "the end of the help")
        assert last in viewport(dialog) and first not in viewport(dialog)

        await pilot.press("home")
        await until(pilot, lambda: dialog.scroll_y == 0, "the top of the help")
        assert first in viewport(dialog)


async def test_up_down_and_pages_scroll_at_80x24(project: Path) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_help(pilot)
        height = dialog.scrollable_content_region.height
        await pilot.press("down", "down")
        await until(pilot, lambda: dialog.scroll_y == 2, "two lines down")
        await pilot.press("up")
        await until(pilot, lambda: dialog.scroll_y == 1, "one line up")
        await pilot.press("pagedown")
        await until(pilot, lambda: dialog.scroll_y == min(1 + height, dialog.max_scroll_y), "a page down")
        await pilot.press("pageup")
        await until(pilot, lambda: dialog.scroll_y == 1, "a page up")


async def test_the_mouse_wheel_scrolls(project: Path) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_help(pilot)
        x, y = dialog.region.center

        def wheel(event: type[MouseScrollDown | MouseScrollUp]) -> None:
            app.post_message(event(None, x, y, 0, 0, 0, False, False, False, screen_x=x, screen_y=y))

        for _ in range(3):
            wheel(MouseScrollDown)
        await until(pilot, lambda: dialog.scroll_y >= 3, "the wheel scrolling down")
        for _ in range(20):
            wheel(MouseScrollDown)
        await until(pilot, lambda: dialog.scroll_y == dialog.max_scroll_y, "the wheel at the end")
        assert quit_line(shown(dialog))
        wheel(MouseScrollUp)
        await until(pilot, lambda: dialog.scroll_y < dialog.max_scroll_y, "the wheel scrolling up")


@pytest.mark.parametrize("key", ["escape", "q", "question_mark"])
async def test_escape_q_and_question_mark_close_it(project: Path, key: str) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_help(pilot)
        await pilot.press("end", key)
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), f"{key} closing the help")
        assert app.is_running and len(app.screen_stack) == 1  # q closed the help, not the app


async def test_the_keys_for_moving_around_and_the_question_mark_are_listed(project: Path) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_help(pilot)
        lines = [line for _, line in help_lines(dialog)]
        for key, title in [
            ("1", "Resources tab"),
            ("2", "Pending tab"),
            ("3", "SQL tab"),
            ("tab", "Next pane"),
        ]:
            assert any(line.split()[:1] == [key] and title in line for line in lines), key
        text = words(dialog)
        assert "shift+tab goes back" in text
        assert f"tabs under {NARROW_WIDTH} columns" in text
        assert "? after its name: generate has an open question for it, a rename or a drop" in text
        for mark, _style in MARKS.values():
            assert f"{mark} " in text


def test_the_listed_keys_are_the_app_s() -> None:
    """1 2 3 are the app's pane keys, in that order; tab and shift+tab are the screen's focus keys."""
    panes = {
        b.key: b.action
        for b in SnapshiftApp.BINDINGS
        if isinstance(b, Binding) and b.action.startswith("pane(")
    }
    assert panes == {"1": "pane('resources')", "2": "pane('pending')", "3": "pane('sql')"}
    assert [(key, title.split()[0].lower()) for key, title, _ in MOVING[:3]] == [
        ("1", "resources"),
        ("2", "pending"),
        ("3", "sql"),
    ]
    assert NARROW_COLUMNS == NARROW_WIDTH
    focus = {b.key: b.action for b in Screen.BINDINGS if isinstance(b, Binding)}
    assert focus["tab"] == "app.focus_next" and focus["shift+tab"] == "app.focus_previous"


async def test_1_2_3_switch_the_tabs_the_help_names_at_80x24(project: Path) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await planned(pilot)
        tabs = app.query_one("#pane-tabs", Tabs)

        async def press(key: str, title: str) -> None:
            await pilot.press(key)
            tab = title.removesuffix(" tab")
            await until(
                pilot, lambda: tabs.active_tab is not None and tabs.active_tab.label_text == tab, title
            )

        for key, title, _ in MOVING[:3]:
            await press(key, title)
        await pilot.press("1")
        await until(pilot, lambda: app.focused is app.query_one("#resources"), "1 focusing the tree")
