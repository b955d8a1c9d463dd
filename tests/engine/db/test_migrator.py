"""The migrator against a real PostgreSQL: selection, atomicity, errors, no-transaction, locking."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from snapshift.engine.base.errors import DatabaseError, MigrationError, UsageError
from snapshift.engine.base.migrations import list_migrations, migration_filename
from snapshift.engine.db.migrator import Migrator, lock_key
from snapshift.engine.db.runs import ProgressEvent

ConnectFactory = Callable[[], psycopg.Connection[Any]]


def factory(url: str) -> ConnectFactory:
    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(url)

    return connect


def write(directory: Path, version: int, name: str, up: str, down: str = "", *, head: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / migration_filename(version, name)
    path.write_text(f"{head}-- migrate:up\n{up}\n-- migrate:down\n{down}\n", encoding="utf-8")
    return path


def tables(url: str, schema: str = "public") -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
    return {row[0] for row in rows}


def recorded(url: str, table: str = "schema_migrations") -> list[int]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute(f"SELECT version FROM {table} ORDER BY version")]


def three_tables(directory: Path) -> None:
    for version, name in [(1, "a"), (2, "b"), (3, "c")]:
        write(directory, version, f"create_{name}", f"CREATE TABLE {name} (id int);", f"DROP TABLE {name};")


def test_migrate_applies_pending_in_order_and_records_them(database_url: str, tmp_path: Path) -> None:
    three_tables(tmp_path)
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    assert migrator.applied_versions() == set()
    assert [m.version for m in migrator.pending()] == [1, 2, 3]
    assert migrator.migrate() == [1, 2, 3]
    assert tables(database_url) == {"a", "b", "c", "schema_migrations"}
    assert recorded(database_url) == [1, 2, 3]
    assert migrator.migrate() == []
    assert migrator.pending() == []
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM schema_migrations WHERE inserted_at IS NULL").fetchone()
        column = conn.execute(
            "SELECT data_type FROM information_schema.columns"
            " WHERE table_name = 'schema_migrations' AND column_name = 'version'"
        ).fetchone()
    assert row == (0,)
    assert column == ("bigint",)


def test_migrate_steps_and_to(database_url: str, tmp_path: Path) -> None:
    three_tables(tmp_path)
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    assert migrator.migrate(steps=1) == [1]
    assert migrator.migrate(to=2) == [2]
    assert migrator.migrate(to=2) == []
    assert migrator.migrate(steps=5) == [3]
    with pytest.raises(UsageError):
        migrator.migrate(steps=-1)


def test_rollback_selections(database_url: str, tmp_path: Path) -> None:
    for version in range(1, 6):
        write(tmp_path, version, f"t{version}", f"CREATE TABLE t{version} ();", f"DROP TABLE t{version};")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    migrator.migrate()
    assert migrator.rollback() == [5]
    assert migrator.rollback(steps=2) == [4, 3]
    assert recorded(database_url) == [1, 2]
    migrator.migrate()
    assert migrator.rollback(to=3) == [5, 4, 3]
    migrator.migrate()
    assert migrator.rollback(versions=[2, 4, 99]) == [4, 2]
    assert recorded(database_url) == [1, 3, 5]
    assert tables(database_url) == {"t1", "t3", "t5", "schema_migrations"}
    assert migrator.rollback(all=True) == [5, 3, 1]
    assert tables(database_url) == {"schema_migrations"}
    assert migrator.rollback() == []
    with pytest.raises(UsageError):
        migrator.rollback(all=True, to=3)


def test_rollback_on_a_fresh_database_does_nothing(database_url: str, tmp_path: Path) -> None:
    three_tables(tmp_path)
    assert Migrator(factory(database_url), list_migrations(tmp_path)).rollback(all=True) == []
    assert tables(database_url) == set()


def test_an_older_unapplied_file_still_runs(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 10, "a", "CREATE TABLE a ();")
    write(tmp_path, 30, "c", "CREATE TABLE c ();")
    Migrator(factory(database_url), list_migrations(tmp_path)).migrate()
    write(tmp_path, 20, "b_from_a_merged_branch", "CREATE TABLE b ();")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    assert [m.version for m in migrator.pending()] == [20]
    assert [m.version for m in migrator.out_of_order()] == [20]
    assert migrator.migrate() == [20]
    assert migrator.out_of_order() == []
    assert "b" in tables(database_url)


def test_missing_files_are_reported_and_not_passed_by_rollback(database_url: str, tmp_path: Path) -> None:
    three_tables(tmp_path)
    Migrator(factory(database_url), list_migrations(tmp_path)).migrate()
    (tmp_path / migration_filename(3, "create_c")).unlink()
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    state = migrator.state()
    assert state.missing_files == (3,)
    assert state.applied == frozenset({1, 2, 3})
    assert migrator.missing_files() == [3]
    with pytest.raises(UsageError, match="version\\(s\\) 3 with no migration file"):  # issue 17 item 3
        migrator.rollback()
    assert migrator.rollback(forget=[3]) == [2]
    assert migrator.state().applied == frozenset({1})


FAILING = """CREATE TABLE first_one (id int);
INSERT INTO first_one VALUES (1);
CREATE TABLE second (
  id int,
  broken nosuchtype
);
CREATE TABLE never (id int);"""


def test_a_failing_statement_leaves_no_trace_and_names_file_line_and_message(
    database_url: str, tmp_path: Path
) -> None:
    write(tmp_path, 1, "fine", "CREATE TABLE fine ();")
    path = write(tmp_path, 2, "broken", FAILING, "DROP TABLE never; DROP TABLE second; DROP TABLE first_one;")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    with pytest.raises(MigrationError) as raised:
        migrator.migrate()
    error = raised.value
    assert error.path == path
    assert error.line == 4  # the file's first line is "-- migrate:up"
    assert error.statement is not None and error.statement.startswith("CREATE TABLE second (")
    text = str(error)
    assert f"{path}:4" in text
    assert 'type "nosuchtype" does not exist' in text
    assert "error at line 6" in text
    assert "20_broken" not in text and "2_broken" in text
    assert tables(database_url) == {"fine", "schema_migrations"}
    assert recorded(database_url) == [1]

    path.write_text(path.read_text().replace("nosuchtype", "text"))
    fixed = Migrator(factory(database_url), list_migrations(tmp_path))
    assert fixed.migrate() == [2]
    assert tables(database_url) == {"fine", "first_one", "second", "never", "schema_migrations"}


def test_no_transaction_migration_runs_concurrently_built_index(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 1, "t", "CREATE TABLE t (c int);", "DROP TABLE t;")
    write(
        tmp_path,
        2,
        "idx",
        "CREATE INDEX CONCURRENTLY t_c_index ON t (c);\nCREATE INDEX CONCURRENTLY t_c2_index ON t (c);",
        "DROP INDEX CONCURRENTLY t_c2_index;\nDROP INDEX CONCURRENTLY t_c_index;",
        head="-- migrate:no-transaction\n",
    )
    events: list[ProgressEvent] = []
    migrator = Migrator(factory(database_url), list_migrations(tmp_path), progress=events.append)
    assert migrator.migrate() == [1, 2]
    assert any(e.kind == "start" and e.version == 2 and "outside a transaction" in e.message for e in events)
    with psycopg.connect(database_url) as conn:
        indexes = {row[0] for row in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 't'")}
    assert indexes == {"t_c_index", "t_c2_index"}
    assert migrator.rollback() == [2]
    assert recorded(database_url) == [1]


def test_a_failing_no_transaction_migration_is_not_recorded(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 1, "t", "CREATE TABLE t (c int);")
    write(
        tmp_path,
        2,
        "idx",
        "CREATE INDEX CONCURRENTLY t_c_index ON t (c);\nCREATE INDEX CONCURRENTLY bad ON t (nope);",
        head="-- migrate:no-transaction\n",
    )
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    with pytest.raises(MigrationError, match="outside a transaction") as raised:
        migrator.migrate()
    assert raised.value.line == 4  # after the no-transaction and up lines and the first statement
    assert 'column "nope" does not exist' in str(raised.value)
    assert recorded(database_url) == [1]
    with psycopg.connect(database_url) as conn:
        indexes = {row[0] for row in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 't'")}
    assert indexes == {"t_c_index"}


def test_irreversible_rollback_fails_before_touching_anything(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 1, "a", "CREATE TABLE a ();", "DROP TABLE a;")
    path = write(tmp_path, 2, "drop_b", "CREATE TABLE b ();", "-- migrate:irreversible b's rows are gone")
    write(tmp_path, 3, "c", "CREATE TABLE c ();", "DROP TABLE c;")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    migrator.migrate()
    with pytest.raises(MigrationError) as raised:
        migrator.rollback(steps=2)
    assert "irreversible: b's rows are gone" in str(raised.value)
    assert raised.value.path == path
    assert recorded(database_url) == [1, 2, 3]
    assert "c" in tables(database_url)
    assert migrator.rollback() == [3]


def test_a_public_table_that_tenant_tables_still_use_says_to_roll_back_tenants_first(
    database_url: str, tmp_path: Path
) -> None:
    write(tmp_path, 1, "authors", "CREATE TABLE authors (id int PRIMARY KEY);", "DROP TABLE authors;")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    migrator.migrate()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA org_a; CREATE TABLE org_a.docs (author_id int REFERENCES public.authors)")
    with pytest.raises(MigrationError) as raised:
        migrator.rollback()
    assert "org_a.docs" in str(raised.value) and "snapshift rollback --tenants" in str(raised.value)
    assert recorded(database_url) == [1]


def test_schema_migrator_keeps_tables_and_bookkeeping_in_its_schema(
    database_url: str, tmp_path: Path
) -> None:
    write(tmp_path, 1, "posts", "CREATE TABLE posts (id int);", "DROP TABLE posts;")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path), schema="Org 1")
    assert migrator.migrate() == [1]
    assert tables(database_url, "Org 1") == {"posts", "schema_migrations"}
    assert tables(database_url) == set()
    assert recorded(database_url, '"Org 1".schema_migrations') == [1]
    assert migrator.applied_versions() == {1}
    assert migrator.rollback() == [1]
    assert tables(database_url, "Org 1") == {"schema_migrations"}


def test_progress_events(database_url: str, tmp_path: Path) -> None:
    three_tables(tmp_path)
    events: list[ProgressEvent] = []
    Migrator(factory(database_url), list_migrations(tmp_path), progress=events.append).migrate(steps=2)
    assert [(e.kind, e.version, e.done, e.total) for e in events] == [
        ("start", 1, 0, 2),
        ("applied", 1, 1, 2),
        ("start", 2, 1, 2),
        ("applied", 2, 2, 2),
    ]
    assert events[1].name == "create_a"


def test_a_second_run_waits_for_the_lock_and_reports_it(database_url: str, tmp_path: Path) -> None:
    three_tables(tmp_path)
    events: list[ProgressEvent] = []
    result: list[list[int]] = []
    waiting = threading.Event()

    def progress(event: ProgressEvent) -> None:
        events.append(event)
        if event.kind == "waiting":
            waiting.set()

    migrator = Migrator(factory(database_url), list_migrations(tmp_path), progress=progress)
    with psycopg.connect(database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key(None),))
        worker = threading.Thread(target=lambda: result.append(migrator.migrate()))
        worker.start()
        assert waiting.wait(10)
        assert recorded_or_none(database_url) is None
        holder.execute("SELECT pg_advisory_unlock(%s)", (lock_key(None),))
        worker.join(10)
    assert result == [[1, 2, 3]]
    assert events[0].kind == "waiting"


def recorded_or_none(url: str) -> list[int] | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
    return None if row is None or row[0] is None else recorded(url)


def _migrate_in_process(url: str, directory: str, barrier: Any, results: Any) -> None:
    """Runs in a child process: wait for the others, then migrate the same database."""
    migrator = Migrator(factory(url), list_migrations(Path(directory)))
    barrier.wait()
    try:
        results.put(("ok", migrator.migrate()))
    except Exception as exc:
        results.put(("error", repr(exc)))


def test_four_processes_apply_each_migration_exactly_once(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 1, "log", "CREATE TABLE applied_log (version int);")
    for version in range(2, 7):
        up = f"SELECT pg_sleep(0.05);\nCREATE TABLE t{version} ();\n"
        up += f"INSERT INTO applied_log VALUES ({version});"
        write(tmp_path, version, f"t{version}", up)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    results = context.Queue()
    processes = [
        context.Process(target=_migrate_in_process, args=(database_url, str(tmp_path), barrier, results))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    assert all(status == "ok" for status, _ in outcomes), outcomes
    applied = sorted(version for _, versions in outcomes for version in versions)
    assert applied == [1, 2, 3, 4, 5, 6]
    with psycopg.connect(database_url) as conn:
        logged = [row[0] for row in conn.execute("SELECT version FROM applied_log ORDER BY version")]
    assert logged == [2, 3, 4, 5, 6]
    assert recorded(database_url) == [1, 2, 3, 4, 5, 6]


def test_an_unreachable_database_is_a_database_error(database_url: str, tmp_path: Path) -> None:
    three_tables(tmp_path)
    missing = database_url.rsplit("/", 1)[0] + "/snapshift_no_such_database"
    with pytest.raises(DatabaseError, match="cannot connect"):
        Migrator(factory(missing), list_migrations(tmp_path)).migrate()
