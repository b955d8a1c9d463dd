"""What the app's log says after `t` (Session.migrate_tenants) when tenants cannot all run: an excluding
filter or an empty list names its reason, and tenant migrations held back for a pending public one say
which public migration they wait for (issue 17 item 4), and so do new tenants then."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapshift.tui.session import Session
from tests.support.appkit import FIXED_NOW, copy_example


def no_progress(event: object) -> None:
    """The app's progress bar, not wanted here."""


def test_a_config_with_no_tenants_names_why(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    root = copy_example(tmp_path)
    config = root / "snapshift.toml"
    config.write_text(config.read_text().replace('tenants = ["org_acme", "org_globex"]', "tenants = []"))
    session = Session(root, now=FIXED_NOW)
    session.migrate(no_progress)
    said = session.migrate_tenants(no_progress)
    assert said.startswith("no tenants: ")
    assert "set tenants or tenants_query" not in said


def test_tenant_migrations_held_back_name_the_public_one(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    root = copy_example(tmp_path)
    Session(root, now=FIXED_NOW).migrate(no_progress)  # the example's public migration applied
    public = sorted((root / "priv" / "repo" / "migrations").glob("*.sql"))
    tenant = sorted((root / "priv" / "repo" / "tenant_migrations").glob("*.sql"))
    later = int(public[-1].name.split("_", 1)[0]) + 10
    (public[-1].parent / f"{later}_later.sql").write_text(
        "-- migrate:up\nCREATE TABLE later_public (id bigint);\n-- migrate:down\nDROP TABLE later_public;\n"
    )
    (tenant[-1].parent / f"{later + 1}_after_it.sql").write_text(
        "-- migrate:up\nCREATE TABLE later_tenant (id bigint);\n-- migrate:down\nDROP TABLE later_tenant;\n"
    )
    said = Session(root, now=FIXED_NOW).migrate_tenants(no_progress)
    # the example's tenants are new: built from the latest snapshots, which may need the pending public
    # migration, so they wait for it too
    assert said == (
        "migrated 0 tenant(s), 0 failed; 1 tenant migration(s) and 2 new tenant(s) wait for public migration "
        f"{later}: migrate first"
    )
    Session(root, now=FIXED_NOW).migrate(no_progress)
    assert Session(root, now=FIXED_NOW).migrate_tenants(no_progress) == "migrated 2 tenant(s), 0 failed"
