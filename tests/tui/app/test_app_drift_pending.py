"""`D` with migrations not yet applied: the pending part is listed apart (not compared, no repair SQL),
in the app on a real PostgreSQL and in the view built from the engine's result."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList

from snapshift.engine.checks.catalog_compare import Difference
from snapshift.engine.checks.drift import DriftGroup, DriftResult, PendingTenants
from snapshift.tui.check_views import drift_view
from snapshift.tui.cli.main import main
from snapshift.tui.screens.drift import DriftScreen
from snapshift.tui.widgets.sql_area import SqlArea
from tests.support.appkit import EXAMPLE, copy_example, log_text, make_app, planned, until

TENANT_VERSION = int(next((EXAMPLE / "priv/repo/tenant_migrations").glob("*.sql")).name.split("_")[0])


def test_the_view_lists_pending_parts_apart_with_no_repair() -> None:
    missing = Difference("index", "documents", "documents_title_index", "", None, "CREATE INDEX ...")
    result = DriftResult(
        "repo",
        (),
        (),
        (DriftGroup(("t1",), (missing,), ("CREATE INDEX ...;",)),),
        True,
        public_pending=(20270101000000, 20270102000000),
        pending_tenants=(PendingTenants(("t2", "t3"), (20270103000000,)),),
    )
    view = drift_view([result])
    assert not view.ok
    assert [(g.title, g.drifted, g.pending) for g in view.groups] == [
        ("database: 2 migration(s) pending", False, True),
        ("1 tenant: 1 difference", True, False),
        ("2 tenants: 1 migration(s) pending", False, True),
    ]
    database, _, tenants = view.groups
    assert database.text == (
        "2 migration(s) pending (20270101000000, 20270102000000): run `snapshift migrate` first, then drift compares"
    )
    assert tenants.text == (
        "2 tenants (t2, t3): 1 migration(s) pending (20270103000000): "
        "run `snapshift migrate --tenants` first, then drift compares"
    )
    assert "ALTER" not in database.sql and "CREATE" not in tenants.sql
    assert database.sql.startswith("-- not compared: ")
    assert view.summary == "; ".join([database.text, view.groups[1].text, tenants.text])


def test_a_view_with_only_pending_parts_is_not_ok() -> None:
    result = DriftResult("repo", (), (), (), True, pending_tenants=(PendingTenants(("t1",), (1,)),))
    view = drift_view([result])
    assert not view.ok
    assert [g.title for g in view.groups] == ["database: matches", "1 tenant: 1 migration(s) pending"]
    assert view.summary.startswith("1 tenant (t1): 1 migration(s) pending (1)")


@pytest.fixture
def project(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example with its public migrations and org_acme's applied; org_globex not migrated yet."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    root = copy_example(tmp_path)
    assert main(["-C", str(root), "migrate"]) == 0
    assert main(["-C", str(root), "migrate", "--tenants", "--only-tenants", "org_acme"]) == 0
    return root


async def test_D_shows_a_tenant_with_pending_migrations_apart(project: Path) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DriftScreen) and app.screen.is_mounted, "drift", 30)
        screen = app.screen
        groups = screen.query_one("#drift-groups", OptionList)
        titles = [str(groups.get_option_at_index(i).prompt) for i in range(groups.option_count)]
        assert titles == ["database: matches", "1 tenant: match", "1 tenant: 1 migration(s) pending"]
        assert groups.highlighted == 2, "the pending group is selected first"
        sql = screen.query_one("#drift-sql", SqlArea).text
        assert "no repair statements" in sql and "CREATE" not in sql
        finding = str(screen.query_one("#drift-finding").render())
        assert f"pending ({TENANT_VERSION}): run `snapshift migrate --tenants` first" in finding
        assert "drift: 1 tenant (org_globex): 1 migration(s) pending" in log_text(app)
        assert any(n.severity == "warning" and n.title == "drift" for n in app._notifications)
