"""The app at changing sizes: the log wraps its lines again at the new width, and focus starts on the
resources tree (arrow keys work at once), with 1 2 3 moving it to the pane they show."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapshift.tui.widgets.log import LogPane
from snapshift.tui.widgets.resource_tree import ResourceTree
from snapshift.tui.widgets.sql_area import SqlArea
from tests.support.appkit import copy_example, make_app, planned


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")  # its error: a long line
    return copy_example(tmp_path)


async def test_the_log_wraps_again_when_it_gets_wider(project: Path) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(112, 40)) as pilot:
        await planned(pilot)
        log = app.main.query_one(LogPane)
        await pilot.pause(0.2)
        narrow = len(log.lines)
        await pilot.resize_terminal(200, 40)
        await pilot.pause(0.3)
        assert 0 < len(log.lines) < narrow, "lines written narrow are wrapped again at the new width"
        assert sum(1 for line in log.lines if "opened blog" in line.text) == 1


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_focus_starts_on_the_tree_and_follows_1_2_3(project: Path, size: tuple[int, int]) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=size) as pilot:
        await planned(pilot)
        assert isinstance(app.focused, ResourceTree)
        await pilot.press("2")
        await pilot.pause(0.1)
        assert app.focused is not None and app.focused.id == "operations"
        await pilot.press("3")
        await pilot.pause(0.1)
        assert isinstance(app.focused, SqlArea)
        await pilot.press("1")
        await pilot.pause(0.1)
        assert isinstance(app.focused, ResourceTree)
