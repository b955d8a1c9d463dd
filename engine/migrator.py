"""Apply and roll back migrations (SPEC 6) with psycopg 3, in the repo's schema or in tenant schemas.

A migration and its `schema_migrations` row commit together. A session advisory lock keyed by the
schema, taken before the applied versions are (re-)read, keeps concurrent runs from applying anything
twice. Tenants go further than AshPostgres: one read of every tenant's versions, up-to-date tenants
skipped, the rest in parallel, each tenant in one transaction, and every failure collected.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from engine.errors import DatabaseError, MigrationError, UsageError
from engine.migrations import MigrationFile, SqlStatement

Connect = Callable[[], psycopg.Connection[Any]]
Direction = Literal["up", "down"]
ProgressKind = Literal["start", "applied", "rolled_back", "failed", "skipped", "waiting", "tenant_done"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a run. `done`/`total` count migrations; in a tenant run they count tenants (on
    start/tenant_done/skipped/failed) and the per-migration applied/rolled_back events carry no counts."""

    kind: ProgressKind
    message: str
    version: int | None = None
    name: str | None = None
    tenant: str | None = None
    done: int = 0
    total: int = 0


Progress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Selection:
    """Which migrations a run covers: migrate (steps, to) or rollback (steps, to, all, versions)."""

    direction: Direction
    steps: int | None = None
    to: int | None = None
    all: bool = False
    versions: frozenset[int] | None = None

    def plan(self, migrations: Sequence[MigrationFile], applied: Collection[int]) -> list[MigrationFile]:
        """Pending files in version order (up), or applied files newest first (down)."""
        if self.direction == "up":
            chosen = [m for m in migrations if m.version not in applied]
            if self.to is not None:
                chosen = [m for m in chosen if m.version <= self.to]
            return chosen if self.steps is None else chosen[: self.steps]
        chosen = [m for m in reversed(migrations) if m.version in applied]
        if self.versions is not None:
            return [m for m in chosen if m.version in self.versions]
        if self.all:
            return chosen
        if self.to is not None:
            return [m for m in chosen if m.version >= self.to]
        return chosen[: 1 if self.steps is None else self.steps]


def migrate_selection(steps: int | None = None, to: int | None = None) -> Selection:
    if steps is not None and steps < 0:
        raise UsageError(f"-n must not be negative, got {steps}")
    return Selection("up", steps=steps, to=to)


def rollback_selection(
    steps: int = 1, to: int | None = None, all: bool = False, versions: Collection[int] | None = None
) -> Selection:
    if steps < 0:
        raise UsageError(f"-n must not be negative, got {steps}")
    if sum((to is not None, all, versions is not None)) > 1:
        raise UsageError("choose one of --to, --all and an explicit list of versions")
    chosen = None if versions is None else frozenset(versions)
    return Selection("down", steps=steps, to=to, all=all, versions=chosen)


@dataclass(frozen=True)
class MigrationState:
    """What the database and the files say together (for `status`), read over one connection."""

    applied: frozenset[int]
    pending: tuple[MigrationFile, ...]
    out_of_order: tuple[MigrationFile, ...]
    missing_files: tuple[int, ...]


class _Emitter:
    """Builds progress events and serialises calls, since tenant workers report from several threads."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._lock = threading.Lock()

    def __call__(
        self,
        kind: ProgressKind,
        message: str,
        *,
        migration: MigrationFile | None = None,
        tenant: str | None = None,
        done: int = 0,
        total: int = 0,
    ) -> None:
        if self._progress is None:
            return
        version = migration.version if migration else None
        name = migration.name if migration else None
        event = ProgressEvent(kind, message, version, name, tenant, done, total)
        with self._lock:
            self._progress(event)


def lock_key(schema: str | None) -> int:
    """The advisory lock key of one schema's migration runs (the same in every process)."""
    digest = hashlib.blake2b(f"snapshift:{schema or 'public'}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True)
class _Found:
    """What exists already, so a run skips creating it: even CREATE SCHEMA IF NOT EXISTS needs CREATE
    on the database, which a tenant-owning role often lacks."""

    schema: bool = False
    table: bool = False


@dataclass(frozen=True)
class _Target:
    """Where one run's bookkeeping lives: the default search path (schema None) or a tenant schema."""

    schema: str | None

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

    def prepare(self, direction: Direction, found: _Found, *, local: bool) -> list[sql.Composed]:
        """Statements that make the schema and table exist (up only) and put the schema on the path."""
        parts: list[sql.Composed] = []
        if self.schema and direction == "up" and not found.schema:
            parts.append(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
        if self.schema:
            scope = sql.SQL("LOCAL " if local else "")
            parts.append(
                sql.SQL("SET {}search_path TO {}, public").format(scope, sql.Identifier(self.schema))
            )
        if direction == "up" and not found.table:
            parts.append(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (version bigint PRIMARY KEY, inserted_at timestamp(0))"
                ).format(self.table)
            )
        return parts

    def read(self) -> sql.Composed:
        return sql.SQL("SELECT version FROM {}").format(self.table)


def _last_rows(cursor: psycopg.Cursor[Any]) -> list[Any]:
    """Rows of the last result of a multi-statement query."""
    rows: list[Any] = []
    while True:
        if cursor.description is not None:
            rows = cursor.fetchall()
        if not cursor.nextset():
            return rows


def _find(conn: psycopg.Connection[Any], target: _Target) -> _Found:
    schema = sql.Identifier(target.schema).as_string(conn) if target.schema else None
    query = "SELECT to_regnamespace(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL"
    row = conn.execute(query, (schema, target.table.as_string(conn))).fetchone()
    return _Found(schema=target.schema is None or bool(row and row[0]), table=bool(row and row[1]))


def _record(
    conn: psycopg.Connection[Any], target: _Target, versions: list[int], direction: Direction
) -> None:
    if direction == "up":
        query = "INSERT INTO {} (version, inserted_at) SELECT unnest(%s::bigint[]), timezone('utc', now())"
    else:
        query = "DELETE FROM {} WHERE version = ANY(%s::bigint[])"
    conn.execute(sql.SQL(query).format(target.table), (versions,))


def _error_line(statement: SqlStatement, position: str | None) -> int | None:
    """The file line of PostgreSQL's 1-based character position inside the statement."""
    if not position or not position.isdigit():
        return None
    return statement.line + statement.text[: int(position) - 1].count("\n")


def _statement_error(
    migration: MigrationFile,
    statement: SqlStatement,
    direction: Direction,
    exc: psycopg.Error,
    tenant: str | None,
    note: str | None,
) -> MigrationError:
    diag = exc.diag
    primary = diag.message_primary or str(exc).strip() or type(exc).__name__
    head = f"migration {migration.label} ({direction}) failed: {primary}"
    error_line = _error_line(statement, diag.statement_position)
    if error_line is not None:
        head += f" (error at line {error_line})"
    lines = [head]
    lines += [f"{label}: {text}" for label, text in _diag_extras(diag) if text]
    if migration.no_transaction:
        lines.append(
            "it runs outside a transaction: earlier statements stay applied; its version is not recorded"
        )
    elif note:
        lines.append(note)
    return MigrationError(
        "\n  ".join(lines), path=migration.path, statement=statement.text, line=statement.line, tenant=tenant
    )


def _diag_extras(diag: psycopg.errors.Diagnostic) -> list[tuple[str, str | None]]:
    return [("detail", diag.message_detail), ("hint", diag.message_hint), ("context", diag.context)]


def _execute(
    conn: psycopg.Connection[Any],
    migration: MigrationFile,
    direction: Direction,
    tenant: str | None,
    note: str | None = None,
) -> None:
    for statement in migration.statements(direction):
        try:
            conn.execute(statement.text, prepare=False)
        except psycopg.Error as exc:
            raise _statement_error(migration, statement, direction, exc, tenant, note) from exc


def _refuse_irreversible(plan: Sequence[MigrationFile], direction: Direction, tenant: str | None) -> None:
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
    target: _Target,
    migration: MigrationFile,
    direction: Direction,
    tenant: str | None,
) -> None:
    """One migration and its version row; in one transaction unless it is marked no-transaction."""
    if migration.no_transaction:
        _execute(conn, migration, direction, tenant)
        _record(conn, target, [migration.version], direction)
        return
    with conn.transaction():
        _execute(conn, migration, direction, tenant)
        _record(conn, target, [migration.version], direction)


def _run_session(
    conn: psycopg.Connection[Any],
    target: _Target,
    selection: Selection,
    migrations: Sequence[MigrationFile],
    emit: _Emitter,
    tenant: str | None = None,
) -> list[MigrationFile]:
    """Migration by migration on a connection whose session already holds the target's lock."""
    direction = selection.direction
    found = _find(conn, target)
    if direction == "down" and not found.table:
        return []
    for statement in target.prepare(direction, found, local=False):
        conn.execute(statement)
    applied = {int(row[0]) for row in conn.execute(target.read())}
    plan = selection.plan(migrations, applied)
    _refuse_irreversible(plan, direction, tenant)
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
        try:
            _apply_one(conn, target, migration, direction, tenant)
        except MigrationError as exc:
            emit("failed", str(exc), migration=migration, tenant=tenant, done=index, total=len(plan))
            raise
        finished.append(migration)
        emit(
            kind,
            f"{kind.replace('_', ' ')} {migration.label}",
            migration=migration,
            tenant=tenant,
            done=index + 1,
            total=len(plan),
        )
    return finished


@contextmanager
def _advisory_lock(conn: psycopg.Connection[Any], key: int, on_wait: Callable[[], None]) -> Iterator[None]:
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
def _open(connect: Connect) -> Iterator[psycopg.Connection[Any]]:
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


def _sorted_unique(migrations: Sequence[MigrationFile]) -> list[MigrationFile]:
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
    ) -> None:
        self._connect = connect
        self.migrations = _sorted_unique(migrations)
        self.schema = schema
        self._target = _Target(schema)
        self._emit = _Emitter(progress)

    def applied_versions(self) -> set[int]:
        with _open(self._connect) as conn:
            return self._read_applied(conn)

    def _read_applied(self, conn: psycopg.Connection[Any]) -> set[int]:
        if not _find(conn, self._target).table:
            return set()
        return {int(row[0]) for row in conn.execute(self._target.read())}

    def state(self) -> MigrationState:
        applied = self.applied_versions()
        pending = [m for m in self.migrations if m.version not in applied]
        newest = max(applied, default=None)
        late = [m for m in pending if newest is not None and m.version < newest]
        missing = sorted(applied - {m.version for m in self.migrations})
        return MigrationState(frozenset(applied), tuple(pending), tuple(late), tuple(missing))

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
        return self._run(migrate_selection(steps, to))

    def rollback(
        self,
        *,
        steps: int = 1,
        to: int | None = None,
        all: bool = False,
        versions: Collection[int] | None = None,
    ) -> list[int]:
        """Undo applied migrations newest first (`to` inclusive); returns the versions rolled back."""
        return self._run(rollback_selection(steps, to, all, versions))

    def _run(self, selection: Selection) -> list[int]:
        where = self.schema or "the database"

        def waiting() -> None:
            self._emit("waiting", f"another migration run holds the lock on {where}; waiting for it")

        with (
            _open(self._connect) as lock_conn,
            _advisory_lock(lock_conn, self._target.lock_key, waiting),
            _open(self._connect) as conn,
        ):
            done = _run_session(conn, self._target, selection, self.migrations, self._emit, self.schema)
        return [migration.version for migration in done]


@dataclass(frozen=True)
class TenantFailure:
    tenant: str
    error: MigrationError


@dataclass(frozen=True)
class TenantRunReport:
    """Every tenant of a run ends up changed, skipped (nothing to do), failed, or not run (fail_fast)."""

    direction: Direction
    changed: Mapping[str, tuple[int, ...]]
    skipped: tuple[str, ...]
    failures: tuple[TenantFailure, ...]
    not_run: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.not_run


def migrate_tenants(
    connect: Connect,
    migrations: Sequence[MigrationFile],
    tenants: Sequence[str],
    *,
    steps: int | None = None,
    to: int | None = None,
    jobs: int = 4,
    fail_fast: bool = False,
    progress: Progress | None = None,
) -> TenantRunReport:
    """Apply tenant migrations to every tenant schema (created when missing), `jobs` tenants at a time."""
    selection = migrate_selection(steps, to)
    return _TenantRun(connect, migrations, selection, jobs, fail_fast, progress).run(tenants)


def rollback_tenants(
    connect: Connect,
    migrations: Sequence[MigrationFile],
    tenants: Sequence[str],
    *,
    steps: int = 1,
    to: int | None = None,
    all: bool = False,
    versions: Collection[int] | None = None,
    jobs: int = 4,
    fail_fast: bool = False,
    progress: Progress | None = None,
) -> TenantRunReport:
    """Roll back tenant migrations in every tenant schema, with the selection options of rollback."""
    selection = rollback_selection(steps, to, all, versions)
    return _TenantRun(connect, migrations, selection, jobs, fail_fast, progress).run(tenants)


def tenants_from_query(connect: Connect, query: str) -> list[str]:
    """The first column of `query` (a config's tenants_query), duplicates and NULLs dropped."""
    with _open(connect) as conn:
        try:
            rows = conn.execute(query).fetchall()
        except psycopg.Error as exc:
            message = exc.diag.message_primary or str(exc)
            raise DatabaseError(f"tenants_query failed: {message}\n  query: {query.strip()}") from exc
    return list(dict.fromkeys(str(row[0]) for row in rows if row and row[0] is not None))


def _versions_union(tenants: Sequence[str]) -> sql.Composed:
    branch = sql.SQL("SELECT {}::text, version FROM {}")
    return sql.SQL(" UNION ALL ").join(
        branch.format(sql.Literal(tenant), sql.Identifier(tenant, "schema_migrations")) for tenant in tenants
    )


_TENANT_SCHEMAS = (
    "SELECT n.nspname, EXISTS (SELECT FROM pg_class c WHERE c.relnamespace = n.oid"
    " AND c.relname = 'schema_migrations' AND c.relkind IN ('r', 'p'))"
    " FROM pg_namespace n WHERE n.nspname = ANY(%s)"
)
READ_BATCH = 500  # tenants per query: each read table takes a lock slot until the query ends


def read_tenant_versions(conn: psycopg.Connection[Any], tenants: Sequence[str]) -> dict[str, set[int] | None]:
    """Applied versions of every tenant (None: no schema_migrations yet); `conn` must be in autocommit."""
    return _read_tenants(conn, tenants)[0]


def _read_tenants(
    conn: psycopg.Connection[Any], tenants: Sequence[str]
) -> tuple[dict[str, set[int] | None], set[str]]:
    """Versions per tenant and the tenant schemas that exist, in one query per batch when all are migrated.

    A missing table makes the optimistic query fail; then a catalog query finds the tenants that have one
    and one more query reads them. Either way the count does not grow with the number of tenants.
    """
    versions: dict[str, set[int] | None] = dict.fromkeys(tenants)
    schemas: set[str] = set()
    for start in range(0, len(tenants), READ_BATCH):
        batch = list(tenants[start : start + READ_BATCH])
        try:
            rows = conn.execute(_versions_union(batch)).fetchall()
            with_table = batch
            schemas.update(batch)
        except (pg_errors.UndefinedTable, pg_errors.InvalidSchemaName):
            found = conn.execute(_TENANT_SCHEMAS, (batch,)).fetchall()
            schemas.update(row[0] for row in found)
            present = {row[0] for row in found if row[1]}
            with_table = [tenant for tenant in batch if tenant in present]
            rows = conn.execute(_versions_union(with_table)).fetchall() if with_table else []
        applied: dict[str, set[int]] = {tenant: set() for tenant in with_table}
        for tenant, version in rows:
            applied[tenant].add(int(version))
        versions.update(applied)
    return versions, schemas


class _NeedsSession(Exception):
    """A tenant's plan holds a no-transaction migration, so it cannot run in one transaction."""


def _run_tenant(
    conn: psycopg.Connection[Any],
    selection: Selection,
    migrations: Sequence[MigrationFile],
    emit: _Emitter,
    tenant: str,
    found: _Found,
) -> list[int]:
    """All of one tenant's work in one transaction (lock, schema, table, re-read, apply, record).

    A plan with a no-transaction migration runs migration by migration under a session lock instead.
    """
    target, direction = _Target(tenant), selection.direction
    try:
        with conn.transaction():
            lock = sql.SQL("SELECT pg_advisory_xact_lock({})").format(sql.Literal(target.lock_key))
            parts = [lock, *target.prepare(direction, found, local=True), target.read()]
            applied = {int(row[0]) for row in _last_rows(conn.execute(sql.SQL("; ").join(parts)))}
            plan = selection.plan(migrations, applied)
            if any(migration.no_transaction for migration in plan):
                raise _NeedsSession
            _refuse_irreversible(plan, direction, tenant)
            note = f"the tenant's transaction was rolled back: none of its {len(plan)} migrations ran"
            for migration in plan:
                _execute(conn, migration, direction, tenant, note if len(plan) > 1 else None)
            if plan:
                _record(conn, target, [migration.version for migration in plan], direction)
    except _NeedsSession:
        plan = _run_tenant_in_session(conn, target, selection, migrations)
    kind: ProgressKind = "applied" if direction == "up" else "rolled_back"
    for migration in plan:
        how = " (outside a transaction)" if migration.no_transaction else ""
        emit(kind, f"{kind.replace('_', ' ')} {migration.label}{how}", migration=migration, tenant=tenant)
    return [migration.version for migration in plan]


def _run_tenant_in_session(
    conn: psycopg.Connection[Any],
    target: _Target,
    selection: Selection,
    migrations: Sequence[MigrationFile],
) -> list[MigrationFile]:
    with _advisory_lock(conn, target.lock_key, lambda: None):
        try:
            return _run_session(conn, target, selection, migrations, _Emitter(None), target.schema)
        finally:
            if not conn.broken:
                conn.execute("RESET search_path")


def _check_tenants(tenants: Sequence[str]) -> list[str]:
    for tenant in tenants:
        if not tenant or len(tenant.encode()) > 63:
            raise UsageError(f"invalid tenant schema name {tenant!r}: it must have 1 to 63 bytes")
    return list(dict.fromkeys(tenants))


class _TenantRun:
    """One migrate/rollback over many tenants: a bulk read, then a bounded pool of connections."""

    def __init__(
        self,
        connect: Connect,
        migrations: Sequence[MigrationFile],
        selection: Selection,
        jobs: int,
        fail_fast: bool,
        progress: Progress | None,
    ) -> None:
        if jobs < 1:
            raise UsageError(f"--jobs must be at least 1, got {jobs}")
        self._connect, self._selection, self._jobs, self._fail_fast = connect, selection, jobs, fail_fast
        self._migrations = _sorted_unique(migrations)
        self._emit = _Emitter(progress)
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._changed: dict[str, tuple[int, ...]] = {}
        self._failures: dict[str, MigrationError] = {}
        self._done = 0
        self._total = 0
        self._found: dict[str, _Found] = {}

    def run(self, tenants: Sequence[str]) -> TenantRunReport:
        names = _check_tenants(tenants)
        self._total = len(names)
        with _open(self._connect) as conn:
            applied, schemas = _read_tenants(conn, names)
            self._found = {name: _Found(name in schemas, applied[name] is not None) for name in names}
            todo = [name for name in names if self._selection.plan(self._migrations, applied[name] or set())]
            pending = set(todo)
            skipped = [name for name in names if name not in pending]
            for name in skipped:
                self._finish("skipped", name, "nothing to do")
            for name in todo:
                self._queue.put(name)
            self._work_in_parallel(conn, min(self._jobs, len(todo)))
        finished = self._changed.keys() | self._failures.keys()
        raced = {name for name, versions in self._changed.items() if not versions}  # done by another run
        return TenantRunReport(
            direction=self._selection.direction,
            changed={name: self._changed[name] for name in todo if self._changed.get(name)},
            skipped=tuple(name for name in names if name in raced or name not in pending),
            failures=tuple(
                TenantFailure(name, self._failures[name]) for name in todo if name in self._failures
            ),
            not_run=tuple(name for name in todo if name not in finished),
        )

    def _work_in_parallel(self, conn: psycopg.Connection[Any], workers: int) -> None:
        """The calling thread works with `conn`; `workers - 1` threads open their own connections."""
        with ThreadPoolExecutor(max_workers=max(workers - 1, 1), thread_name_prefix="tenants") as pool:
            futures = [pool.submit(self._thread_worker) for _ in range(workers - 1)]
            try:
                self._work(conn)
            except BaseException:
                self._stop.set()
                raise
            for future in futures:
                future.result()

    def _thread_worker(self) -> None:
        try:
            with _open(self._connect) as conn:
                self._work(conn)
        except DatabaseError as exc:  # the other workers drain the queue; what nobody runs is "not run"
            self._emit("failed", f"a tenant worker stopped: {exc}", done=self._done, total=self._total)
        except BaseException:
            self._stop.set()
            raise

    def _work(self, conn: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set() and not conn.broken:
            try:
                tenant = self._queue.get_nowait()
            except queue.Empty:
                return
            self._run_one(conn, tenant)

    def _run_one(self, conn: psycopg.Connection[Any], tenant: str) -> None:
        verb = "migrating" if self._selection.direction == "up" else "rolling back"
        self._emit("start", f"{verb} tenant {tenant}", tenant=tenant, done=self._done, total=self._total)
        try:
            found = self._found[tenant]
            versions = _run_tenant(conn, self._selection, self._migrations, self._emit, tenant, found)
        except MigrationError as exc:
            self._fail(tenant, exc)
        except psycopg.Error as exc:
            self._fail(tenant, MigrationError(f"database error: {exc}", tenant=tenant))
        else:
            with self._lock:
                self._changed[tenant] = tuple(versions)
            self._finish("tenant_done", tenant, f"{len(versions)} migration(s)")

    def _fail(self, tenant: str, error: MigrationError) -> None:
        with self._lock:
            self._failures[tenant] = error
        if self._fail_fast:
            self._stop.set()
        self._finish("failed", tenant, str(error))

    def _finish(self, kind: ProgressKind, tenant: str, message: str) -> None:
        with self._lock:
            self._done += 1
            done = self._done
        self._emit(kind, f"{tenant}: {message}", tenant=tenant, done=done, total=self._total)
