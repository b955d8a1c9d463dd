"""Every database key of the app against a real PostgreSQL: m, t, b, c, d, and the database going away
while the app runs (an error in the log and a notification; the app keeps working)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from snapshift.engine.db.database import drop_database, with_database
from snapshift.tui.app import SnapshiftApp
from snapshift.tui.screens.confirm import ConfirmScreen
from snapshift.tui.screens.help import HelpScreen
from snapshift.tui.widgets.status_bar import StatusBar
from tests.support.appkit import copy_example, edit, log_text, make_app, planned, sql_text, until


def applied(url: str, schema: str | None = None) -> list[int]:
    table = f'"{schema}".schema_migrations' if schema else "schema_migrations"
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute(f"SELECT version FROM {table} ORDER BY version")]


def finished(app: SnapshiftApp, text: str) -> bool:
    return app.busy is None and text in log_text(app)


@pytest.fixture
def project(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return copy_example(tmp_path)


async def test_migrate_rollback_and_tenants(project: Path, database_url: str) -> None:
    app = make_app(project)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        status = app.query_one(StatusBar)
        await until(pilot, lambda: status.database is not None and status.database.reachable, "connected")
        assert {row.state for row in app.migrations.rows if not row.tenant} == {"pending"}
        await pilot.press("b")  # nothing applied: said at once, nothing asked
        await pilot.pause(0.5)
        assert not isinstance(app.screen, ConfirmScreen)

        await pilot.press("m")
        await until(pilot, lambda: finished(app, "migrate: applied 1 migration(s)"), "migrate")
        assert applied(database_url) == [20261125233511]
        await until(pilot, lambda: any(r.state == "applied" for r in app.migrations.rows), "the listing")

        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the rollback confirmation")
        await pilot.click("#ok")
        await until(pilot, lambda: finished(app, "rollback: rolled back 20261125233511"), "rollback")
        assert applied(database_url) == []

        await pilot.press("m")
        await until(
            pilot,
            lambda: finished(app, "migrate: applied 1 migration(s)") and "rollback" in log_text(app),
            "m",
        )
        await until(pilot, lambda: log_text(app).count("migrate: applied") == 2, "the second migrate")
        await pilot.press("t")
        await until(pilot, lambda: finished(app, "tenants: migrated 2 tenant(s), 0 failed"), "tenants")
        assert applied(database_url, "org_acme") == [20261125233512]
        assert applied(database_url, "org_globex") == [20261125233512]
        await until(
            pilot, lambda: any("2/2 up to date" in line for line in app.migrations.tenants), "tenants"
        )
        await pilot.press("b")  # the tenant migration came after the public one: it is undone first
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the rollback confirmation")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.lines[:2] == [
            "roll back tenant migration 20261125233512_migrate_resources1 in org_acme, org_globex",
            "roll back 20261125233511_migrate_resources1",
        ]
        await pilot.press("escape")


async def test_a_running_job_disables_the_conflicting_keys(project: Path) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        app.busy = "migrate"
        assert app.check_action("generate", ()) is None
        assert app.check_action("rollback", ()) is None
        assert app.check_action("help", ()) is True
        await pilot.press("b")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmScreen), "b does nothing while a job runs"
        app.busy = None
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), "the help screen closed")


async def test_create_and_drop(tmp_path: Path, pg_server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = with_database(pg_server_url, f"snapshift_app_{tmp_path.name[-12:].lower().replace('-', '_')}")
    drop_database(url)
    monkeypatch.setenv("DATABASE_URL", url)
    app = make_app(copy_example(tmp_path), watch=False)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await planned(pilot)
            status = app.query_one(StatusBar)
            await until(
                pilot, lambda: status.database is not None and not status.database.reachable, "missing"
            )
            assert status.database is not None and status.database.missing  # not "unreachable"
            assert "no database (c creates it)" in str(status.render())
            await until(pilot, lambda: bool(app.migrations.rows), "the listing")
            assert {row.state for row in app.migrations.rows} == {"pending"}, (
                "nothing is applied, in public too"
            )
            assert "press c to create it" in log_text(app)
            await pilot.press("c")
            await until(pilot, lambda: finished(app, "created"), "create")
            await until(pilot, lambda: status.database is not None and status.database.reachable, "connected")
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the drop confirmation")
            await pilot.click("#ok")
            await until(pilot, lambda: finished(app, "dropped"), "drop")
            await until(pilot, lambda: status.database is not None and not status.database.reachable, "gone")
    finally:
        drop_database(url)


async def test_the_database_going_away_is_an_error_and_the_app_keeps_working(
    project: Path, database_url: str
) -> None:
    app = make_app(project)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        status = app.query_one(StatusBar)
        await until(pilot, lambda: status.database is not None and status.database.reachable, "connected")
        drop_database(database_url)

        await pilot.press("m")
        await until(pilot, lambda: app.busy is None and "migrate failed" in log_text(app), "the failure")
        assert "does not exist" in log_text(app)
        await until(
            pilot, lambda: status.database is not None and not status.database.reachable, "unreachable"
        )
        assert any(n.severity == "error" for n in app._notifications)

        edit(
            project / "resources" / "posts.toml",
            'body = { type = "text" }',
            'body = { type = "text" }\nx = { type = "text" }',
        )
        await until(pilot, lambda: 'ADD COLUMN "x"' in sql_text(app), "a re-plan without a database")
        assert app.is_running


def test_the_rollback_preview_counts_a_large_fleet(project: Path, database_url: str) -> None:
    from snapshift.tui.cli.main import main
    from snapshift.tui.session import SHOWN_TENANTS, Session

    fleet = [f"org_{n:02d}" for n in range(SHOWN_TENANTS + 3)]
    config = project / "snapshift.toml"
    config.write_text(
        config.read_text().replace(
            'tenants = ["org_acme", "org_globex"]', f"tenants = {fleet!r}".replace("'", '"')
        )
    )
    assert main(["-C", str(project), "migrate"]) == 0
    assert main(["-C", str(project), "migrate", "--tenants"]) == 0
    [tenant_line, public_line] = Session(project).rollback_preview()
    assert tenant_line.endswith(f"in {', '.join(fleet[:SHOWN_TENANTS])} and 3 more"), tenant_line
    assert public_line == "roll back 20261125233511_migrate_resources1"
