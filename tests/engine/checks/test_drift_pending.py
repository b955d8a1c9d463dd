"""`snapshift drift` with migrations that are generated but not applied, on a real PostgreSQL: what
those migrations will change is pending, not drift, so it is reported as such, with no repair SQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.paths import REPO_ROOT
from tests.tui.cli.test_cli_db import cli

EXAMPLE = REPO_ROOT / "examples" / "blog"
NOT_COMPARED = "first, then drift compares"


def drift_json(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = cli(capsys, "-C", str(project), "drift", "--json", *args)
    return code, json.loads(out)[0]


def execute(url: str, statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statements)


def add_attribute(project: Path, resource: str, line: str) -> None:
    path = project / "resources" / f"{resource}.toml"
    text = path.read_text()
    marker = "[attributes]\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + line + "\n", 1))


def generate(capsys: pytest.CaptureFixture[str], project: Path, name: str) -> int:
    """Generate one migration (public or tenant) and return its version."""
    folders = [project / "priv" / "repo" / kind for kind in ("migrations", "tenant_migrations")]
    before = {path.name for folder in folders for path in folder.glob("*.sql")}
    code, out, err = cli(capsys, "-C", str(project), "generate", name)
    assert code == 0, out + err
    new = [path.name for folder in folders for path in folder.glob("*.sql") if path.name not in before]
    assert len(new) == 1, new
    return int(new[0].split("_", 1)[0])


@pytest.fixture
def migrated(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """The example (tenants org_acme and org_globex) with every migration applied, public and tenant."""
    project = tmp_path / "blog"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".snapshift"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli(capsys, "-C", str(project), "migrate")[0] == 0
    assert cli(capsys, "-C", str(project), "migrate", "--tenants")[0] == 0
    return project


def test_a_pending_public_migration_is_reported_pending_not_as_drift(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_attribute(migrated, "tags", 'size = { type = "integer" }')
    version = generate(capsys, migrated, "add_size")

    code, out, _ = cli(capsys, "-C", str(migrated), "drift")
    assert code == 1
    assert out.splitlines() == [
        f"== repo: 1 migration(s) pending ({version}): run `snapshift migrate` first, then drift compares"
    ]
    assert "size" not in out

    code, repair, _ = cli(capsys, "-C", str(migrated), "drift", "--sql")
    assert code == 1
    assert "ALTER TABLE" not in repair and "size" not in repair
    assert repair.strip() == (
        f"-- repo: the database: 1 migration(s) pending ({version}): "
        "run `snapshift migrate` first, then drift compares"
    )

    code, document = drift_json(capsys, migrated)
    assert code == 1
    assert document["comparable"] is False and document["drifted"] is False
    assert document["public_pending"] == [version]
    assert document["public"] == [] and document["public_text"] is None and document["sql"] == ""

    assert cli(capsys, "-C", str(migrated), "migrate")[0] == 0
    code, out, _ = cli(capsys, "-C", str(migrated), "drift", "--tenants")
    assert code == 0, out
    assert "== repo: the database matches the snapshots" in out
    assert "== repo tenants: 2 tenants match" in out


def test_a_tenant_with_a_pending_migration_is_not_compared_and_the_others_are(
    migrated: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    add_attribute(migrated, "documents", 'size = { type = "integer" }')
    version = generate(capsys, migrated, "add_document_size")
    assert cli(capsys, "-C", str(migrated), "migrate", "--tenants", "--only-tenants", "org_acme")[0] == 0
    execute(database_url, "DROP INDEX org_acme.documents_unique_title_index")

    code, out, _ = cli(capsys, "-C", str(migrated), "drift", "--tenants")
    assert code == 1
    assert "== repo: the database matches the snapshots" in out
    tenants = next(line for line in out.splitlines() if line.startswith("== repo tenants: "))
    assert tenants.removeprefix("== repo tenants: ").split("; ") == [
        "1 tenant (org_acme) lacks index documents_unique_title_index",
        f"1 tenant (org_globex): 1 migration(s) pending ({version}): "
        "run `snapshift migrate --tenants` first, then drift compares",
    ]
    assert "lacks column" not in out

    code, repair, _ = cli(capsys, "-C", str(migrated), "drift", "--tenants", "--sql")
    assert code == 1
    assert 'SET search_path TO "org_acme", public;' in repair
    assert "CREATE UNIQUE INDEX documents_unique_title_index ON documents" in repair
    assert '"org_globex"' not in repair and "size" not in repair
    assert f"-- repo: 1 tenant (org_globex): 1 migration(s) pending ({version})" in repair

    code, document = drift_json(capsys, migrated, "--tenants")
    assert code == 1
    assert document["comparable"] is False and document["drifted"] is True
    assert document["public_pending"] == []
    assert document["pending_tenants"] == [{"tenants": ["org_globex"], "versions": [version]}]
    assert [group["tenants"] for group in document["groups"]] == [["org_acme"]]

    execute(database_url, repair)
    assert cli(capsys, "-C", str(migrated), "migrate", "--tenants")[0] == 0
    code, out, _ = cli(capsys, "-C", str(migrated), "drift", "--tenants")
    assert code == 0, out
    assert "== repo tenants: 2 tenants match" in out


def test_a_tenant_without_its_schema_has_every_tenant_migration_pending(
    migrated: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    execute(database_url, "DROP SCHEMA org_globex CASCADE")
    code, document = drift_json(capsys, migrated, "--tenants")
    assert code == 1
    folder = migrated / "priv" / "repo" / "tenant_migrations"
    versions = sorted(int(path.name.split("_", 1)[0]) for path in folder.glob("*.sql"))
    assert document["pending_tenants"] == [{"tenants": ["org_globex"], "versions": versions}]
    assert document["groups"][0]["tenants"] == ["org_acme"] and document["groups"][0]["differences"] == []


def test_with_everything_applied_drift_is_still_reported_with_its_repair(
    migrated: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    execute(
        database_url,
        "ALTER TABLE tags ADD COLUMN size integer; DROP INDEX posts_search_index; "
        "ALTER TABLE org_globex.documents DROP COLUMN body",
    )
    code, out, _ = cli(capsys, "-C", str(migrated), "drift", "--tenants")
    assert code == 1
    assert "pending" not in out
    assert "has a column tags.size that no resource declares" in out
    assert "lacks index posts_search_index" in out
    assert "1 tenant (org_globex) lacks column documents.body" in out

    code, document = drift_json(capsys, migrated, "--tenants")
    assert document["comparable"] is True and document["drifted"] is True
    assert document["public_pending"] == [] and document["pending_tenants"] == []

    code, repair, _ = cli(capsys, "-C", str(migrated), "drift", "--tenants", "--sql")
    assert code == 1
    assert "-- repo:" not in repair, "no pending note when everything is applied"
    assert 'ALTER TABLE "tags" DROP COLUMN "size";' in repair
    assert 'ALTER TABLE "documents" ADD COLUMN "body" text;' in repair
    execute(database_url, repair)
    code, out, _ = cli(capsys, "-C", str(migrated), "drift", "--tenants")
    assert code == 0, out
