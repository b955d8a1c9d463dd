"""Tenant runs against a real PostgreSQL: bulk read, skipping, parallel pool, failure isolation."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from snapshift.engine.base.errors import DatabaseError, MigrationError, UsageError
from snapshift.engine.base.migrations import list_migrations, migration_filename
from snapshift.engine.db.migrator import Migrator
from snapshift.engine.db.runs import ProgressEvent
from snapshift.engine.db.tenants import (
    TenantRunReport,
    migrate_tenants,
    read_tenant_versions,
    rollback_tenants,
    tenants_from_query,
)

ConnectFactory = Callable[[], psycopg.Connection[Any]]
TENANTS = [f"org_{index:02d}" for index in range(50)]


class Counter:
    """A connection factory that counts the connections it opens and the queries sent through execute."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opened = 0
        self.queries: list[str] = []
        counter = self

        class CountingConnection(psycopg.Connection[Any]):
            def execute(self, *args: Any, **kwargs: Any) -> Any:
                counter.queries.append(str(args[0])[:120])
                return super().execute(*args, **kwargs)

        self._cls = CountingConnection

    def __call__(self) -> psycopg.Connection[Any]:
        self.opened += 1
        return self._cls.connect(self.url)


def factory(url: str) -> ConnectFactory:
    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(url)

    return connect


def write(directory: Path, version: int, name: str, up: str, down: str = "", *, head: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / migration_filename(version, name)
    path.write_text(f"{head}-- migrate:up\n{up}\n-- migrate:down\n{down}\n", encoding="utf-8")
    return path


def versions_of(url: str, tenant: str) -> list[int]:
    with psycopg.connect(url) as conn:
        query = f'SELECT version FROM "{tenant}".schema_migrations ORDER BY version'
        return [row[0] for row in conn.execute(query)]


def tables_of(url: str, tenant: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (tenant,)).fetchall()
    return {row[0] for row in rows}


def items(directory: Path) -> None:
    write(directory, 1, "items", "CREATE TABLE items (id int PRIMARY KEY);", "DROP TABLE items;")


def add_extra(directory: Path) -> Path:
    return write(
        directory,
        2,
        "extra",
        "ALTER TABLE items ADD COLUMN name text;\nCREATE TABLE extra (id int);",
        "DROP TABLE extra;\nALTER TABLE items DROP COLUMN name;",
    )


def test_fifty_tenants_pending_migration_then_nothing_in_one_query(database_url: str, tmp_path: Path) -> None:
    items(tmp_path)
    first = migrate_tenants(factory(database_url), list_migrations(tmp_path), TENANTS, jobs=4)
    assert first.ok
    assert dict(first.changed) == dict.fromkeys(TENANTS, (1,))
    assert tables_of(database_url, "org_49") == {"items", "schema_migrations"}

    add_extra(tmp_path)
    events: list[ProgressEvent] = []
    pool = Counter(database_url)
    second = migrate_tenants(pool, list_migrations(tmp_path), TENANTS, jobs=4, progress=events.append)
    assert pool.opened == 4  # the reading connection works too, plus three worker threads
    assert second.ok
    assert dict(second.changed) == dict.fromkeys(TENANTS, (2,))
    assert second.skipped == ()
    assert all(versions_of(database_url, tenant) == [1, 2] for tenant in TENANTS)
    assert tables_of(database_url, "org_13") == {"items", "extra", "schema_migrations"}
    done = [event for event in events if event.kind == "tenant_done"]
    assert sorted(event.tenant or "" for event in done) == TENANTS
    assert max(event.done for event in done) == 50
    assert all(event.total == 50 for event in done)
    assert sum(1 for event in events if event.kind == "applied") == 50

    counter = Counter(database_url)
    third = migrate_tenants(counter, list_migrations(tmp_path), TENANTS)
    assert third.ok
    assert dict(third.changed) == {}
    assert third.skipped == tuple(TENANTS)
    assert counter.opened == 1
    assert len(counter.queries) == 1, counter.queries


def test_read_tenant_versions_counts_queries(database_url: str, tmp_path: Path) -> None:
    items(tmp_path)
    migrate_tenants(factory(database_url), list_migrations(tmp_path), ["a", "b", "c"])
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "only_schema"')
    counter = Counter(database_url)
    with counter() as conn:
        conn.autocommit = True
        assert read_tenant_versions(conn, ["a", "b", "c"]) == {"a": {1}, "b": {1}, "c": {1}}
        assert len(counter.queries) == 1
        found = read_tenant_versions(conn, ["a", "nope", "only_schema", "c"])
        assert found == {"a": {1}, "nope": None, "only_schema": None, "c": {1}}
        assert len(counter.queries) == 2  # still one query, with or without schemas and tables
        assert read_tenant_versions(conn, []) == {}


def test_a_conflicting_tenant_fails_alone(database_url: str, tmp_path: Path) -> None:
    items(tmp_path)
    migrate_tenants(factory(database_url), list_migrations(tmp_path), TENANTS)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE org_07.extra (other text)")
    path = add_extra(tmp_path)
    tenants = [*TENANTS, "org_new"]
    report = migrate_tenants(factory(database_url), list_migrations(tmp_path), tenants, jobs=3)
    assert not report.ok
    assert [failure.tenant for failure in report.failures] == ["org_07"]
    error = report.failures[0].error
    assert isinstance(error, MigrationError)
    assert error.tenant == "org_07"
    assert error.path == path
    assert error.line == 3
    assert 'relation "extra" already exists' in str(error)
    assert str(error).startswith("[org_07]")
    assert report.not_run == ()
    assert set(report.changed) == set(tenants) - {"org_07"}
    assert report.changed["org_new"] == (1, 2)
    assert versions_of(database_url, "org_07") == [1]
    with psycopg.connect(database_url) as conn:
        columns = conn.execute(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_schema = 'org_07' AND table_name = 'items' AND column_name = 'name'"
        ).fetchone()
    assert columns == (0,)  # the ALTER before the failing statement was rolled back
    assert versions_of(database_url, "org_06") == [1, 2]


def test_fail_fast_stops_taking_new_tenants(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 1, "items", "CREATE TABLE items (id int);")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA bad; CREATE TABLE bad.items (id int)")
    tenants = ["bad", "good_1", "good_2"]
    report = migrate_tenants(
        factory(database_url), list_migrations(tmp_path), tenants, jobs=1, fail_fast=True
    )
    assert [failure.tenant for failure in report.failures] == ["bad"]
    assert report.not_run == ("good_1", "good_2")
    assert not report.ok
    without = migrate_tenants(factory(database_url), list_migrations(tmp_path), tenants, jobs=1)
    assert [failure.tenant for failure in without.failures] == ["bad"]
    assert set(without.changed) == {"good_1", "good_2"}


def test_a_tenant_moves_atomically_over_several_migrations(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 1, "a", "CREATE TABLE a ();")
    write(tmp_path, 2, "b", "CREATE TABLE b ();\nSELECT 1/0;")
    report = migrate_tenants(factory(database_url), list_migrations(tmp_path), ["t1"])
    assert [failure.tenant for failure in report.failures] == ["t1"]
    message = str(report.failures[0].error)
    assert "division by zero" in message
    assert "rolled back" in message
    assert tables_of(database_url, "t1") == set()


def test_rollback_tenants(database_url: str, tmp_path: Path) -> None:
    items(tmp_path)
    add_extra(tmp_path)
    migrate_tenants(factory(database_url), list_migrations(tmp_path), ["a", "b"])
    report = rollback_tenants(factory(database_url), list_migrations(tmp_path), ["a", "b", "never_migrated"])
    assert report.ok
    assert dict(report.changed) == {"a": (2,), "b": (2,)}
    assert report.skipped == ("never_migrated",)
    assert tables_of(database_url, "a") == {"items", "schema_migrations"}
    with psycopg.connect(database_url) as conn:
        exists = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'never_migrated'").fetchone()
    assert exists == (0,)
    everything = rollback_tenants(factory(database_url), list_migrations(tmp_path), ["a", "b"], all=True)
    assert dict(everything.changed) == {"a": (1,), "b": (1,)}
    assert tables_of(database_url, "b") == {"schema_migrations"}


def test_rollback_tenants_refuses_irreversible(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 1, "a", "CREATE TABLE a ();", "-- migrate:irreversible copies data away")
    migrate_tenants(factory(database_url), list_migrations(tmp_path), ["x", "y"])
    report = rollback_tenants(factory(database_url), list_migrations(tmp_path), ["x", "y"])
    assert sorted(failure.tenant for failure in report.failures) == ["x", "y"]
    assert all("irreversible: copies data away" in str(f.error) for f in report.failures)
    assert versions_of(database_url, "x") == [1]


def test_no_transaction_tenant_migration(database_url: str, tmp_path: Path) -> None:
    items(tmp_path)
    write(
        tmp_path,
        2,
        "idx",
        "CREATE INDEX CONCURRENTLY items_id_index ON items (id);",
        "DROP INDEX CONCURRENTLY items_id_index;",
        head="-- migrate:no-transaction\n",
    )
    write(tmp_path, 3, "later", "CREATE TABLE later ();", "DROP TABLE later;")
    tenants = ["n1", "n2", "n3"]
    events: list[ProgressEvent] = []
    report = migrate_tenants(
        factory(database_url), list_migrations(tmp_path), tenants, jobs=2, progress=events.append
    )
    assert report.ok, report.failures
    outside = [e.tenant or "" for e in events if e.kind == "applied" and "outside a transaction" in e.message]
    assert sorted(outside) == tenants
    assert dict(report.changed) == dict.fromkeys(tenants, (1, 2, 3))
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT schemaname FROM pg_indexes WHERE indexname = 'items_id_index'").fetchall()
    assert sorted(row[0] for row in rows) == tenants
    assert tables_of(database_url, "public") == set()
    back = rollback_tenants(factory(database_url), list_migrations(tmp_path), tenants, steps=2)
    assert dict(back.changed) == dict.fromkeys(tenants, (3, 2))


def test_two_concurrent_tenant_runs_apply_each_migration_once(database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.applied_log (tenant text)")
    write(
        tmp_path,
        1,
        "log",
        "SELECT pg_sleep(0.01);\nINSERT INTO public.applied_log VALUES (current_schema());",
    )
    tenants = [f"c{index}" for index in range(20)]
    reports: list[TenantRunReport] = []

    def run() -> None:
        reports.append(migrate_tenants(factory(database_url), list_migrations(tmp_path), tenants, jobs=4))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(report.ok for report in reports), [str(f.error) for r in reports for f in r.failures]
    changed = [tenant for report in reports for tenant in report.changed]
    assert sorted(changed) == sorted(tenants)
    with psycopg.connect(database_url) as conn:
        logged = [row[0] for row in conn.execute("SELECT tenant FROM public.applied_log")]
    assert sorted(logged) == sorted(tenants)


def test_tenants_from_query(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA org_2; CREATE SCHEMA org_1; CREATE SCHEMA other")
    query = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'org\\_%' ORDER BY nspname"
    assert tenants_from_query(factory(database_url), query) == ["org_1", "org_2"]
    assert tenants_from_query(factory(database_url), "VALUES ('b'), (NULL), ('a'), ('b')") == ["b", "a"]
    with pytest.raises(DatabaseError, match="no_such_table"):
        tenants_from_query(factory(database_url), "SELECT name FROM no_such_table")


def test_bad_arguments(database_url: str, tmp_path: Path) -> None:
    items(tmp_path)
    with pytest.raises(UsageError):
        migrate_tenants(factory(database_url), list_migrations(tmp_path), ["a"], jobs=0)
    with pytest.raises(UsageError):
        migrate_tenants(factory(database_url), list_migrations(tmp_path), [""])
    with pytest.raises(UsageError):
        rollback_tenants(factory(database_url), list_migrations(tmp_path), ["a"], all=True, versions=[1])


def test_a_role_without_create_on_the_database_migrates_its_existing_schemas(
    database_url: str, pg_server_url: str, tmp_path: Path
) -> None:
    role = f"snapshift_role_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server_url, autocommit=True) as server:
        server.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            for schema in ["r1", "r2", "r3"]:
                conn.execute(f'CREATE SCHEMA {schema} AUTHORIZATION "{role}"')
        role_url = database_url.replace("postgres@", f"{role}@", 1)
        with (
            psycopg.connect(role_url, autocommit=True) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute("CREATE SCHEMA IF NOT EXISTS r1")  # why existing schemas are never re-created
        items(tmp_path)
        report = migrate_tenants(factory(role_url), list_migrations(tmp_path), ["r1", "r2"])
        assert report.ok, report.failures
        add_extra(tmp_path)
        again = migrate_tenants(factory(role_url), list_migrations(tmp_path), ["r1", "r2"])
        assert dict(again.changed) == {"r1": (2,), "r2": (2,)}
        assert Migrator(factory(role_url), list_migrations(tmp_path), schema="r3").migrate() == [1, 2]
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}" CASCADE')
        with psycopg.connect(pg_server_url, autocommit=True) as server:
            server.execute(f'DROP ROLE "{role}"')


def test_tenant_names_that_need_quoting(database_url: str, tmp_path: Path) -> None:
    items(tmp_path)
    tenants = ["Mixed Case", 'we"ird', "org-1", "x'y"]
    first = migrate_tenants(factory(database_url), list_migrations(tmp_path), tenants)
    assert first.ok, first.failures
    assert set(first.changed) == set(tenants)
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert read_tenant_versions(conn, [*tenants, "absent"]) == {
            **{tenant: {1} for tenant in tenants},
            "absent": None,
        }
    again = migrate_tenants(factory(database_url), list_migrations(tmp_path), tenants)
    assert again.skipped == tuple(tenants)


def test_a_tenant_failure_names_its_tenant_once() -> None:
    from snapshift.engine.base.errors import MigrationError
    from snapshift.engine.db.tenants import TenantFailure

    named = TenantFailure("org_d", MigrationError("x.sql:7: failed", tenant="org_d"))
    assert named.text() == "[org_d] x.sql:7: failed"  # was "[org_d] [org_d] x.sql:7: failed"
    bare = TenantFailure("org_d", MigrationError("failed"))
    assert bare.text() == "[org_d] failed"
