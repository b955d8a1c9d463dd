"""Scratch databases that never outlive the command, and the declared state built fresh in one.

`scratch_databases` creates uniquely named databases on a server and drops them on the way out, whatever
the way out is: an error, Ctrl-C (held back while the drop runs, then raised), or the caller's cancel.
`fresh_migrations` renders a whole declared state (tables, extensions) as the migrations a first
`generate` would write, so a fresh build goes through the same SQL and the same migrator.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from snapshift.engine.base.atomic import interrupts_deferred
from snapshift.engine.base.errors import MigrationError
from snapshift.engine.base.migrations import MigrationFile, parse_migration_text, render_migration_file
from snapshift.engine.db import database
from snapshift.engine.db.catalog import Catalog, user_schemas
from snapshift.engine.db.migrator import Connect, Target, run_session
from snapshift.engine.db.runs import Emitter, Progress, Selection, migrate_selection
from snapshift.engine.resources.model import Table

PREFIX = "snapshift_scratch_"
TENANT_SCHEMA = "snapshift_scratch_tenant"


def scratch_name() -> str:
    """A database name no other run picks: the prefix, this process and a random part."""
    return f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:10]}"


@contextlib.contextmanager
def scratch_databases(server_url: str, count: int) -> Iterator[list[str]]:
    """`count` new empty databases on the server of `server_url` (their URLs), dropped afterwards."""
    created: list[str] = []
    try:
        for _ in range(count):
            url = database.with_database(server_url, scratch_name())
            created.append(url)  # before CREATE: an interrupt after it still drops it
            database.create_database(url)
            _throwaway(url)
        yield list(created)
    finally:
        with interrupts_deferred():
            for url in created:
                with contextlib.suppress(Exception):
                    database.drop_database(url)


def _throwaway(url: str) -> None:
    """A scratch database's commits need not wait for the disk: its contents are thrown away anyway."""
    name = sql.Identifier(database.database_name(url))
    with database.connect(database.maintenance_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(name))


@dataclass(frozen=True)
class FreshMigrations:
    """A declared state as migrations: public ones, then tenant ones; `schemas` holds the schemas of
    its public tables (public always among them)."""

    public: tuple[MigrationFile, ...]
    tenant: tuple[MigrationFile, ...]
    schemas: tuple[str, ...] = ("public",)


def fresh_migrations(tables: Sequence[Table], extensions: Sequence[str]) -> FreshMigrations:
    """The migrations that build `tables` and `extensions` from nothing (what a first generate writes)."""
    from snapshift.engine.autogen.diff import diff
    from snapshift.engine.autogen.generate import EXTENSIONS_KEY
    from snapshift.engine.autogen.operations import CreateExtension
    from snapshift.engine.autogen.plan import plan_migrations

    result = diff({}, tables)
    ops = [CreateExtension(EXTENSIONS_KEY, name) for name in extensions] + result.operations
    public: list[MigrationFile] = []
    tenant: list[MigrationFile] = []
    for index, plan in enumerate(plan_migrations(ops), start=1):
        text = render_migration_file(plan.up, plan.down, no_transaction=plan.no_transaction)
        path = Path(f"<fresh build {index}>.sql")
        migration = parse_migration_text(text, path=path, version=index, name=f"fresh_build_{index}")
        (tenant if plan.tenant else public).append(migration)
    schemas = {"public"} | {t.key.schema for t in tables if t.key.schema and not t.key.tenant}
    return FreshMigrations(tuple(public), tuple(tenant), tuple(sorted(schemas)))


def connector(url: str) -> Connect:
    def connect() -> psycopg.Connection[Any]:
        return database.connect(url, autocommit=True)

    return connect


def prepare(conn: psycopg.Connection[Any], tenant_schema: str = TENANT_SCHEMA) -> None:
    """The scratch tenant schema exists before anything runs, so that rolling back every tenant
    migration returns to the catalog before them."""
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(tenant_schema)))


def extension_names(conn: psycopg.Connection[Any]) -> set[str]:
    return {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}


def wipe(conn: psycopg.Connection[Any], built: Catalog, template: set[str]) -> None:
    """Make a scratch database that held a build as empty as it was created, with the `template`'s
    extensions (one database is created and dropped, not two: each DROP DATABASE waits for a checkpoint).
    """
    statements: list[sql.Composable] = [
        sql.SQL("DROP EXTENSION IF EXISTS {} CASCADE").format(sql.Identifier(name))
        for name in sorted(built.extensions - template)
    ]
    statements += [
        sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
        for name in sorted(user_schemas(conn))
    ]
    statements.append(sql.SQL("CREATE SCHEMA public"))
    conn.execute(sql.SQL("; ").join(statements))


def run_steps(
    conn: psycopg.Connection[Any],
    migrations: Sequence[MigrationFile],
    schema: str | None,
    selection: Selection,
    progress: Progress | None = None,
) -> list[MigrationFile]:
    """Migrate or roll back on one autocommit connection (a scratch database needs no lock)."""
    done = run_session(conn, Target(schema), selection, migrations, Emitter(progress), schema)
    if schema is not None:
        conn.execute("RESET search_path")
    return done


def fresh_build_error(exc: MigrationError) -> str:
    """Why the latest snapshots do not build, in the user's terms: the migrations of a fresh build are
    made here, so their made-up file and migration names would mean nothing to anyone."""
    cause = exc.__cause__
    reason = cause.diag.message_primary if isinstance(cause, psycopg.Error) else None
    text = f"the latest snapshots do not build on PostgreSQL: {reason or str(exc).splitlines()[0]}"
    return text + (f"\n  statement: {exc.statement.strip()[:500]}" if exc.statement else "")


def build_fresh(conn: psycopg.Connection[Any], fresh: FreshMigrations) -> None:
    """Apply a fresh build: public migrations, then tenant ones in the scratch tenant schema."""
    prepare(conn)
    run_steps(conn, fresh.public, None, migrate_selection())
    run_steps(conn, fresh.tenant, TENANT_SCHEMA, migrate_selection())
