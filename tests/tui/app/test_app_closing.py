"""A job's messages that arrive while the app shuts down (its widgets already removed, the screen still
on the stack) are dropped, not an exception: a CI run once failed this way when verify was cancelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapshift.tui.messages import JobFinished, JobProgressed
from snapshift.tui.widgets.log import LogPane
from snapshift.tui.widgets.migrations import MigrationsPane
from tests.support.appkit import copy_example, make_app, planned


async def test_job_messages_after_the_widgets_are_gone_are_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")  # no embedded database left
    app = make_app(copy_example(tmp_path), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await app.main.query_one(LogPane).remove()
        await app.main.query_one(MigrationsPane).remove()
        assert app.screen_stack  # the main screen is still there; its widgets are not
        app.on_job_progressed(JobProgressed("applied 1 of 2", 1, 2))
        app.on_job_finished(JobFinished("migrate", "applied 2 migration(s)"))
