"""The Project facade's database methods: results per repo, progress, tenants, create/drop, dev database."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from snapshift.engine.base.errors import MigrationError, UsageError
from snapshift.engine.db.database import database_name
from snapshift.engine.db.dbactions import DatabaseChange, RunResult
from snapshift.engine.db.devdb import DevDatabase
from snapshift.engine.db.run_options import RunFailed, Steps, TenantFilter
from snapshift.engine.db.runs import ProgressEvent
from snapshift.engine.db.tenants import select_tenants
from snapshift.engine.project import Project
from tests.support.roundtrip import NewDatabase

CONFIG = """resources = []

[repos.first]
url = "env:SNAPSHIFT_TEST_FIRST_URL"
tenants = ["t_c", "t_a", "t_b"]

[repos.second]
url = "env:SNAPSHIFT_TEST_SECOND_URL"
"""


def write(folder: Path, version: int, name: str, up: str, down: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}_{name}.sql"
    path.write_text(f"-- migrate:up\n{up}\n-- migrate:down\n{down}\n")
    return path


@pytest.fixture
def second_url(new_database: NewDatabase) -> str:
    return new_database()


@pytest.fixture
def project(tmp_path: Path, database_url: str, second_url: str, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("SNAPSHIFT_TEST_FIRST_URL", database_url)
    monkeypatch.setenv("SNAPSHIFT_TEST_SECOND_URL", second_url)
    (tmp_path / "snapshift.toml").write_text(CONFIG)
    write(tmp_path / "priv/first/migrations", 1, "one", "CREATE TABLE one (id int);", "DROP TABLE one;")
    write(tmp_path / "priv/first/migrations", 2, "two", "CREATE TABLE two (id int);", "DROP TABLE two;")
    write(tmp_path / "priv/second/migrations", 5, "five", "CREATE TABLE five (id int);", "DROP TABLE five;")
    write(tmp_path / "priv/first/tenant_migrations", 10, "t", "CREATE TABLE t (id int);", "DROP TABLE t;")
    return Project.open(tmp_path)


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> 'schema_migrations'"
        ).fetchall()
    return {row[0] for row in rows}


def test_migrate_and_rollback_return_one_result_per_repo_in_config_order(
    project: Project, database_url: str, second_url: str
) -> None:
    events: list[ProgressEvent] = []
    results = project.migrate(progress=events.append)
    assert dict(results) == {
        "first": RunResult("first", "up", (1, 2)),
        "second": RunResult("second", "up", (5,)),
    }
    assert list(results) == ["first", "second"] and results.ok
    applied = [(e.repo, e.version) for e in events if e.kind == "applied"]
    assert applied == [("first", 1), ("first", 2), ("second", 5)]
    assert all(e.elapsed is not None and e.elapsed >= 0 for e in events if e.kind == "applied")
    assert tables(database_url) == {"public.one", "public.two"}
    assert tables(second_url) == {"public.five"}

    assert dict(project.rollback("first", Steps(n=2))) == {"first": RunResult("first", "down", (2, 1))}
    assert tables(database_url) == set() and tables(second_url) == {"public.five"}
    assert list(project.migrate("first", Steps(to=1)).values()) == [RunResult("first", "up", (1,))]
    assert list(project.rollback(steps=Steps(all=True)).values()) == [
        RunResult("first", "down", (1,)),
        RunResult("second", "down", (5,)),
    ]
    with pytest.raises(UsageError):
        project.migrate(steps=Steps(n=-1))
    with pytest.raises(UsageError, match="migrate takes"):
        project.migrate(steps=Steps(all=True))
    with pytest.raises(UsageError, match="unknown repo"):
        project.migrate("third")


def test_a_failing_repo_stops_the_run(project: Project, second_url: str) -> None:
    write(project.root / "priv/first/migrations", 3, "bad", "SELECT 1/0;")
    runs = project.migrate()
    assert not runs.ok and list(runs) == [] and runs.not_run == ["second"]
    [failed] = runs.failed
    assert failed.repo == "first" and isinstance(failed.error, MigrationError)
    with pytest.raises(MigrationError, match="division by zero"):
        runs.check()
    assert tables(second_url) == set()


def test_keep_going_runs_the_next_repo_and_each_repo_is_reported(project: Project, second_url: str) -> None:
    write(project.root / "priv/first/migrations", 3, "bad", "SELECT 1/0;")
    events: list[tuple[str, str]] = []
    runs = project.migrate(keep_going=True, on_repo=lambda e: events.append((e.kind, e.repo)))
    assert events == [("start", "first"), ("failed", "first"), ("start", "second"), ("done", "second")]
    assert list(runs) == ["second"] and runs["second"].versions == (5,)
    assert runs.not_run == [] and [run.repo for run in runs.failed] == ["first"]
    assert tables(second_url) == {"public.five"}
    with pytest.raises(MigrationError, match="division by zero"):
        runs.check()


def test_tenants_and_their_filters(project: Project, database_url: str) -> None:
    assert project.tenants("first") == ["t_c", "t_a", "t_b"]
    assert project.tenants("first", TenantFilter.of(only=["t_b", "t_c"])) == ["t_b", "t_c"]
    assert project.tenants("first", TenantFilter.of(except_=["t_a"])) == ["t_c", "t_b"]
    assert project.tenants("second") == []
    with pytest.raises(UsageError, match="t_z"):
        project.tenants("first", TenantFilter.of(only=["t_z"]))

    results = project.migrate_tenants(which=TenantFilter.of(except_=["t_a"]), jobs=2)
    assert [(r.repo, r.tenants) for r in results.values()] == [("first", ("t_c", "t_b")), ("second", ())]
    assert dict(results["first"].report.changed) == {"t_c": (10,), "t_b": (10,)}
    assert results.ok and results.check() is results
    assert tables(database_url) == {"t_b.t", "t_c.t"}

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA t_a; CREATE TABLE t_a.t (other text)")
    runs = project.migrate_tenants()
    [first, _] = runs.values()
    assert not first.ok and not runs.ok and runs.reraise() is runs
    with pytest.raises(RunFailed, match=r"repo first: 1 tenant\(s\) failed: \[t_a\]"):
        runs.check()
    assert [f.tenant for f in first.report.failures] == ["t_a"]
    assert first.report.skipped == ("t_c", "t_b")

    [back] = project.rollback_tenants("first", which=TenantFilter.of(only=["t_b"])).values()
    assert dict(back.report.changed) == {"t_b": (10,)}
    assert tables(database_url) == {"t_a.t", "t_c.t"}
    with pytest.raises(UsageError, match="--jobs"):
        project.migrate_tenants(jobs=0)


def test_select_tenants() -> None:
    assert select_tenants(["a", "b", "c"]) == ["a", "b", "c"]
    assert select_tenants(["a", "b", "c"], only=["c", "a", "c"]) == ["c", "a"]
    assert select_tenants(["a", "b", "c"], only=["c", "a"], except_=["a"]) == ["c"]
    with pytest.raises(UsageError, match="--except-tenants names no tenant: zzz"):  # a typo drops nothing
        select_tenants(["a", "b", "c"], only=["c", "a"], except_=["a", "zzz"])
    with pytest.raises(UsageError, match="names no tenant: x"):
        select_tenants(["a"], only=["x"])


def test_create_and_drop(project: Project, second_url: str, pg_server_url: str) -> None:
    name = database_name(second_url)
    assert dict(project.create("second")) == {"second": DatabaseChange("second", name, second_url, False)}
    assert dict(project.drop("second")) == {"second": DatabaseChange("second", name, second_url, True)}
    assert dict(project.drop("second")) == {"second": DatabaseChange("second", name, second_url, False)}
    assert dict(project.create("second")) == {"second": DatabaseChange("second", name, second_url, True)}
    [first, second] = project.database_targets()
    assert (first.repo, second.repo) == ("first", "second")
    assert second.database == name and not second.embedded


@pytest.fixture
def dev_project(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Two repos without a URL, outside /tmp/pytest-of-<user> so the server's user can walk the path."""
    monkeypatch.delenv("SNAPSHIFT_TEST_UNSET_URL", raising=False)
    root = Path(tempfile.mkdtemp(prefix="snapshift-facade-devdb-"))
    (root / "snapshift.toml").write_text(
        'resources = []\n[repos.repo]\nurl = "env:SNAPSHIFT_TEST_UNSET_URL"\n[repos.other]\n'
    )
    write(root / "priv/repo/migrations", 1, "a", "CREATE TABLE a (id int);")
    write(root / "priv/other/migrations", 1, "b", "CREATE TABLE b (id int);")
    try:
        yield root
    finally:
        DevDatabase(root).stop()
        shutil.rmtree(root, ignore_errors=True)


def test_repos_without_a_url_get_their_own_database_in_the_dev_cluster(dev_project: Path) -> None:
    project = Project.open(dev_project)
    assert project.devdb_url() is None
    assert list(project.migrate().values()) == [RunResult("repo", "up", (1,)), RunResult("other", "up", (1,))]
    first, second = project.database_url("repo"), project.database_url("other")
    assert project.devdb_url() == first
    assert database_name(first) == "snapshift" and database_name(second) == "snapshift_other"
    assert tables(first) == {"public.a"} and tables(second) == {"public.b"}
    assert all(target.embedded for target in project.database_targets())
    assert project.devdb_status().running
    assert project.devdb_stop() is True
    assert project.devdb_status().running is False
    assert project.devdb_start() == first
