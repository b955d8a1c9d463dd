"""engine.db.database: URL resolution and redaction, error messages without passwords, create/drop."""

from __future__ import annotations

import threading
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from snapshift.engine.base.errors import ConfigError, DatabaseError
from snapshift.engine.db.database import (
    connect,
    create_database,
    database_exists,
    database_name,
    drop_database,
    maintenance_url,
    redact,
    resolve_url,
    with_database,
)
from snapshift.engine.db.devdb import is_listening
from tests.conftest import SERVER_HOST, SERVER_PORT, force_embedded

SECRET = "s3cr3t-Pa55"


def test_resolve_url_reads_env_variables() -> None:
    environ = {"DATABASE_URL": "postgresql://u@h/db", "EMPTY": "", "BLANK": "   "}
    assert resolve_url("env:DATABASE_URL", environ) == "postgresql://u@h/db"
    assert resolve_url("env:MISSING", environ) is None
    assert resolve_url("env:EMPTY", environ) is None
    assert resolve_url("env:BLANK", environ) is None


def test_resolve_url_passes_urls_and_none_through() -> None:
    assert resolve_url("postgresql://u@h:5433/db", {}) == "postgresql://u@h:5433/db"
    assert resolve_url("host=h dbname=db", {}) == "host=h dbname=db"
    assert resolve_url(None, {}) is None
    assert resolve_url("", {}) is None


def test_resolve_url_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNAPSHIFT_TEST_URL", "postgresql://x@y/z")
    assert resolve_url("env:SNAPSHIFT_TEST_URL") == "postgresql://x@y/z"


def test_resolve_url_rejects_env_without_a_name() -> None:
    with pytest.raises(ConfigError, match="env:NAME"):
        resolve_url("env:", {})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"postgresql://bob:{SECRET}@db.example:5432/app", "postgresql://bob:***@db.example:5432/app"),
        (f"postgres://bob:{SECRET}@h/app?sslmode=require", "postgres://bob:***@h/app?sslmode=require"),
        ("postgresql://bob:p@ss@h/app", "postgresql://bob:***@h/app"),
        (
            f"postgresql://h/app?user=bob&password={SECRET}&x=1",
            "postgresql://h/app?user=bob&password=***&x=1",
        ),
        (f"host=h user=bob password={SECRET} dbname=app", "host=h user=bob password=*** dbname=app"),
        ("host=h password = 'a \\' b\\\\ secret' dbname=app", "host=h password = *** dbname=app"),
        ("postgresql://bob@h/app", "postgresql://bob@h/app"),
        ("host=h dbname=app", "host=h dbname=app"),
    ],
)
def test_redact_hides_passwords(url: str, expected: str) -> None:
    assert redact(url) == expected


def test_database_name_and_with_database() -> None:
    assert database_name("postgresql://u@h:5432/my%20db") == "my db"
    assert database_name("host=h user=u dbname=app") == "app"
    assert database_name("postgresql://alice@h") == "alice"  # libpq's default: the user name
    assert with_database(f"postgresql://u:{SECRET}@h:6/a?sslmode=require", "b c") == (
        f"postgresql://u:{SECRET}@h:6/b%20c?sslmode=require"
    )
    assert database_name(with_database("host=h dbname=a", "other db")) == "other db"


def test_maintenance_url_points_at_postgres() -> None:
    assert maintenance_url("postgresql://u@h:5433/app") == "user=u dbname=postgres host=h port=5433"
    assert maintenance_url("postgresql://u@h:5433/postgres") == "user=u dbname=template1 host=h port=5433"
    assert database_name(maintenance_url("host=h dbname=app")) == "postgres"


def _assert_secret_free(error: DatabaseError) -> None:
    rendered = "".join(traceback.format_exception(error))
    assert SECRET not in rendered
    assert SECRET not in str(error)
    assert error.__cause__ is None and error.__suppress_context__


def test_connect_failure_names_the_server_reason_without_the_password(pg_server_url: str) -> None:
    missing = f"snapshift_missing_{uuid.uuid4().hex[:8]}"
    url = with_database(pg_server_url, missing).replace("postgres@", f"postgres:{SECRET}@", 1)
    assert SECRET in url
    with pytest.raises(DatabaseError) as caught:
        connect(url, connect_timeout=3)
    assert f'database "{missing}" does not exist' in str(caught.value)
    assert "postgres:***@" in str(caught.value)
    _assert_secret_free(caught.value)


def test_connect_refused_is_a_database_error_without_the_password() -> None:
    url = f"postgresql://bob:{SECRET}@127.0.0.1:1/app"
    with pytest.raises(DatabaseError) as caught:
        connect(url, connect_timeout=2)
    assert "bob:***@127.0.0.1:1/app" in str(caught.value)
    _assert_secret_free(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        f"host=127.0.0.1 password={SECRET} {SECRET}",  # an unquoted space
        f"postgresql://bob:{SECRET} {SECRET}@127.0.0.1/app",
        f"postgresql://bob:{SECRET}%zz@127.0.0.1/app",  # bad percent-encoding
        f"postgresql://bob:{SECRET}/x@127.0.0.1/app",  # an unencoded slash
    ],
)
def test_malformed_urls_never_echo_the_password(url: str) -> None:
    with pytest.raises(DatabaseError) as caught:
        connect(url)
    _assert_secret_free(caught.value)


def test_create_and_drop_round_trip(pg_server_url: str) -> None:
    url = with_database(pg_server_url, f'snapshift Odd "Name" {uuid.uuid4().hex[:8]}')
    try:
        assert not database_exists(url)
        assert create_database(url) is True
        assert database_exists(url)
        assert create_database(url) is False
        with connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (database_name(url),)
    finally:
        dropped = drop_database(url)
    assert dropped is True
    assert not database_exists(url)
    assert drop_database(url) is False


def test_drop_with_force_ends_open_sessions(pg_server_url: str) -> None:
    url = with_database(pg_server_url, f"snapshift_force_{uuid.uuid4().hex[:8]}")
    assert create_database(url)
    session = connect(url)
    try:
        assert drop_database(url, force=True) is True
        assert not database_exists(url)
        with pytest.raises(psycopg.OperationalError):
            session.execute("SELECT 1")
    finally:
        session.close()


def test_drop_without_force_fails_while_in_use(pg_server_url: str) -> None:
    url = with_database(pg_server_url, f"snapshift_busy_{uuid.uuid4().hex[:8]}")
    assert create_database(url)
    try:
        with connect(url), pytest.raises(DatabaseError, match="is being accessed by other users"):
            drop_database(url, force=False)
        assert database_exists(url)
    finally:
        drop_database(url)


def test_database_url_fixture_gives_an_empty_database(database_url: str) -> None:
    with connect(database_url) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert tables == (0,)
    assert database_exists(database_url)


def test_concurrent_creates_make_one_database(pg_server_url: str) -> None:
    url = with_database(pg_server_url, f"snapshift_race_{uuid.uuid4().hex[:8]}")
    barrier = threading.Barrier(4)

    def create() -> bool:
        barrier.wait()
        return create_database(url)

    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: create(), range(4)))
        assert sorted(results) == [False, False, False, True]
    finally:
        drop_database(url)


def test_pg_server_url_falls_back_to_a_throwaway_cluster(pg_server_url: str) -> None:
    """When nothing answers on :5432 (or SNAPSHIFT_TEST_FORCE_EMBEDDED=1) the fixtures use engine.db.devdb."""
    with connect(pg_server_url) as conn:
        row = conn.execute("SELECT inet_server_port(), current_setting('data_directory')").fetchone()
    assert row is not None
    port, data_directory = row
    if force_embedded() or not is_listening(SERVER_HOST, SERVER_PORT):
        assert port != 5432
        assert data_directory.endswith("/.snapshift/devdb/data")
    else:
        assert port == 5432
