"""The database commands through the CLI on a real PostgreSQL: issue 3's acceptance items 1-6."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from snapshift.engine.db.catalog import TableShape, read_catalog
from snapshift.engine.db.database import with_database
from snapshift.engine.db.devdb import DevDatabase
from snapshift.engine.db.migrator import lock_key
from snapshift.engine.project import Project
from snapshift.tui.cli.main import main
from tests.support.paths import REPO_ROOT
from tests.support.roundtrip import NewDatabase
from tests.support.terminal import on_terminal, run

ROOT = REPO_ROOT
EXAMPLE = ROOT / "examples" / "blog"
TENANTS = ("org_acme", "org_globex")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI in this process: exit code, stdout, stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def drop_if_exists(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def database_exists(server: str, name: str) -> bool:
    with psycopg.connect(server) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


@pytest.fixture
def fresh_url(pg_server_url: str) -> Iterator[str]:
    """The URL of a database that does not exist yet (for `create`); dropped afterwards if it does."""
    name = f"snapshift_cli_{uuid.uuid4().hex[:10]}"
    try:
        yield with_database(pg_server_url, name)
    finally:
        drop_if_exists(pg_server_url, name)


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    target = tmp_path / "blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".snapshift"))
    return target


def tables(url: str) -> dict[str, TableShape]:
    with psycopg.connect(url) as conn:
        return read_catalog(conn).tables


def expected_tables(project: Path) -> dict[str, tuple[set[str], set[str]]]:
    """Table -> (columns, NOT NULL columns) as the resources describe them, tenant tables per tenant."""
    expected: dict[str, tuple[set[str], set[str]]] = {}
    for table in Project.open(project).load_tables():
        columns = {column.name for column in table.columns}
        required = {c.name for c in table.columns if not c.allow_nil or c.primary_key}
        schemas = TENANTS if table.is_tenant else (table.schema or "public",)
        for schema in schemas:
            expected[f"{schema}.{table.name}"] = (columns, required)
    return expected


def assert_catalog_matches_resources(project: Path, url: str) -> None:
    found = tables(url)
    expected = expected_tables(project)
    assert set(found) == set(expected)
    for name, (columns, required) in expected.items():
        assert set(found[name].columns) == columns, name
        not_null = {column for column, info in found[name].columns.items() if info.not_null}
        assert not_null == required, name


def recorded(url: str, schema: str = "public") -> list[int]:
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT version FROM {} ORDER BY 1").format(
            sql.Identifier(schema, "schema_migrations")
        )
        return [row[0] for row in conn.execute(query)]


def add_column(project: Path, resource: str, line: str) -> None:
    path = project / "resources" / f"{resource}.toml"
    path.write_text(path.read_text().replace("[attributes]\n", f"[attributes]\n{line}\n", 1))


# -- item 1: the example project end to end


def test_example_project_create_migrate_status_rollback_drop(
    blog: Path,
    fresh_url: str,
    pg_server_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_url)
    name = fresh_url.rsplit("/", 1)[1]
    at = ["-C", str(blog)]
    code, out, _ = cli(capsys, *at, "create")
    assert code == 0 and f"The database {name} of repo repo created" in out
    assert database_exists(pg_server_url, name)
    code, out, _ = cli(capsys, *at, "create")
    assert code == 0 and "already exists" in out

    # two more migrations, so that `rollback -n 2` leaves the first one (tenant tables reference authors)
    add_column(blog, "tags", 'color = { type = "text" }')
    assert cli(capsys, *at, "generate", "--name", "tag_color")[0] == 0
    add_column(blog, "orgs", 'motto = { type = "text" }')
    assert cli(capsys, *at, "generate", "--name", "org_motto")[0] == 0
    files = sorted((blog / "priv/repo/migrations").glob("*.sql"))
    assert len(files) == 3

    code, out, err = cli(capsys, *at, "migrate")
    assert code == 0, err
    applied = re.findall(r"^== applied (\d+)_(\w+) \(\d+\.\d\ds\)$", out, re.M)
    assert [f"{v}_{n}.sql" for v, n in applied] == [f.name for f in files]
    assert "== repo: migrated 3 migration(s)" in out
    code, out, err = cli(capsys, *at, "migrate", "--tenants")
    assert code == 0, err
    assert "2 tenant(s) migrated, 0 up to date, 0 failed" in out
    assert_catalog_matches_resources(blog, fresh_url)

    code, out, _ = cli(capsys, *at, "status")
    assert code == 0
    assert "3 file(s), 3 applied, 0 pending" in out
    assert "2 tenant(s), 2 up to date, 0 behind" in out
    assert "resources: up to date" in out
    code, out, _ = cli(capsys, *at, "migrate")
    assert code == 0 and "== repo: already up to date" in out

    code, out, err = cli(capsys, *at, "rollback", "-n", "2")
    assert code == 0, err
    rolled = re.findall(r"^== rolled back (\d+)_", out, re.M)
    assert [int(v) for v in rolled] == [int(f.name[:14]) for f in reversed(files[1:])]
    assert recorded(fresh_url) == [int(files[0].name[:14])]
    assert "color" not in tables(fresh_url)["public.tags"].columns

    code, out, err = cli(capsys, *at, "rollback", "--all", "--tenants")
    assert code == 0, err
    assert "2 tenant(s) rolled back" in out
    assert all(not name.startswith(TENANTS) for name in tables(fresh_url))
    code, out, err = cli(capsys, *at, "rollback", "--all")
    assert code == 0, err
    assert tables(fresh_url) == {}
    assert recorded(fresh_url) == []

    code, out, _ = cli(capsys, *at, "drop", "--force")
    assert code == 0 and f"The database {name} of repo repo dropped" in out
    assert not database_exists(pg_server_url, name)


def test_drop_asks_on_a_terminal_and_refuses_without_one(
    blog: Path,
    database_url: str,
    pg_server_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = database_url.rsplit("/", 1)[1]
    env = {**os.environ, "DATABASE_URL": database_url}
    refused = run("-C", str(blog), "drop", env=env)
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert database_exists(pg_server_url, name)

    for reply, kept in (("n", True), ("", True), ("y", False)):
        code, output = on_terminal(["-C", str(blog), "drop"], [reply], env)
        assert code == 0, output
        assert f"Drop database {name}? [yN]" in output
        assert database_exists(pg_server_url, name) is kept


# -- item 2: a failing statement


FAILING = """-- migrate:up
CREATE TABLE first_half (id int);

CREATE TABLE second_half (id int);

INSERT INTO first_half
SELECT id FROM no_such_table;

-- migrate:down
DROP TABLE second_half;
DROP TABLE first_half;
"""


def small_project(root: Path, url_env: str = "DATABASE_URL", extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "snapshift.toml").write_text(f'resources = []\n\n[repos.repo]\nurl = "env:{url_env}"\n{extra}')
    (root / "priv/repo/migrations").mkdir(parents=True)
    (root / "priv/repo/tenant_migrations").mkdir(parents=True)
    return root


def test_a_failing_third_statement_leaves_no_trace_and_a_fixed_file_applies(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    project = small_project(tmp_path / "p")
    folder = project / "priv/repo/migrations"
    (folder / "20260101000000_before.sql").write_text("-- migrate:up\nCREATE TABLE before (id int);\n")
    bad = folder / "20260101000001_broken.sql"
    bad.write_text(FAILING)
    code, out, err = cli(capsys, "-C", str(project), "migrate")
    assert code == 1
    assert "== applied 20260101000000_before" in out
    assert f"{bad}:6:" in err  # the file and the failing statement's line
    assert 'relation "no_such_table" does not exist' in err
    assert "(error at line 7)" in err  # PostgreSQL's position, as a line of the file
    assert "statement: INSERT INTO first_half" in err
    assert "broken" not in out
    assert set(tables(database_url)) == {"public.before"}
    assert recorded(database_url) == [20260101000000]

    bad.write_text(FAILING.replace("no_such_table", "before"))
    code, out, err = cli(capsys, "-C", str(project), "migrate")
    assert code == 0, err
    assert "== applied 20260101000001_broken" in out
    assert set(tables(database_url)) == {"public.before", "public.first_half", "public.second_half"}
    assert recorded(database_url) == [20260101000000, 20260101000001]


# -- item 3: four processes at once


def test_four_migrate_processes_apply_each_migration_once(tmp_path: Path, database_url: str) -> None:
    project = small_project(tmp_path / "p")
    folder = project / "priv/repo/migrations"
    (folder / "20260101000000_log.sql").write_text("-- migrate:up\nCREATE TABLE log (version bigint);\n")
    for index in range(1, 5):
        version = 20260101000000 + index
        (folder / f"{version}_step{index}.sql").write_text(
            f"-- migrate:up\nSELECT pg_sleep(0.05);\nINSERT INTO log VALUES ({version});\n"
        )
    env = {**os.environ, "DATABASE_URL": database_url}
    with psycopg.connect(database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key(None),))
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "snapshift.tui.cli.main", "-C", str(project), "migrate"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            for _ in range(4)
        ]
        waiting_query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        deadline = time.monotonic() + 60
        while holder.execute(waiting_query).fetchone() != (4,):  # all four are queued on the lock
            assert time.monotonic() < deadline, "the four processes never all waited for the lock"
            time.sleep(0.05)
        holder.execute("SELECT pg_advisory_unlock(%s)", (lock_key(None),))
        results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], results
    outputs = [out for out, _ in results]
    assert all("another migration run holds the lock" in out for out in outputs)
    applied = [line for out in outputs for line in out.splitlines() if line.startswith("== applied")]
    assert len(applied) == 5
    assert sum("already up to date" in out for out in outputs) == 3
    with psycopg.connect(database_url) as conn:
        logged = [row[0] for row in conn.execute("SELECT version FROM log ORDER BY 1")]
    assert logged == [20260101000000 + index for index in range(1, 5)]
    assert len(recorded(database_url)) == 5


# -- item 4: 200 tenants


TENANT_QUERY = "SELECT format('tenant_%s', lpad(i::text, 3, '0')) FROM generate_series(1, 200) AS i"


def commits(conn: psycopg.Connection[Any], database: str) -> int:
    """Transactions committed in `database` by sessions that have ended (each autocommit query is one)."""
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (database,)).fetchone()
    return int(row[0]) if row else 0


def wait_for_sessions_to_end(conn: psycopg.Connection[Any], database: str) -> None:
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    deadline = time.monotonic() + 30
    while conn.execute(query, (database,)).fetchone() != (0,):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_two_hundred_tenants_nothing_to_do_in_one_query_and_a_failing_tenant_alone(
    tmp_path: Path,
    database_url: str,
    pg_server_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    project = small_project(tmp_path / "p", extra=f'tenants_query = "{TENANT_QUERY}"\n')
    folder = project / "priv/repo/tenant_migrations"
    (folder / "20260101000000_items.sql").write_text(
        "-- migrate:up\nCREATE TABLE items (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE items;\n"
    )
    names = [f"tenant_{index:03d}" for index in range(1, 201)]
    code, out, err = cli(capsys, "-C", str(project), "migrate", "--tenants", "--jobs", "4")
    assert code == 0, err
    assert "200 tenant(s) migrated, 0 up to date, 0 failed" in out
    assert len([line for line in out.splitlines() if line.startswith("   tenant_")]) == 200
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT schemaname FROM pg_tables WHERE tablename = 'items' ORDER BY 1"
        ).fetchall()
    assert [row[0] for row in rows] == names

    database = database_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server_url, autocommit=True) as watcher:
        wait_for_sessions_to_end(watcher, database)
        before = commits(watcher, database)
        code, out, err = cli(capsys, "-C", str(project), "migrate", "--tenants")
        assert code == 0, err
        wait_for_sessions_to_end(watcher, database)
        # two sessions (each session's start commits a transaction): one runs the tenants_query, the
        # other one query reading the versions of all 200 tenants; no other statement runs
        assert commits(watcher, database) - before == 4
    assert "0 tenant(s) migrated, 200 up to date, 0 failed" in out
    assert "   tenant_" not in out

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE tenant_042.extra (other text)")
    extra = folder / "20260101000001_extra.sql"
    extra.write_text("-- migrate:up\nCREATE TABLE extra (id bigint);\n-- migrate:down\nDROP TABLE extra;\n")
    code, out, err = cli(capsys, "-C", str(project), "migrate", "--tenants")
    assert code == 1
    assert "199 tenant(s) migrated, 0 up to date, 1 failed" in out
    assert f"error: [tenant_042] {extra}:2:" in err
    assert 'relation "extra" already exists' in err
    assert "1 tenant(s) failed" in err
    assert recorded(database_url, "tenant_042") == [20260101000000]
    assert all(
        recorded(database_url, name) == [20260101000000, 20260101000001]
        for name in ("tenant_001", "tenant_200")
    )


def test_only_and_except_tenants(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    at = ["-C", str(blog)]
    assert cli(capsys, *at, "migrate")[0] == 0
    code, out, err = cli(capsys, *at, "migrate", "--tenants", "--except-tenants", "org_acme")
    assert code == 0, err
    assert "   org_globex: applied" in out and "org_acme" not in out
    code, out, err = cli(capsys, *at, "migrate", "--tenants", "--only-tenants", "org_acme,org_globex")
    assert code == 0 and "1 tenant(s) migrated, 1 up to date" in out
    code, _, err = cli(capsys, *at, "migrate", "--tenants", "--only-tenants", "org_acmee")
    assert code == 2 and "org_acmee" in err and "org_acme" in err
    code, _, err = cli(capsys, *at, "migrate", "--only-tenants", "org_acme")
    assert code == 2 and "--only-tenants only applies with --tenants" in err
    code, _, err = cli(capsys, *at, "migrate", "--tenants", "--jobs", "0")
    assert code == 2 and "--jobs" in err


# -- item 5: the embedded development database


@pytest.fixture
def devdb_blog() -> Iterator[Path]:
    """A copy of the example outside /tmp/pytest-of-<user> (the server's user must walk the path)."""
    root = Path(tempfile.mkdtemp(prefix="snapshift-cli-devdb-"))
    project = root / "blog"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".snapshift"))
    try:
        yield project
    finally:
        DevDatabase(project).stop()
        shutil.rmtree(root, ignore_errors=True)


def test_without_a_url_the_dev_database_starts_is_reused_and_stops(devdb_blog: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    at = ["-C", str(devdb_blog)]
    assert run(*at, "devdb", "url", env=env).returncode == 1  # nothing started by merely asking

    migrated = run(*at, "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    [first] = (EXAMPLE / "priv/repo/migrations").glob("*.sql")
    assert f"== applied {first.stem} (" in migrated.stdout
    url = run(*at, "devdb", "url", env=env).stdout.strip()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    assert url.startswith("postgresql://postgres@127.0.0.1:") and port != 5432
    assert f"== repo repo: {url}" in migrated.stdout
    assert (devdb_blog / ".snapshift/devdb/data/PG_VERSION").is_file()
    pid = DevDatabase(devdb_blog).status().pid

    tenants = run(*at, "migrate", "--tenants", env=env)
    assert tenants.returncode == 0, tenants.stderr
    status = run(*at, "status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert document["repos"][0]["url"] == url
    assert document["repos"][0]["migrations"]["pending"] == []
    assert DevDatabase(devdb_blog).status().pid == pid  # the same server served every command
    assert_catalog_matches_resources(devdb_blog, url)

    stopped = run(*at, "devdb", "stop", env=env)
    assert stopped.returncode == 0 and "stopped the dev database" in stopped.stdout
    assert DevDatabase(devdb_blog).status().running is False
    state = run(*at, "devdb", "status", env=env)
    assert "running: no" in state.stdout
    assert "not running" in run(*at, "devdb", "stop", env=env).stdout


# -- item 6: two repos, two databases

TWO_REPOS = """resources = ["resources/*.toml"]

[repos.main]
url = "env:SNAPSHIFT_TEST_MAIN_URL"

[repos.analytics]
url = "env:SNAPSHIFT_TEST_ANALYTICS_URL"
migrations_path = "db/analytics/migrations"
snapshots_path = "db/snapshots"
"""


@pytest.fixture
def second_database(new_database: NewDatabase) -> str:
    return new_database()


def test_two_repos_generate_into_their_own_paths_and_migrate_their_own_databases(
    tmp_path: Path,
    database_url: str,
    second_database: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SNAPSHIFT_TEST_MAIN_URL", database_url)
    monkeypatch.setenv("SNAPSHIFT_TEST_ANALYTICS_URL", second_database)
    project = tmp_path / "two"
    (project / "resources").mkdir(parents=True)
    (project / "snapshift.toml").write_text(TWO_REPOS)
    (project / "resources/users.toml").write_text(
        'table = "users"\n\n[attributes]\nid = { type = "bigint", primary_key = true }\n'
    )
    (project / "resources/hits.toml").write_text(
        'table = "hits"\nrepo = "analytics"\n\n[attributes]\nid = { type = "bigint", primary_key = true }\n'
    )
    code, out, err = cli(capsys, "-C", str(project), "generate")
    assert code == 0, err
    [main_file] = (project / "priv/main/migrations").glob("*.sql")
    [analytics_file] = (project / "db/analytics/migrations").glob("*.sql")
    assert 'CREATE TABLE "users"' in main_file.read_text() and "hits" not in main_file.read_text()
    assert 'CREATE TABLE "hits"' in analytics_file.read_text()
    assert list((project / "db/snapshots/analytics/hits").glob("*.json"))
    assert list((project / "priv/resource_snapshots/main/users").glob("*.json"))

    code, out, err = cli(capsys, "-C", str(project), "migrate", "--repo", "analytics")
    assert code == 0, err
    assert "== repo analytics:" in out and "== repo main:" not in out
    assert set(tables(second_database)) == {"public.hits"}
    assert tables(database_url) == {}

    code, out, err = cli(capsys, "-C", str(project), "migrate")
    assert code == 0, err
    assert out.index("== repo main:") < out.index("== repo analytics:")
    assert "== main: migrated 1 migration(s)" in out
    assert "== analytics: already up to date" in out
    assert set(tables(database_url)) == {"public.users"}

    code, out, _ = cli(capsys, "-C", str(project), "--repo", "main", "status", "--json")
    assert code == 0
    assert [repo["name"] for repo in json.loads(out)["repos"]] == ["main"]
    code, out, err = cli(capsys, "-C", str(project), "rollback", "--repo", "main")
    assert code == 0, err
    assert tables(database_url) == {} and set(tables(second_database)) == {"public.hits"}
    code, _, err = cli(capsys, "-C", str(project), "migrate", "--repo", "nope")
    assert code == 2 and "unknown repo 'nope'" in err


def test_status_json_is_one_valid_document_when_the_config_is_broken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "snapshift.toml").write_text("[repos.repo]\nbogus = 1\n")
    code, out, err = cli(capsys, "-C", str(tmp_path), "status", "--json")
    assert code == 2
    document = json.loads(out)
    assert document["repos"] == [] and "bogus" in document["resource_error"]
    assert "bogus" in err


# -- passwords and bad input


def test_a_password_never_appears_in_output(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cret-Pa55"
    with_password = database_url.replace("postgres@", f"postgres:{secret}@", 1)  # trust auth ignores it
    monkeypatch.setenv("DATABASE_URL", with_password)
    outputs = []
    for args in (["create"], ["migrate"], ["migrate", "--tenants"], ["status"], ["status", "--json"]):
        code, out, err = cli(capsys, "-C", str(blog), *args)
        assert code == 0, err
        outputs.append(out + err)
    missing = with_password.rsplit("/", 1)[0] + "/snapshift_no_such_database"
    monkeypatch.setenv("DATABASE_URL", missing)
    code, out, err = cli(capsys, "-C", str(blog), "migrate")
    assert code == 1 and "does not exist" in err and "snapshift create" in err
    outputs.append(out + err)
    assert all(secret not in text for text in outputs)
    assert "postgres:***@" in outputs[1]


def test_bad_arguments_exit_2(
    blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/unused")
    with pytest.raises(SystemExit) as exit_info:
        main(["-C", str(blog), "rollback", "--all", "-n", "2"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["-C", str(blog), "migrate", "--to", "yesterday"])
    assert exit_info.value.code == 2
    capsys.readouterr()
    code, _, err = cli(capsys, "-C", str(blog), "migrate", "-n", "-1")
    assert code == 2 and "-n must not be negative" in err


def test_a_no_transaction_migration_says_so(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    project = small_project(tmp_path / "p")
    folder = project / "priv/repo/migrations"
    (folder / "20260101000000_items.sql").write_text("-- migrate:up\nCREATE TABLE items (id int);\n")
    (folder / "20260101000001_index.sql").write_text(
        "-- migrate:no-transaction\n-- migrate:up\nCREATE INDEX CONCURRENTLY items_id ON items (id);\n"
    )
    code, out, err = cli(capsys, "-C", str(project), "migrate")
    assert code == 0, err
    lines = out.splitlines()
    assert "== applying 20260101000001_index outside a transaction, statement by statement" in lines
    assert lines.index(
        "== applying 20260101000001_index outside a transaction, statement by statement"
    ) < next(i for i, line in enumerate(lines) if line.startswith("== applied 20260101000001_index"))
