"""`snapshift status` and Project.status(): applied, pending, out of order, missing, untracked, resources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest

from snapshift.engine.project import Project
from snapshift.tui.cli.main import main
from tests.support.gitrepo import git
from tests.support.paths import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "blog"


def only_version(folder: Path) -> int:
    """The version of the example's single migration in `folder` (the example gets regenerated)."""
    [path] = folder.glob("*_migrate_resources1.sql")
    return int(path.name.split("_", 1)[0])


MAIN_VERSION = only_version(EXAMPLE / "priv/repo/migrations")
TENANT_VERSION = only_version(EXAMPLE / "priv/repo/tenant_migrations")


@pytest.fixture
def blog(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".snapshift"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    return target


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_migration(folder: Path, version: int, name: str, up: str) -> Path:
    path = folder / f"{version}_{name}.sql"
    path.write_text(f"-- migrate:up\n{up}\n-- migrate:down\n")
    return path


def test_fresh_database_everything_pending_outside_git(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "-C", str(blog), "status")
    assert code == 0, err
    assert "migrations (priv/repo/migrations): 1 file(s), 0 applied, 1 pending" in out
    assert f"pending: {MAIN_VERSION}_migrate_resources1" in out
    assert out.count("untracked: unknown (not a git work tree)") == 2
    assert "2 tenant(s), 0 up to date, 2 behind" in out
    assert f"org_acme: pending {TENANT_VERSION}_migrate_resources1" in out
    status = Project.open(blog).status()
    [repo] = status.repos
    assert repo.database_exists
    assert repo.migrations.untracked is None and status.untracked_unknown == "not a git work tree"
    assert [t.migrated for t in repo.tenant_migrations.tenants] == [False, False]


def test_applied_out_of_order_and_missing_files(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "-C", str(blog), "migrate")[0] == 0
    assert cli(capsys, "-C", str(blog), "migrate", "--tenants", "--only-tenants", "org_acme")[0] == 0
    folder = blog / "priv/repo/migrations"
    write_migration(folder, 20270101000000, "later", "CREATE TABLE later_one (id int);")
    assert cli(capsys, "-C", str(blog), "migrate")[0] == 0
    write_migration(folder, 20260101000000, "older", "CREATE TABLE older_one (id int);")
    (folder / "20270101000000_later.sql").unlink()

    code, out, err = cli(capsys, "-C", str(blog), "status")
    assert code == 0, err
    assert "2 file(s), 2 applied, 1 pending" in out
    assert "pending: 20260101000000_older" in out
    assert "out of order: 20260101000000_older" in out
    assert "missing files: 20270101000000" in out
    assert "2 tenant(s), 1 up to date, 1 behind" in out
    assert f"org_globex: pending {TENANT_VERSION}_migrate_resources1" in out

    code, out, _ = cli(capsys, "-C", str(blog), "status", "--json")
    assert code == 0
    [repo] = json.loads(out)["repos"]
    migrations = repo["migrations"]
    assert migrations["applied"] == [MAIN_VERSION, 20270101000000]
    assert migrations["pending"] == migrations["out_of_order"] == [20260101000000]
    assert migrations["missing_files"] == [20270101000000]
    assert [(f["version"], f["applied"]) for f in migrations["files"]] == [
        (20260101000000, False),
        (MAIN_VERSION, True),
    ]
    tenants = {t["name"]: t for t in repo["tenant_migrations"]["tenants"]}
    assert tenants["org_acme"]["applied"] == [TENANT_VERSION] and tenants["org_acme"]["pending"] == []
    assert tenants["org_globex"]["pending"] == [TENANT_VERSION]
    assert tenants["org_globex"]["migrated"] is False

    write_migration(blog / "priv/repo/tenant_migrations", 20200101000000, "early", "SELECT 1;")
    out = cli(capsys, "-C", str(blog), "status")[1]
    assert "org_acme: out of order 20200101000000_early\n" in out, out  # only what is there to say


def test_untracked_by_git_and_pending_resource_changes(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(blog, "init", "-q")
    git(blog, "add", "-A")
    git(blog, "commit", "-q", "-m", "example")
    resource = blog / "resources" / "tags.toml"
    resource.write_text(
        resource.read_text().replace("[attributes]\n", '[attributes]\ncolor = { type = "text" }\n')
    )
    code, out, _ = cli(capsys, "-C", str(blog), "status")
    assert code == 0
    assert out.count("untracked: none") == 2
    assert "resources: changes pending (run `snapshift generate`)" in out

    assert cli(capsys, "-C", str(blog), "generate", "--name", "tag_color")[0] == 0
    [new] = [p for p in (blog / "priv/repo/migrations").glob("*.sql") if p.name.endswith("_tag_color.sql")]
    tenant_file = write_migration(blog / "priv/repo/tenant_migrations", 20990101000000, "extra", "SELECT 1;")
    (blog / "priv/repo/migrations/notes.txt").write_text("not a migration")
    code, out, _ = cli(capsys, "-C", str(blog), "status")
    assert code == 0
    assert f"untracked: {new.stem}" in out
    assert f"untracked: {tenant_file.stem}" in out
    assert "resources: up to date" in out

    code, out, _ = cli(capsys, "-C", str(blog), "status", "--json")
    document = json.loads(out)
    assert document["untracked_unknown"] is None
    [repo] = document["repos"]
    assert repo["resources_changed"] is False
    assert repo["migrations"]["untracked"] == [int(new.name[:14])]
    assert {f["name"]: f["untracked"] for f in repo["migrations"]["files"]} == {
        "migrate_resources1": False,
        "tag_color": True,
    }
    assert repo["tenant_migrations"]["untracked"] == [20990101000000]


def test_json_is_stable(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "-C", str(blog), "migrate")[0] == 0
    first = cli(capsys, "-C", str(blog), "status", "--json")[1]
    second = cli(capsys, "-C", str(blog), "status", "--json")[1]
    assert first == second
    document = json.loads(first)
    assert set(document) == {"format", "root", "repos", "untracked_unknown", "resource_error"}
    assert document["format"] == 2
    [repo] = document["repos"]
    assert set(repo) == {
        "name",
        "url",
        "database_exists",
        "resources_changed",
        "error",
        "migrations",
        "tenant_migrations",
    }
    assert set(repo["migrations"]) == {
        "path",
        "files",
        "untracked",
        "applied",
        "pending",
        "out_of_order",
        "missing_files",
    }
    assert set(repo["tenant_migrations"]) == {"path", "files", "untracked", "tenants", "tenants_error"}
    assert repo["migrations"]["path"] == "priv/repo/migrations"


def test_a_missing_database_and_a_broken_resource_are_reported(
    blog: Path, pg_server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_server_url.rsplit("/", 1)[0] + "/snapshift_status_nonexistent")
    (blog / "resources" / "tags.toml").write_text(
        'table = "tags"\n[attributes]\nid = { type = "nonsense" }\n'
    )
    code, out, err = cli(capsys, "-C", str(blog), "status")
    assert code == 2
    assert "(database does not exist)" in out
    assert "1 file(s), 0 applied, 1 pending" in out
    assert "2 tenant(s), 0 up to date, 2 behind" in out  # the configured tenants, all pending
    assert "resources: unknown" in out
    assert "tags.toml" in err and "nonsense" in err
    document = json.loads(cli(capsys, "-C", str(blog), "status", "--json")[1])
    assert document["repos"][0]["database_exists"] is False
    assert "nonsense" in document["resource_error"]


def test_a_refused_connection_is_an_error_not_a_missing_database(
    blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/anything")
    code, _, err = cli(capsys, "-C", str(blog), "status")
    assert code == 1
    assert "could not connect" in err


def test_tenants_query_tenants_in_status(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = blog / "snapshift.toml"
    query = "select nspname from pg_namespace where nspname like 'org\\\\_%' order by 1"
    config.write_text(
        config.read_text().replace('tenants = ["org_acme", "org_globex"]', f'tenants_query = "{query}"')
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA org_b; CREATE SCHEMA org_a; CREATE SCHEMA orgx")
    assert cli(capsys, "-C", str(blog), "migrate")[0] == 0
    code, out, err = cli(capsys, "-C", str(blog), "migrate", "--tenants")
    assert code == 0, err
    assert "   org_a: applied" in out and "   org_b: applied" in out and "orgx" not in out
    [repo] = Project.open(blog).status().repos
    assert [(t.tenant, t.versions.applied) for t in repo.tenant_migrations.tenants] == [
        ("org_a", (TENANT_VERSION,)),
        ("org_b", (TENANT_VERSION,)),
    ]
