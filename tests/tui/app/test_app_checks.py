"""`v` (verify) and `D` (drift) in the app against a real PostgreSQL: the job runs in a worker with
progress, its result shows in a screen, and the log and a notification get the summary."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from textual.widgets import OptionList, Static

from snapshift.engine.base.errors import Cancelled
from snapshift.engine.db.scratch import PREFIX
from snapshift.tui.app import SnapshiftApp
from snapshift.tui.check_views import VerifyView
from snapshift.tui.screens.drift import DriftScreen
from snapshift.tui.screens.verify import VerifyScreen
from snapshift.tui.widgets.sql_area import SqlArea
from tests.support.appkit import copy_example, edit, log_text, make_app, planned, until
from tests.support.paths import REPO_ROOT

FIRST = next((REPO_ROOT / "examples/blog/priv/repo/migrations").glob("*.sql")).name


@pytest.fixture
def project(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return copy_example(tmp_path)


def shown(app: SnapshiftApp, selector: str) -> bool:
    """The result screen is up and mounted (its first selection made)."""
    return (
        isinstance(app.screen, VerifyScreen | DriftScreen)
        and app.screen.is_mounted
        and bool(app.screen.query(selector))
    )


def report_text(app: SnapshiftApp) -> str:
    return str(app.screen.query_one("#verify-report", Static).render())


async def test_v_verifies_the_example_and_shows_the_report(project: Path) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await pilot.press(
            "v"
        )  # keys disabled while it runs: test_a_running_job_disables_the_conflicting_keys
        await until(pilot, lambda: app.busy == "verify" or "verify:" in log_text(app), "verify started")
        await until(pilot, lambda: shown(app, "#verify-report"), "the verify report", timeout=30)
        assert app.busy is None
        assert "repo: 2 migration(s) verified: up, down and up again" in report_text(app)
        assert "verify: 2 migration(s) verified" in log_text(app)
        assert "applying migration 20261125233511" in log_text(app), "progress reaches the log"
        assert any(n.title == "verify" for n in app._notifications)
        assert not app.screen.query(SqlArea), "nothing to point at when everything verifies"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, VerifyScreen), "the report closed")


async def test_v_on_a_hand_broken_migration_highlights_the_difference(project: Path) -> None:
    migration = project / "priv" / "repo" / "migrations" / FIRST
    edit(migration, '  "title" text NOT NULL,\n  "slug"', '  "title" varchar(100) NOT NULL,\n  "slug"')
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await pilot.press("v")
        await until(pilot, lambda: shown(app, "#verify-report"), "the verify report", timeout=30)
        screen = app.screen
        assert isinstance(screen, VerifyScreen)
        difference = "up leaves posts.title varchar(100), the resources declare text"
        assert difference in report_text(app)
        first = screen.view.lines[screen.view.first or 0]
        assert difference in first, "the first difference is the highlighted line"
        assert screen.view.sql_path == f"priv/repo/migrations/{FIRST}"
        area = screen.query_one("#verify-sql", SqlArea)
        assert area.selected_text.strip() == '"title" varchar(100) NOT NULL,'
        assert "verify: verification failed: migration 20261125233511" in log_text(app)
        assert any(n.severity == "warning" and n.title == "verify" for n in app._notifications)


async def test_D_groups_tenants_and_shows_the_repair_sql(project: Path, database_url: str) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await pilot.press("m")
        await until(pilot, lambda: app.busy is None and "migrate: applied" in log_text(app), "migrate")
        await pilot.press("t")
        await until(pilot, lambda: app.busy is None and "tenants: migrated 2" in log_text(app), "tenants")
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP INDEX org_globex.documents_unique_title_index")

        await pilot.press("D")
        await until(pilot, lambda: shown(app, "#drift-sql"), "the drift screen", timeout=30)
        screen = app.screen
        groups = screen.query_one("#drift-groups", OptionList)
        titles = [str(groups.get_option_at_index(i).prompt) for i in range(groups.option_count)]
        assert titles == ["database: matches", "1 tenant: match", "1 tenant: 1 difference"]
        assert groups.highlighted == 2, "the first drifted group is selected"
        sql = screen.query_one("#drift-sql", SqlArea).text
        assert 'SET search_path TO "org_globex", public;' in sql
        assert "CREATE UNIQUE INDEX documents_unique_title_index ON documents" in sql
        assert "lacks index documents_unique_title_index" in str(screen.query_one("#drift-finding").render())

        await pilot.press("up")
        await until(
            pilot, lambda: "nothing to repair" in screen.query_one("#drift-sql", SqlArea).text, "match"
        )
        assert "drift: 1 tenant (org_globex) lacks index documents_unique_title_index" in log_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DriftScreen), "the drift screen closed")


def my_scratch_databases(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{PREFIX}{os.getpid()}\\_%",)
        ).fetchall()
    return [row[0] for row in rows]


async def test_leaving_the_app_cancels_verify_and_drops_its_scratch_database(
    project: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(project, watch=False)
    outcomes: list[str] = []
    verify = app.session.verify

    def held(progress: Callable[[Any], None], cancel: Callable[[], bool]) -> Callable[[Any], None]:
        """Progress that holds verify at its first step until the app is leaving: a fast host would
        otherwise finish verify before the test sees its scratch database."""

        def report(event: Any) -> None:
            progress(event)
            deadline = time.monotonic() + 30
            while not cancel() and time.monotonic() < deadline:
                time.sleep(0.02)

        return report

    def watched(progress: Callable[[Any], None], cancel: Callable[[], bool]) -> VerifyView:
        try:
            view = verify(held(progress, cancel), cancel)
        except Cancelled:
            outcomes.append("cancelled")
            raise
        outcomes.append("finished")
        return view

    monkeypatch.setattr(app.session, "verify", watched)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await pilot.press("v")
        await until(pilot, lambda: my_scratch_databases(database_url), "the scratch database")
    deadline = time.monotonic() + 30
    while not outcomes and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outcomes == ["cancelled"]
    while my_scratch_databases(database_url) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert my_scratch_databases(database_url) == []


async def test_v_and_D_are_in_the_palette_and_wait_while_a_job_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from snapshift.tui.palette import ActionsProvider

    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/blog")
    app = make_app(copy_example(tmp_path), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        provider = ActionsProvider(app.screen)
        titles = [title for title, _action, _help in provider._commands()]
        assert {"Verify migrations", "Drift"} <= set(titles)
        keys = {key: active.binding.action for key, active in app.active_bindings.items()}
        assert keys.get("v") == "verify" and keys.get("D") == "drift"
        app.busy = "migrate"
        assert app.check_action("verify", ()) is None and app.check_action("drift", ()) is None
        titles = [title for title, _action, _help in provider._commands()]
        assert "Verify migrations" not in titles and "Drift" not in titles
        await pilot.press("v")
        await pilot.pause(0.1)
        assert "verifying" not in log_text(app), "v does nothing while a job runs"
