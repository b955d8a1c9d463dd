"""Bug-hunt regressions of the migrator against a real PostgreSQL: missing down sections, session settings
that leak from one migration (or tenant) into the next, failures at commit, statement splitting of
SQL-standard function bodies and rules, transaction control inside a transactional migration, bad URLs,
and `status` before the table a `tenants_query` reads exists.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from snapshift.engine.base.errors import ConfigError, InputError, MigrationError
from snapshift.engine.base.masking import mask
from snapshift.engine.base.migrations import (
    list_migrations,
    migration_filename,
    parse_migration,
    split_statements,
)
from snapshift.engine.db.migrator import Migrator
from snapshift.engine.db.tenants import migrate_tenants, rollback_tenants
from snapshift.engine.resources.config import parse_config
from snapshift.tui.cli.main import main
from tests.support.paths import REPO_ROOT

ConnectFactory = Callable[[], psycopg.Connection[Any]]
EXAMPLE = REPO_ROOT / "examples" / "blog"


def factory(url: str) -> ConnectFactory:
    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(url)

    return connect


def write_text(directory: Path, version: int, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / migration_filename(version, name)
    path.write_text(text, encoding="utf-8")
    return path


def write(directory: Path, version: int, name: str, up: str, down: str = "", *, head: str = "") -> Path:
    return write_text(directory, version, name, f"{head}-- migrate:up\n{up}\n-- migrate:down\n{down}\n")


def recorded(url: str, schema: str = "public") -> list[int]:
    with psycopg.connect(url) as conn:
        query = f'SELECT version FROM "{schema}".schema_migrations ORDER BY version'
        return [row[0] for row in conn.execute(query)]


def fetch(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- 1. a file without a `-- migrate:down` section cannot be rolled back


def test_rolling_back_a_file_without_a_down_section_refuses_and_keeps_it_applied(
    database_url: str, tmp_path: Path
) -> None:
    path = write_text(tmp_path, 1, "no_down", "-- migrate:up\nCREATE TABLE a (id int);\n")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    assert migrator.migrate() == [1]
    with pytest.raises(MigrationError) as caught:
        migrator.rollback()
    assert str(path) in str(caught.value)
    assert "no `-- migrate:down` section" in str(caught.value)
    assert recorded(database_url) == [1]
    assert fetch(database_url, "SELECT to_regclass('a') IS NOT NULL") == [(True,)]


def test_an_empty_down_section_is_a_deliberate_no_op(database_url: str, tmp_path: Path) -> None:
    write_text(tmp_path, 1, "empty_down", "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    assert migrator.migrate() == [1]
    assert migrator.rollback() == [1]
    assert recorded(database_url) == []


def test_tenant_rollback_of_a_file_without_a_down_section_fails(database_url: str, tmp_path: Path) -> None:
    path = write_text(tmp_path, 1, "no_down", "-- migrate:up\nCREATE TABLE a (id int);\n")
    migrations = list_migrations(tmp_path)
    assert migrate_tenants(factory(database_url), migrations, ["org_a"]).ok
    report = rollback_tenants(factory(database_url), migrations, ["org_a"])
    [failure] = report.failures
    assert str(path) in str(failure.error) and "no `-- migrate:down` section" in str(failure.error)
    assert recorded(database_url, "org_a") == [1]


# -- 2. session settings do not leak from one migration, or one tenant, into the next

LEAKY = "SET search_path TO elsewhere;\nSET statement_timeout = 12345;\nSET ROLE pg_monitor;"
SEEN = (
    "CREATE TABLE {table} AS SELECT current_user::text AS who, "
    "current_setting('statement_timeout') AS timeout, current_schema()::text AS schema;"
)


def test_settings_of_one_migration_do_not_reach_the_next(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 1, "leaky", f"CREATE SCHEMA elsewhere;\n{LEAKY}", "DROP SCHEMA elsewhere;")
    write(tmp_path, 2, "after", SEEN.format(table="seen"), "DROP TABLE seen;")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    assert migrator.migrate() == [1, 2]
    assert fetch(database_url, "SELECT who, timeout, schema FROM public.seen") == [
        ("postgres", "0", "public")
    ]
    assert recorded(database_url) == [1, 2]


def test_settings_do_not_leak_between_migrations_or_tenants_on_one_connection(
    database_url: str, tmp_path: Path
) -> None:
    write(
        tmp_path, 1, "first", f"{SEEN.format(table='seen1')}\nCREATE SCHEMA IF NOT EXISTS elsewhere;\n{LEAKY}"
    )
    write(tmp_path, 2, "second", f"{SEEN.format(table='seen2')}\n{LEAKY}")
    tenants = ["org_a", "org_b", "org_c"]
    report = migrate_tenants(factory(database_url), list_migrations(tmp_path), tenants, jobs=1)
    assert report.ok, [str(failure.error) for failure in report.failures]
    for tenant in tenants:
        for table in ("seen1", "seen2"):
            row = fetch(database_url, f'SELECT who, timeout, schema FROM "{tenant}".{table}')
            assert row == [("postgres", "0", tenant)], (tenant, table)
        assert recorded(database_url, tenant) == [1, 2]


def test_a_no_transaction_tenant_migration_does_not_leak_settings_either(
    database_url: str, tmp_path: Path
) -> None:
    head = "-- migrate:no-transaction\n"
    write(tmp_path, 1, "first", f"{SEEN.format(table='seen1')}\nSET statement_timeout = 12345;", head=head)
    write(tmp_path, 2, "second", SEEN.format(table="seen2"))
    report = migrate_tenants(factory(database_url), list_migrations(tmp_path), ["org_a", "org_b"], jobs=1)
    assert report.ok, [str(failure.error) for failure in report.failures]
    for tenant in ("org_a", "org_b"):
        assert fetch(database_url, f'SELECT timeout, schema FROM "{tenant}".seen2') == [("0", tenant)]


# -- 3. failures while recording the version or at COMMIT name the migration

DEFERRED = (
    "CREATE TABLE parent (id int PRIMARY KEY);\n"
    "CREATE TABLE child (parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);"
)


def test_a_deferred_constraint_failing_at_commit_names_the_migration(
    database_url: str, tmp_path: Path
) -> None:
    write(tmp_path, 1, "tables", DEFERRED, "DROP TABLE child; DROP TABLE parent;")
    bad = write(tmp_path, 2, "orphan", "INSERT INTO child VALUES (42);", "DELETE FROM child;")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    with pytest.raises(MigrationError) as caught:
        migrator.migrate()
    message = str(caught.value)
    assert str(bad) in message and "commit" in message and "violates foreign key" in message
    assert caught.value.exit_code == 1
    assert recorded(database_url) == [1]
    assert fetch(database_url, "SELECT count(*) FROM child") == [(0,)]


def test_a_failure_recording_the_version_names_the_migration(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 1, "guard", "ALTER TABLE schema_migrations ADD CHECK (version < 2);")
    bad = write(tmp_path, 2, "blocked", "CREATE TABLE t (id int);")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    with pytest.raises(MigrationError) as caught:
        migrator.migrate()
    assert str(bad) in str(caught.value) and "recording its version" in str(caught.value)
    assert recorded(database_url) == [1]
    assert fetch(database_url, "SELECT to_regclass('t')") == [(None,)]


def test_a_tenant_failing_at_commit_names_its_migration(database_url: str, tmp_path: Path) -> None:
    write(tmp_path, 1, "tables", DEFERRED)
    bad = write(tmp_path, 2, "orphan", "INSERT INTO child VALUES (42);")
    report = migrate_tenants(factory(database_url), list_migrations(tmp_path), ["org_a"])
    [failure] = report.failures
    assert "commit" in str(failure.error) and bad.stem in str(failure.error)
    assert fetch(database_url, "SELECT to_regnamespace('org_a')") == [(None,)]


def test_a_version_beyond_bigint_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 9223372036854775808, "huge", "SELECT 1;")
    with pytest.raises(InputError) as caught:
        list_migrations(tmp_path)
    assert caught.value.exit_code == 2
    assert str(path) in str(caught.value) and "bigint" in str(caught.value)
    write(tmp_path / "ok", 9223372036854775807, "largest", "SELECT 1;")
    assert [m.version for m in list_migrations(tmp_path / "ok")] == [9223372036854775807]


# -- 4. SQL-standard function bodies and rules stay whole

ATOMIC = """CREATE FUNCTION add_one(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x IS NULL THEN 0 ELSE x END + 1;
END;"""
ATOMIC_PROCEDURE = """CREATE OR REPLACE PROCEDURE log_it(x int) LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO log VALUES (x);
  INSERT INTO log VALUES (x + 1);
END;"""
RULE = """CREATE RULE log_insert AS ON INSERT TO items DO ALSO (
  INSERT INTO log VALUES (new.id);
  INSERT INTO log VALUES (new.id * 10)
);"""


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (f"{ATOMIC}\nSELECT 1;", [ATOMIC, "SELECT 1;"]),
        (f"{ATOMIC_PROCEDURE} SELECT 2;", [ATOMIC_PROCEDURE, "SELECT 2;"]),
        (f"{RULE}\nSELECT 3;", [RULE, "SELECT 3;"]),
        ("SELECT (1); SELECT 2;", ["SELECT (1);", "SELECT 2;"]),
        ("SELECT 1); SELECT 2;", ["SELECT 1);", "SELECT 2;"]),  # a stray `)` does not go negative
        ("SELECT 'begin atomic'; SELECT 2;", ["SELECT 'begin atomic';", "SELECT 2;"]),
        ("SELECT begin, atomic FROM t; SELECT 2;", ["SELECT begin, atomic FROM t;", "SELECT 2;"]),
        ("SELECT CASE WHEN true THEN 1 END; SELECT 2;", ["SELECT CASE WHEN true THEN 1 END;", "SELECT 2;"]),
    ],
)
def test_statement_splitting_keeps_atomic_bodies_and_rule_actions_whole(
    sql: str, expected: list[str]
) -> None:
    assert split_statements(sql) == expected


def test_atomic_functions_and_rules_apply_in_and_outside_a_transaction(
    database_url: str, tmp_path: Path
) -> None:
    write(tmp_path, 1, "tables", "CREATE TABLE items (id int);\nCREATE TABLE log (id int);")
    write(
        tmp_path,
        2,
        "routines",
        f"{ATOMIC}\n{ATOMIC_PROCEDURE}",
        "DROP PROCEDURE log_it;\nDROP FUNCTION add_one;",
    )
    write(tmp_path, 3, "rule", RULE, "DROP RULE log_insert ON items;", head="-- migrate:no-transaction\n")
    migrator = Migrator(factory(database_url), list_migrations(tmp_path))
    assert migrator.migrate() == [1, 2, 3]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO items VALUES (1)")
        conn.execute("CALL log_it(add_one(4))")
        assert conn.execute("SELECT id FROM log ORDER BY id").fetchall() == [(1,), (5,), (6,), (10,)]
    assert migrator.rollback(steps=2) == [3, 2]


# -- 7. transaction control inside a transactional migration is refused up front


@pytest.mark.parametrize(
    "statement",
    [
        "COMMIT;",
        "commit work;",
        "ROLLBACK;",
        "BEGIN;",
        "START TRANSACTION;",
        "END;",
        "ABORT;",
        "PREPARE TRANSACTION 'x';",
    ],
)
def test_transaction_control_in_a_transactional_migration_is_bad_input(
    tmp_path: Path, statement: str
) -> None:
    path = write(tmp_path, 1, "sneaky", f"CREATE TABLE a (id int);\n\n{statement}\nCREATE TABLE b (id int);")
    with pytest.raises(InputError) as caught:
        parse_migration(path)
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert f"{path}:4:" in message and "-- migrate:no-transaction" in message


def test_transaction_control_in_the_down_section_is_refused_too(tmp_path: Path) -> None:
    path = write(tmp_path, 1, "sneaky", "CREATE TABLE a (id int);", "DROP TABLE a;\ncommit;")
    with pytest.raises(InputError, match=r":5: .*commit"):
        parse_migration(path)


def test_savepoints_bodies_and_no_transaction_files_may_hold_transaction_words(tmp_path: Path) -> None:
    allowed = (
        "SAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nrollback to s;\nROLLBACK WORK TO s;\nRELEASE s;\n"
        "DO $$ BEGIN PERFORM 1; END $$;\n" + ATOMIC
    )
    assert len(parse_migration(write(tmp_path, 1, "fine", allowed)).up) == 7
    outside = write(tmp_path, 2, "outside", "COMMIT;\nBEGIN;", head="-- migrate:no-transaction\n")
    assert len(parse_migration(outside).up) == 2


def test_migrate_refuses_a_commit_before_touching_the_database(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = small_project(tmp_path, monkeypatch, database_url)
    write(project / "priv/repo/migrations", 1, "first", "CREATE TABLE a (id int);")
    bad = write(project / "priv/repo/migrations", 2, "sneaky", "CREATE TABLE b (id int);\nCOMMIT;")
    code, _, err = cli(capsys, "-C", str(project), "migrate")
    assert code == 2
    assert f"{bad}:3:" in err and "no-transaction" in err
    assert fetch(database_url, "SELECT to_regclass('a'), to_regclass('schema_migrations')") == [(None, None)]


# -- 5. a malformed url is bad config naming the file and key; passwords stay out, messages stay whole


def small_project(root: Path, monkeypatch: pytest.MonkeyPatch, url: str, extra: str = "") -> Path:
    monkeypatch.setenv("HARDENING_URL", url)
    (root / "snapshift.toml").write_text(
        f'resources = []\n\n[repos.repo]\nurl = "env:HARDENING_URL"\n{extra}'
    )
    (root / "priv/repo/migrations").mkdir(parents=True)
    return root


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("postgres://u:secret@host:notaport/db", "port"),
        ("postgresql://u:secret@h1:5432,h2:x/db", "port"),
        ("garbage", "not a PostgreSQL URL"),
        ("mysql://user:secret@h/db", "mysql"),
        ("host=h port=abc password=secret", "port"),
    ],
)
def test_a_malformed_url_in_the_config_names_file_key_and_line(tmp_path: Path, url: str, needle: str) -> None:
    text = f'resources = []\n\n[repos.main]\nurl = "{url}"\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "snapshift.toml")
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert "snapshift.toml:4" in message and "repos.main.url" in message and needle in message
    assert "secret" not in message


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:p@127.0.0.1:5432/db?sslmode=disable", "host=localhost port=5432,5433 dbname=x", "env:X"],
)
def test_good_urls_pass_the_config_check(tmp_path: Path, url: str) -> None:
    config = parse_config(f'[repos.main]\nurl = "{url}"\n', tmp_path / "snapshift.toml")
    assert config.default_repo.url == url


def test_a_malformed_url_from_the_environment_is_bad_config_naming_the_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = small_project(tmp_path, monkeypatch, "postgres://u:secret@localhost:notaport/db")
    code, out, err = cli(capsys, "-C", str(project), "migrate")
    assert code == 2
    assert "HARDENING_URL" in err and "repos.repo.url" in err and "snapshift.toml" in err and "port" in err
    assert "secret" not in out + err


def test_scrubbing_keeps_messages_readable() -> None:
    url = "postgres://u:p@host:5432/db"
    message = "failed to resolve host 'host': Servname not supported for ai_socktype"
    assert mask(message, url, ["p"]) == message
    assert mask("password p was wrong", url, ["p"]) == "password *** was wrong"
    mysql = "mysql://user:pw@h/db"
    shown = mask(f'missing "=" after "{mysql}" in connection info string', mysql, None)
    assert shown == 'missing "=" after "mysql://user:***@h/db" in connection info string'


# -- 6. `status` before the table a tenants_query reads exists


@pytest.fixture
def blog_with_query(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".snapshift"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    config = target / "snapshift.toml"
    text = config.read_text().replace(
        'tenants = ["org_acme", "org_globex"]', 'tenants_query = "select name from organizations"'
    )
    config.write_text(text)
    return target


def test_status_before_the_tenants_table_exists_reports_the_rest(
    blog_with_query: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "-C", str(blog_with_query), "status")
    assert code == 0, err
    assert "1 pending" in out
    assert "tenant list not read yet" in out and "organizations" in out
    code, out, err = cli(capsys, "-C", str(blog_with_query), "status", "--json")
    assert code == 0, err
    assert '"tenants_error": "tenants_query failed: relation \\"organizations\\" does not exist' in out


def test_migrate_tenants_before_the_tenants_table_exists_says_to_migrate_first(
    blog_with_query: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "-C", str(blog_with_query), "migrate", "--tenants")
    assert code == 1
    assert "organizations" in err and "snapshift migrate" in err


# -- minor: a byte order mark


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "1_bom.sql"
    path.write_text("\ufeff-- migrate:up\nSELECT 1;\n-- migrate:down\n", encoding="utf-8")
    assert [s.text for s in parse_migration(path).up] == ["SELECT 1;"]


def test_a_byte_order_mark_in_the_config_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Editors on Windows save one; the TOML reader skips it, as it does in resource files."""
    (tmp_path / "snapshift.toml").write_bytes(b"\xef\xbb\xbfresources = []\n[repos.main]\nurl = 'nope://'\n")
    code, _, err = cli(capsys, "-C", str(tmp_path), "status")
    assert code == 2
    assert "snapshift.toml:3" in err and "repos.main.url" in err
