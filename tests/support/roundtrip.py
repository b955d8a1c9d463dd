"""Prove a change on a real database: up gives what a fresh build gives, down gives the state before.

Tenant migrations run in one tenant schema, TENANT, created up front in every database compared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.migrations import MigrationFile
from snapshift.engine.db.catalog import Catalog
from snapshift.engine.db.database import with_database
from snapshift.engine.db.migrator import Migrator
from tests.support.harness import Workspace, catalog, connector

NewDatabase = Callable[[], str]
TENANT = "tenant_a"


@pytest.fixture
def new_database(pg_server_url: str) -> Iterator[NewDatabase]:
    """A factory of extra empty databases for one test, all dropped afterwards."""
    created: list[str] = []

    def make() -> str:
        name = f"snapshift_extra_{len(created)}_{id(created):x}"
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return with_database(pg_server_url, name)

    yield make
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        for name in created:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def write_all(ws: Workspace, resources: Mapping[str, str]) -> None:
    """Make the resource folder hold exactly these resources."""
    existing = {p.stem for p in (ws.root / "resources").glob("*.toml")}
    for name in existing - set(resources):
        ws.remove(name)
    for name, text in resources.items():
        ws.resource(name, text)


def prepare(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(TENANT)))


def apply(url: str, ws: Workspace, skip: Sequence[MigrationFile] = (), tenants_first: bool = False) -> None:
    """Migrate public and tenant migrations of `ws` (public first unless told), except those in `skip`."""
    public = Migrator(connector(url), [m for m in ws.migrations() if m not in skip])
    tenant = Migrator(connector(url), [m for m in ws.migrations(tenant=True) if m not in skip], schema=TENANT)
    for migrator in (tenant, public) if tenants_first else (public, tenant):
        migrator.migrate()


def fresh_catalog(
    root: Path, resources: Mapping[str, str], new_database: NewDatabase, config: str | None = None
) -> Catalog:
    """The catalog of a database built in one step from `resources`."""
    ws = Workspace(root, config) if config else Workspace(root)
    write_all(ws, resources)
    ws.generate(Answers(no_renames=True))
    url = new_database()
    prepare(url)
    apply(url, ws)
    return catalog(url)


def assert_roundtrip(
    ws: Workspace,
    url: str,
    change: list[MigrationFile],
    after: Mapping[str, str],
    scratch: Path,
    new_database: NewDatabase,
    config: str | None = None,
    tenants_first: bool = False,
) -> None:
    """`change` is already generated in `ws`; everything before it is applied to `url` here first."""
    prepare(url)
    apply(url, ws, skip=change)
    before = catalog(url)
    apply(url, ws, tenants_first=tenants_first)
    assert catalog(url) == fresh_catalog(scratch, after, new_database, config), (
        "up differs from a fresh build"
    )
    tenant_dir = ws.project().config.default_repo.tenant_migrations_path
    tenant_change = [m.version for m in change if m.path.parent == tenant_dir]
    public_change = [m.version for m in change if m.path.parent != tenant_dir]
    steps = [
        (Migrator(connector(url), ws.migrations(tenant=True), schema=TENANT), tenant_change),
        (Migrator(connector(url), ws.migrations()), public_change),
    ]
    for migrator, versions in reversed(steps) if tenants_first else steps:
        migrator.rollback(versions=versions)
    assert catalog(url) == before, "down does not restore the previous schema"


def assert_no_effect(ws: Workspace, url: str, change: list[MigrationFile]) -> None:
    """A change whose steps are all commented out applies and rolls back without touching the schema."""
    prepare(url)
    apply(url, ws, skip=change)
    before = catalog(url)
    apply(url, ws)
    assert catalog(url) == before
    Migrator(connector(url), ws.migrations()).rollback(versions=[m.version for m in change])
    assert catalog(url) == before
