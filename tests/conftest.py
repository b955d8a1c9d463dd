"""Shared fixtures: a fresh database on a real PostgreSQL for every test that asks for one.

The server is the one on 127.0.0.1:5432 when it answers; otherwise (or with
SNAPSHIFT_TEST_FORCE_EMBEDDED=1) a throwaway cluster started by engine.db.devdb in a temporary dir, one per
pytest session (so one per xdist worker), stopped when the session ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings
from psycopg import sql

from snapshift.engine.db.database import with_database
from snapshift.engine.db.devdb import DevDatabase, is_listening

pytest_plugins = ["tests.support.roundtrip"]

# Hypothesis: the same examples on every run by default, so that CI cannot turn red by chance;
# SNAPSHIFT_HYPOTHESIS=explore draws new ones (with SNAPSHIFT_PROPERTY_EXAMPLES / SNAPSHIFT_FUZZ_EXAMPLES
# for more of them) when hunting for bugs.
settings.register_profile("stable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("SNAPSHIFT_HYPOTHESIS", "stable"))

SERVER_HOST = "127.0.0.1"
SERVER_PORT = 5432
SERVER_URL = f"postgresql://postgres@{SERVER_HOST}:{SERVER_PORT}/postgres"
FORCE_EMBEDDED_ENV = "SNAPSHIFT_TEST_FORCE_EMBEDDED"
# A throwaway cluster needs no durability; these make CREATE DATABASE per test cheap.
THROWAWAY_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@pytest.fixture(autouse=True, scope="session")
def private_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The clean cache (engine/autogen/cleancache.py) of the suite's many projects stays out of ~/.cache;
    the variable also reaches the snapshift processes the tests start."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


def force_embedded() -> bool:
    """Whether the suite was asked to use a throwaway cluster even when a server answers."""
    return os.environ.get(FORCE_EMBEDDED_ENV, "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a maintenance database on a running PostgreSQL server."""
    if not force_embedded() and is_listening(SERVER_HOST, SERVER_PORT, timeout=1.0):
        yield SERVER_URL
        return
    # Not tmp_path_factory: as root the cluster runs as `postgres`, which must walk the path, and every
    # pytest session that starts resets /tmp/pytest-of-<user> to mode 0700.
    root = Path(tempfile.mkdtemp(prefix="snapshift-test-pg-"))
    devdb = DevDatabase(root, server_settings=THROWAWAY_SETTINGS)
    try:
        yield with_database(devdb.start(ensure_database=False), "postgres")
    finally:
        devdb.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def database_url(pg_server_url: str) -> Iterator[str]:
    """A brand-new empty database for one test, dropped afterwards."""
    name = f"snapshift_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(pg_server_url, name)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
