"""Fixtures: `scenario` (a fresh project and an empty database) and `offline` (a project only).

Scenarios need two or three empty databases each. CREATE/DROP DATABASE costs a checkpoint, which
dominates the run on a busy server, so each xdist worker keeps a small pool of databases and empties
them between tests (every user schema dropped, `public` recreated as PostgreSQL 15 creates it). The
`database_url` and `new_database` fixtures are overridden here so `tests.support.roundtrip` draws from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from snapshift.engine.db.database import with_database
from tests.engine.autogen.scenarios.scenario import Scenario
from tests.support.roundtrip import NewDatabase

EMPTY = """
DO $$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace
           WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg\\_%'
  LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
"""


class DatabasePool:
    """Empty databases for one pytest worker, reused after being emptied."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.free: list[str] = []
        self.names: list[str] = []

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        name = f"snapshift_scenario_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.names.append(name)
        return with_database(self.server_url, name)

    def give(self, url: str) -> None:
        """Empty the database and put it back; one that cannot be emptied is dropped instead."""
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(EMPTY)
        except psycopg.Error:
            return
        self.free.append(url)

    def close(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for name in self.names:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def database_pool(pg_server_url: str) -> Iterator[DatabasePool]:
    pool = DatabasePool(pg_server_url)
    yield pool
    pool.close()


@pytest.fixture
def database_url(database_pool: DatabasePool) -> Iterator[str]:
    url = database_pool.take()
    yield url
    database_pool.give(url)


@pytest.fixture
def new_database(database_pool: DatabasePool) -> Iterator[NewDatabase]:
    taken: list[str] = []

    def make() -> str:
        taken.append(database_pool.take())
        return taken[-1]

    yield make
    for url in taken:
        database_pool.give(url)


@pytest.fixture
def scenario(tmp_path: Path, database_url: str, new_database: NewDatabase) -> Scenario:
    return Scenario(tmp_path, database_url, new_database)


@pytest.fixture
def offline(tmp_path: Path) -> Scenario:
    """For scenarios about questions and files, which need no database."""

    def no_database() -> str:
        raise AssertionError("offline scenarios have no database")

    return Scenario(tmp_path, "", no_database)
