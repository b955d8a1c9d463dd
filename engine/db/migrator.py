"""Apply and roll back migrations (SPEC 6) with psycopg 3 in one schema; engine/db/tenants.py does many.

A migration and its `schema_migrations` row commit together, and a session advisory lock keyed by the
schema, taken before the applied versions are (re-)read, keeps concurrent runs from applying anything
twice. The building blocks without a leading underscore are shared with engine/db/tenants.py.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from snapshift.engine.base.errors import DatabaseError, MigrationError, UsageError
from snapshift.engine.base.migrations import MigrationFile, SqlStatement
from snapshift.engine.db.lockwatch import LockWatch
from snapshift.engine.db.runs import (
    Direction,
    Emitter,
    MigrationState,
    Progress,
    ProgressKind,
    Selection,
    migrate_selection,
    rollback_selection,
)

Connect = Callable[[], psycopg.Connection[Any]]
SESSION_AUTHORIZATION = sql.SQL("SET SESSION AUTHORIZATION DEFAULT")
RESET_ALL = sql.SQL("RESET ALL")


def lock_timeout_ms(seconds: float | None) -> int | None:
    """A lock_timeout in seconds as PostgreSQL's milliseconds (None: leave the session's setting)."""
    if seconds is None:
        return None
    if seconds < 0:
        raise UsageError(f"a lock timeout must not be negative, got {seconds}")
    return round(seconds * 1000)


def lock_key(schema: str | None) -> int:
    """The advisory lock key of one schema's migration runs (the same in every process)."""
    digest = hashlib.blake2b(f"snapshift:{schema or 'public'}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True)
class Found:
    """What exists already, so a run skips creating it: even CREATE SCHEMA IF NOT EXISTS needs CREATE
    on the database, which a tenant-owning role often lacks."""

    schema: bool = False
    table: bool = False


@dataclass(frozen=True)
class Target:
    """Where one run's bookkeeping lives: the default search path (schema None) or a tenant schema."""

    schema: str | None
    lock_timeout_ms: int | None = None  # None: the session's own; 0: wait for locks forever

    @property
    def table(self) -> sql.Identifier:
        return (
            sql.Identifier(self.schema, "schema_migrations")
            if self.schema
            else sql.Identifier("schema_migrations")
        )

    @property
    def lock_key(self) -> int:
        return lock_key(self.schema)

    def xact_lock(self) -> sql.Composed:
        """The transaction-scoped advisory lock on this target's runs (an int: no driver quoting)."""
        return sql.Composed([sql.SQL(f"SELECT pg_advisory_xact_lock({self.lock_key:d})")])

    def prepare(self, direction: Direction, found: Found, *, local: bool) -> list[sql.Composed]:
        """Statements that make the schema and table exist (up only) and put the schema on the path."""
        parts: list[sql.Composed] = []
        if self.schema and direction == "up" and not found.schema:
            parts.append(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
        if self.schema:
            parts.append(self._search_path(local))
        if direction == "up" and not found.table:
            parts.append(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (version bigint PRIMARY KEY, inserted_at timestamp(0))"
                ).format(self.table)
            )
        return parts

    def read(self) -> sql.Composed:
        return sql.SQL("SELECT version FROM {}").format(self.table)

    def reset(self, *, local: bool) -> list[sql.Composed]:
        """Statements that undo whatever a migration SET for the session (role, search_path, timeouts),
        so it cannot reach the next migration, the version row or the next tenant on this connection.
        RESET ALL keeps a SET ROLE, hence SESSION AUTHORIZATION; settings given in the URL survive."""
        parts = [sql.Composed([SESSION_AUTHORIZATION]), sql.Composed([RESET_ALL])]
        if self.schema:
            parts.append(self._search_path(local))
        return parts + self.limits(local=local)

    def limits(self, *, local: bool) -> list[sql.Composed]:
        """SET lock_timeout for the migrations (issue 17 item 1): a lock held by another session
        fails the migration after that long instead of queueing every reader behind it forever."""
        if self.lock_timeout_ms is None:
            return []
        # an int written with :d, no quoting to do: a Literal would go through the driver's adapters,
        # several times per tenant of a run over thousands
        scope = "LOCAL " if local else ""
        return [sql.Composed([sql.SQL(f"SET {scope}lock_timeout = '{self.lock_timeout_ms:d}ms'")])]

    def _search_path(self, local: bool) -> sql.Composed:
        """The tenant schema first on the path (LOCAL: for the current transaction only)."""
        scope = sql.SQL("LOCAL " if local else "")
        return sql.SQL("SET {}search_path TO {}, public").format(scope, sql.Identifier(self.schema or ""))


def _find(conn: psycopg.Connection[Any], target: Target) -> Found:
    schema = sql.Identifier(target.schema).as_string(conn) if target.schema else None
    query = "SELECT to_regnamespace(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL"
    row = conn.execute(query, (schema, target.table.as_string(conn))).fetchone()
    return Found(schema=target.schema is None or bool(row and row[0]), table=bool(row and row[1]))


def record_versions(
    conn: psycopg.Connection[Any],
    target: Target,
    versions: list[int],
    direction: Direction,
    before: Sequence[sql.Composable] = (),
) -> None:
    """Insert or delete the version rows, after the statements `before`, in one round trip."""
    if direction == "up":
        query = "INSERT INTO {} (version, inserted_at) SELECT unnest({}), timezone('utc', now())"
    else:
        query = "DELETE FROM {} WHERE version = ANY({})"
    listed = ", ".join(f"{version:d}" for version in versions)  # ints: nothing for the driver to quote
    array = sql.SQL(f"ARRAY[{listed}]::bigint[]")
    record = sql.SQL(query).format(target.table, array)
    conn.execute(sql.SQL("; ").join([*before, record]))


def _error_line(statement: SqlStatement, position: str | None) -> int | None:
    """The file line of PostgreSQL's 1-based character position inside the statement."""
    if not position or not position.isdigit():
        return None
    return statement.line + statement.text[: int(position) - 1].count("\n")


DEPENDENT_OBJECTS = "2BP01"  # SQLSTATE dependent_objects_still_exist
LOCK_NOT_AVAILABLE = "55P03"  # what lock_timeout raises


def _lock_lines(blocker: str | None) -> list[str]:
    waited = f"it waited for {blocker}" if blocker else "what held the lock is unknown (it looks after 1 s)"
    return [
        f"lock_timeout expired: {waited}",
        "hint: end or wait for that session, or give the lock more time: --lock-timeout SECONDS or "
        "lock_timeout in the repo's config (0 waits forever)",
    ]


def _statement_error(
    migration: MigrationFile,
    statement: SqlStatement,
    direction: Direction,
    exc: psycopg.Error,
    tenant: str | None,
    note: str | None,
    left: Sequence[str] = (),
    blocker: str | None = None,
) -> MigrationError:
    """The failure of one statement; for a no-transaction migration, `left` is what stayed applied."""
    diag = exc.diag
    primary = diag.message_primary or str(exc).strip() or type(exc).__name__
    head = f"migration {migration.label} ({direction}) failed: {primary}"
    error_line = _error_line(statement, diag.statement_position)
    if error_line is not None:
        head += f" (error at line {error_line})"
    lines = [head]
    lines += [f"{label}: {text}" for label, text in _diag_extras(diag) if text]
    if exc.sqlstate == LOCK_NOT_AVAILABLE:
        lines += _lock_lines(blocker)
    if migration.no_transaction:
        lines += list(left)
    elif note:
        lines.append(note)
    elif exc.sqlstate == LOCK_NOT_AVAILABLE:
        lines.append("its transaction was rolled back: nothing of this migration is applied")
    if exc.sqlstate == DEPENDENT_OBJECTS and direction == "down" and tenant is None:
        lines.append(
            "when what depends on it lives in tenant schemas, roll back the tenant migrations first "
            "(`snapshift rollback --tenants`), as their up ran after this one"
        )
    return MigrationError(
        "\n  ".join(lines), path=migration.path, statement=statement.text, line=statement.line, tenant=tenant
    )


_INVALID_INDEXES = """
SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid AND n.nspname = ANY(current_schemas(false)) ORDER BY 1
"""


def _what_stayed(
    conn: psycopg.Connection[Any], ran: Sequence[SqlStatement], direction: Direction
) -> list[str]:
    """What a no-transaction migration that failed half way left behind, said exactly: the statements
    that ran, the INVALID indexes in the schemas it works in, and whether its version is recorded."""
    lines = ["it runs outside a transaction, statement by statement:"]
    if ran:
        lines.append("these statements ran and stay applied:")
        lines += [f"  line {done.line}: {done.text.strip().splitlines()[0][:120]}" for done in ran]
    else:
        lines.append("no statement of it ran before this one")
    try:
        invalid = [str(row[0]) for row in conn.execute(_INVALID_INDEXES)]
    except psycopg.Error:
        invalid = []
    if invalid:
        left_by = "left by a failed CREATE INDEX CONCURRENTLY"
        lines.append(f"INVALID indexes now in the catalog ({left_by}): {', '.join(invalid)}")
    if direction == "up":
        lines.append(
            "its version is not recorded: fix the cause and run migrate again (generated index statements "
            "skip an index that exists and drop an INVALID one first)"
        )
    else:
        lines.append("its version stays recorded: it still counts as applied")
    return lines


def _diag_extras(diag: psycopg.errors.Diagnostic) -> list[tuple[str, str | None]]:
    return [("detail", diag.message_detail), ("hint", diag.message_hint), ("context", diag.context)]


def execute_migration(
    conn: psycopg.Connection[Any],
    migration: MigrationFile,
    direction: Direction,
    tenant: str | None,
    note: str | None = None,
    watch: LockWatch | None = None,
) -> None:
    """The migration's statements; `watch` says what it waits for when a lock holds it up."""
    ran: list[SqlStatement] = []
    with watch.watching(conn, migration, tenant) if watch else nullcontext():
        for statement in migration.statements(direction):
            try:
                conn.execute(statement.text, prepare=False)
            except psycopg.Error as exc:
                left = _what_stayed(conn, ran, direction) if migration.no_transaction else ()
                blocker = watch.blocker(conn) if watch else None
                error = _statement_error(migration, statement, direction, exc, tenant, note, left, blocker)
                raise error from exc
            ran.append(statement)


def refuse_irreversible(plan: Sequence[MigrationFile], direction: Direction, tenant: str | None) -> None:
    """Rolling back an irreversible migration fails before anything runs, quoting its reason."""
    if direction != "down":
        return
    for migration in plan:
        if migration.irreversible is not None:
            raise MigrationError(
                f"migration {migration.label} is irreversible: {migration.irreversible}",
                path=migration.path,
                tenant=tenant,
            )


def _apply_one(
    conn: psycopg.Connection[Any],
    target: Target,
    migration: MigrationFile,
    direction: Direction,
    tenant: str | None,
    watch: LockWatch | None,
) -> None:
    """One migration and its version row; in one transaction unless it is marked no-transaction.

    The session is reset before the row is written, so what the migration SET cannot misdirect it.
    """
    if migration.no_transaction:
        execute_migration(conn, migration, direction, tenant, watch=watch)
        record_step(conn, target, [migration], direction, tenant, local=False)
        return
    try:
        with conn.transaction():
            execute_migration(conn, migration, direction, tenant, watch=watch)
            record_step(conn, target, [migration], direction, tenant, local=False)
    except psycopg.Error as exc:
        raise step_error([migration], direction, "at commit", exc, tenant) from exc


def record_step(
    conn: psycopg.Connection[Any],
    target: Target,
    migrations: Sequence[MigrationFile],
    direction: Direction,
    tenant: str | None,
    *,
    local: bool,
) -> None:
    """The session reset and the migrations' version rows, in one round trip; a failure names them."""
    try:
        versions = [migration.version for migration in migrations]
        record_versions(conn, target, versions, direction, target.reset(local=local))
    except psycopg.Error as exc:
        raise step_error(migrations, direction, "recording its version", exc, tenant) from exc


def step_error(
    migrations: Sequence[MigrationFile],
    direction: Direction,
    step: str,
    exc: psycopg.Error,
    tenant: str | None,
) -> MigrationError:
    """A failure after the statements ran (writing the version rows, COMMIT), naming the migrations."""
    primary = exc.diag.message_primary or str(exc).strip() or type(exc).__name__
    labels = ", ".join(migration.label for migration in migrations)
    lines = [f"migration {labels} ({direction}) failed {step}: {primary}"]
    lines += [f"{label}: {text}" for label, text in _diag_extras(exc.diag) if text]
    if any(migration.no_transaction for migration in migrations):
        recorded = "is not recorded" if direction == "up" else "stays recorded: it still counts as applied"
        lines.append(f"it ran outside a transaction: its statements stay applied; its version {recorded}")
    else:
        lines.append("its transaction was rolled back: it is not applied")
    path = migrations[0].path if len(migrations) == 1 else None
    return MigrationError("\n  ".join(lines), path=path, tenant=tenant)


def run_session(
    conn: psycopg.Connection[Any],
    target: Target,
    selection: Selection,
    migrations: Sequence[MigrationFile],
    emit: Emitter,
    tenant: str | None = None,
    watch: LockWatch | None = None,
) -> list[MigrationFile]:
    """Migration by migration on a connection whose session already holds the target's lock."""
    direction = selection.direction
    found = _find(conn, target)
    if direction == "down" and not found.table:
        return []
    for statement in target.prepare(direction, found, local=False) + target.limits(local=False):
        conn.execute(statement)
    applied = {int(row[0]) for row in conn.execute(target.read())}
    plan = selection.plan(migrations, applied)
    refuse_irreversible(plan, direction, tenant)
    if selection.forget:
        forget_rows(conn, target, selection, migrations, applied, emit, tenant)
    finished: list[MigrationFile] = []
    verb = "applying" if direction == "up" else "rolling back"
    kind: ProgressKind = "applied" if direction == "up" else "rolled_back"
    for index, migration in enumerate(plan):
        how = " outside a transaction, statement by statement" if migration.no_transaction else ""
        emit(
            "start",
            f"{verb} {migration.label}{how}",
            migration=migration,
            tenant=tenant,
            done=index,
            total=len(plan),
        )
        started = time.perf_counter()
        try:
            _apply_one(conn, target, migration, direction, tenant, watch)
        except MigrationError as exc:
            elapsed = time.perf_counter() - started
            emit(
                "failed",
                str(exc),
                migration=migration,
                tenant=tenant,
                done=index,
                total=len(plan),
                elapsed=elapsed,
            )
            raise
        finished.append(migration)
        emit(
            kind,
            f"{kind.replace('_', ' ')} {migration.label}",
            migration=migration,
            tenant=tenant,
            done=index + 1,
            total=len(plan),
            elapsed=time.perf_counter() - started,
        )
    return finished


def forget_rows(
    conn: psycopg.Connection[Any],
    target: Target,
    selection: Selection,
    migrations: Sequence[MigrationFile],
    applied: Collection[int],
    emit: Emitter,
    tenant: str | None,
) -> list[int]:
    """Delete the rows of the --forget versions (applied, without a file); a tenant that never applied
    one has nothing to forget, a single schema that did not is told so. The versions forgotten."""
    unknown = sorted(selection.forget - set(applied))
    if unknown and tenant is None:
        raise UsageError(f"--forget {unknown[0]}: that version is not applied")
    forgotten = sorted(selection.forget & set(applied), reverse=True)
    if forgotten:
        record_versions(conn, target, forgotten, "down")
    for version in forgotten:
        emit(
            "skipped", f"forgot {version}: deleted its schema_migrations row (it has no file)", tenant=tenant
        )
    return forgotten


@contextmanager
def advisory_lock(conn: psycopg.Connection[Any], key: int, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the session advisory lock `key` on `conn`, reporting when another run makes us wait."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    if not (row and row[0]):
        on_wait()
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
    try:
        yield
    finally:
        if not conn.closed:
            with suppress(psycopg.Error):  # a broken session has lost the lock already
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


@contextmanager
def open_connection(connect: Connect) -> Iterator[psycopg.Connection[Any]]:
    """A new autocommit connection from the factory; psycopg failures outside statements -> DatabaseError."""
    try:
        conn = connect()
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to the database: {exc}") from exc
    try:
        conn.autocommit = True
        yield conn
    except psycopg.Error as exc:
        raise DatabaseError(f"database error: {exc}") from exc
    finally:
        conn.close()


def sorted_unique(migrations: Sequence[MigrationFile]) -> list[MigrationFile]:
    by_version: dict[int, MigrationFile] = {}
    for migration in migrations:
        other = by_version.setdefault(migration.version, migration)
        if other is not migration:
            raise UsageError(f"version {migration.version} is used by {other.path} and {migration.path}")
    return [by_version[version] for version in sorted(by_version)]


class Migrator:
    """Migrate or roll back one schema (None: the database's default search path)."""

    def __init__(
        self,
        connect: Connect,
        migrations: Sequence[MigrationFile],
        *,
        schema: str | None = None,
        progress: Progress | None = None,
        lock_timeout: float | None = None,
    ) -> None:
        """`lock_timeout`: seconds a migration waits for a lock (0: forever; None: the session's own)."""
        self._connect = connect
        self.migrations = sorted_unique(migrations)
        self.schema = schema
        self._target = Target(schema, lock_timeout_ms(lock_timeout))
        self._emit = Emitter(progress)

    def applied_versions(self) -> set[int]:
        with open_connection(self._connect) as conn:
            return self._read_applied(conn)

    def _read_applied(self, conn: psycopg.Connection[Any]) -> set[int]:
        if not _find(conn, self._target).table:
            return set()
        return {int(row[0]) for row in conn.execute(self._target.read())}

    def state(self) -> MigrationState:
        return MigrationState.compare(self.migrations, self.applied_versions())

    def pending(self) -> list[MigrationFile]:
        """Files whose version is not recorded, by version: an older unapplied file still runs."""
        return list(self.state().pending)

    def out_of_order(self) -> list[MigrationFile]:
        """Pending files older than the newest applied version."""
        return list(self.state().out_of_order)

    def missing_files(self) -> list[int]:
        """Recorded versions that no file provides (they cannot be rolled back)."""
        return list(self.state().missing_files)

    def migrate(self, *, steps: int | None = None, to: int | None = None) -> list[int]:
        """Apply pending migrations in version order; returns the versions applied."""
        return self.run(migrate_selection(steps, to))

    def rollback(
        self,
        *,
        steps: int = 1,
        to: int | None = None,
        all: bool = False,
        versions: Collection[int] | None = None,
        forget: Collection[int] = (),
    ) -> list[int]:
        """Undo applied migrations newest first (`to` inclusive); returns the versions rolled back.
        `forget`: applied versions without a file whose rows are deleted instead (else refused)."""
        return self.run(rollback_selection(steps, to, all, versions, forget))

    def run(self, selection: Selection) -> list[int]:
        """Migrate or roll back what `selection` picks, under the schema's advisory lock."""
        where = self.schema or "the database"

        def waiting() -> None:
            self._emit("waiting", f"another migration run holds the lock on {where}; waiting for it")

        with (
            open_connection(self._connect) as lock_conn,
            advisory_lock(lock_conn, self._target.lock_key, waiting),
            open_connection(self._connect) as conn,
            LockWatch(self._connect, self._emit) as watch,
        ):
            done = run_session(conn, self._target, selection, self.migrations, self._emit, self.schema, watch)
        return [migration.version for migration in done]
