"""Tenant (schema-per-tenant) runs: every tenant schema gets its own `schema_migrations` (SPEC 6).

Goes further than AshPostgres, which migrates tenants one at a time and stops at the first failure:
one read of every tenant's versions, up-to-date tenants skipped, the rest over a bounded pool of
connections, each tenant in one transaction, and every failure collected for the report.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from snapshift.engine.base.errors import DatabaseError, MigrationError, UsageError
from snapshift.engine.base.migrations import MigrationFile
from snapshift.engine.db.lockwatch import LockWatch
from snapshift.engine.db.migrator import (
    Connect,
    Found,
    Target,
    advisory_lock,
    execute_migration,
    forget_rows,
    lock_timeout_ms,
    open_connection,
    record_step,
    refuse_irreversible,
    run_session,
    sorted_unique,
    step_error,
)
from snapshift.engine.db.runs import (
    Direction,
    Emitter,
    Progress,
    ProgressKind,
    Selection,
    migrate_selection,
    rollback_selection,
)

if TYPE_CHECKING:
    from snapshift.engine.db.tenant_build import Baseline

DEFAULT_JOBS = 4
BaselineSource = Callable[[], "Baseline | None"]  # how a new tenant is built (engine/db/tenant_build.py)


def _last_rows(cursor: psycopg.Cursor[Any]) -> list[Any]:
    """Rows of the last result of a multi-statement query."""
    rows: list[Any] = []
    while True:
        if cursor.description is not None:
            rows = cursor.fetchall()
        if not cursor.nextset():
            return rows


@dataclass(frozen=True)
class TenantFailure:
    """A tenant whose migration failed, and why."""

    tenant: str
    error: MigrationError

    def text(self) -> str:
        """The error with its tenant in front, once (a MigrationError made for a tenant names it)."""
        return str(self.error) if self.error.tenant else f"[{self.tenant}] {self.error}"


@dataclass(frozen=True)
class TenantRunReport:
    """Every tenant of a run ends up changed, skipped (nothing to do), failed, or not run (fail_fast)."""

    direction: Direction
    changed: Mapping[str, tuple[int, ...]]
    skipped: tuple[str, ...]
    failures: tuple[TenantFailure, ...]
    not_run: tuple[str, ...]
    held: tuple[str, ...] = ()  # new tenants left for a later run (`run_tenants`' hold_new)

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
    jobs: int = DEFAULT_JOBS,
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
    jobs: int = DEFAULT_JOBS,
    fail_fast: bool = False,
    progress: Progress | None = None,
) -> TenantRunReport:
    """Roll back tenant migrations in every tenant schema, with the selection options of rollback."""
    selection = rollback_selection(steps, to, all, versions)
    return _TenantRun(connect, migrations, selection, jobs, fail_fast, progress).run(tenants)


def run_tenants(
    connect: Connect,
    migrations: Sequence[MigrationFile],
    tenants: Sequence[str],
    selection: Selection,
    *,
    jobs: int = DEFAULT_JOBS,
    fail_fast: bool = False,
    progress: Progress | None = None,
    baseline: BaselineSource | None = None,
    lock_timeout: float | None = None,
    hold_new: bool = False,
) -> TenantRunReport:
    """Migrate or roll back what `selection` picks in every tenant (the facade's entry point); with
    `baseline`, a full migrate builds each tenant that has no applied version from it; with `hold_new`, a
    full migrate leaves those tenants alone instead (reported as held); `lock_timeout` as in Migrator."""
    run = _TenantRun(connect, migrations, selection, jobs, fail_fast, progress)
    run.baseline_source = baseline
    run.hold_new = hold_new
    run.lock_timeout_ms = lock_timeout_ms(lock_timeout)
    return run.run(tenants)


# undefined_table, invalid_schema_name, undefined_column: what the repo's own migrations may create later
NOT_CREATED_YET = frozenset({"42P01", "3F000", "42703"})


class TenantsQueryError(DatabaseError):
    """A config's tenants_query failed; `not_created_yet` when it reads something that does not exist
    (yet: typically a table of the application that `snapshift migrate` creates)."""

    def __init__(self, message: str, not_created_yet: bool) -> None:
        super().__init__(message)
        self.not_created_yet = not_created_yet
        self.reason = message.split("\n", 1)[0]


def tenants_from_query(connect: Connect, query: str) -> list[str]:
    """The first column of `query` (a config's tenants_query), duplicates and NULLs dropped; run in a
    read-only transaction, so that a query with side effects cannot change data."""
    with open_connection(connect) as conn:
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION READ ONLY")
                rows = conn.execute(query).fetchall()
        except psycopg.Error as exc:
            raise _query_error(query, exc) from exc
    return list(dict.fromkeys(_text(row[0]) for row in rows if row and row[0] is not None))


def _text(value: object) -> str:
    """A tenant schema name: text, as the query's first column must hold (`SELECT 1` is a mistake)."""
    if not isinstance(value, str):
        raise TenantsQueryError(
            f"tenants_query returned {value!r} ({type(value).__name__}), not a schema name: its first "
            "column must hold the tenant schema names as text",
            False,
        )
    return value


def _query_error(query: str, exc: psycopg.Error) -> TenantsQueryError:
    message = f"tenants_query failed: {exc.diag.message_primary or str(exc)}\n  query: {query.strip()}"
    missing = exc.sqlstate in NOT_CREATED_YET
    if missing:
        message += (
            "\n  hint: it reads something that does not exist yet; run `snapshift migrate` (without "
            "--tenants) first if the repo's own migrations create it"
        )
    return TenantsQueryError(message, missing)


# One statement reads every tenant's versions: query_to_xml runs the per-schema SELECT inside the server,
# which plans many small queries faster than one UNION with a branch per schema, and the CASE skips a
# schema that has no schema_migrations yet, so a missing table costs no second round trip.
_TENANT_VERSIONS = """
SELECT n.nspname, c.oid IS NOT NULL,
       CASE WHEN c.oid IS NOT NULL THEN query_to_xml(
           format('SELECT version FROM %%I.schema_migrations', n.nspname), false, true, '')::text END
FROM pg_namespace n
LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'schema_migrations' AND c.relkind IN ('r', 'p')
WHERE n.nspname = ANY(%s::text[])
"""
_VERSION_XML = re.compile(r"<version>(\d+)</version>")
READ_BATCH = 500  # tenants per query: each read table takes a lock slot until the query ends


def read_tenant_versions(conn: psycopg.Connection[Any], tenants: Sequence[str]) -> dict[str, set[int] | None]:
    """Applied versions of every tenant (None: no schema_migrations yet); `conn` must be in autocommit."""
    return _read_tenants(conn, tenants)[0]


def _read_tenants(
    conn: psycopg.Connection[Any], tenants: Sequence[str]
) -> tuple[dict[str, set[int] | None], set[str]]:
    """Versions per tenant and the tenant schemas that exist: one query per READ_BATCH tenants."""
    versions: dict[str, set[int] | None] = dict.fromkeys(tenants)
    schemas: set[str] = set()
    for start in range(0, len(tenants), READ_BATCH):
        batch = list(tenants[start : start + READ_BATCH])
        for schema, has_table, document in conn.execute(_TENANT_VERSIONS, (batch,)).fetchall():
            schemas.add(schema)
            if has_table:
                versions[schema] = {int(version) for version in _VERSION_XML.findall(document or "")}
    return versions, schemas


class _NeedsSession(Exception):
    """A tenant's plan holds a no-transaction migration, so it cannot run in one transaction."""


def _run_tenant(
    conn: psycopg.Connection[Any],
    selection: Selection,
    migrations: Sequence[MigrationFile],
    emit: Emitter,
    tenant: str,
    found: Found,
    lock_timeout: int | None = None,
    watch: LockWatch | None = None,
) -> list[int]:
    """All of one tenant's work in one transaction (lock, schema, table, re-read, apply, record).

    A plan with a no-transaction migration runs migration by migration under a session lock instead.
    `lock_timeout` (milliseconds) and `watch` as in engine.db.migrator.
    """
    target, direction = Target(tenant, lock_timeout), selection.direction
    plan: list[MigrationFile] = []
    try:
        with conn.transaction():
            lock = target.xact_lock()
            # The lock first: a catalog lookup before it (as SET SESSION AUTHORIZATION does) would leave
            # CREATE SCHEMA IF NOT EXISTS a catalog snapshot from before a concurrent run created it.
            parts = [lock, *target.reset(local=True), *target.prepare(direction, found, local=True)]
            query = sql.SQL("; ").join([*parts, target.read()])
            applied = {int(row[0]) for row in _last_rows(conn.execute(query))}
            plan = selection.plan(migrations, applied)
            if selection.forget:
                forget_rows(conn, target, selection, migrations, applied, emit, tenant)
            if any(migration.no_transaction for migration in plan):
                raise _NeedsSession
            refuse_irreversible(plan, direction, tenant)
            _execute_plan(conn, target, plan, direction, tenant, watch)
    except _NeedsSession:
        plan = _run_tenant_in_session(conn, target, selection, migrations, watch)
    except psycopg.Error as exc:
        if not plan:
            raise
        raise step_error(plan, direction, "at commit", exc, tenant) from exc
    kind: ProgressKind = "applied" if direction == "up" else "rolled_back"
    for migration in plan:
        how = " (outside a transaction)" if migration.no_transaction else ""
        emit(kind, f"{kind.replace('_', ' ')} {migration.label}{how}", migration=migration, tenant=tenant)
    return [migration.version for migration in plan]


def _execute_plan(
    conn: psycopg.Connection[Any],
    target: Target,
    plan: Sequence[MigrationFile],
    direction: Direction,
    tenant: str,
    watch: LockWatch | None = None,
) -> None:
    """The tenant's migrations and then its version rows, inside its transaction; between migrations
    and before the rows, the session is reset so that no migration's SET reaches the next step."""
    note = f"the tenant's transaction was rolled back: none of its {len(plan)} migrations ran"
    for index, migration in enumerate(plan):
        if index:
            conn.execute(sql.SQL("; ").join(target.reset(local=True)))
        execute_migration(conn, migration, direction, tenant, note if len(plan) > 1 else None, watch)
    if plan:
        record_step(conn, target, plan, direction, tenant, local=True)


def _run_tenant_in_session(
    conn: psycopg.Connection[Any],
    target: Target,
    selection: Selection,
    migrations: Sequence[MigrationFile],
    watch: LockWatch | None = None,
) -> list[MigrationFile]:
    with advisory_lock(conn, target.lock_key, lambda: None):
        try:
            return run_session(conn, target, selection, migrations, Emitter(None), target.schema, watch)
        finally:
            if not conn.broken:
                conn.execute("RESET search_path; RESET lock_timeout")


class _Raced(Exception):
    """Another run migrated the tenant since the bulk read: it is not new any more."""


def _build_tenant(
    conn: psycopg.Connection[Any], baseline: Baseline, emit: Emitter, tenant: str, found: Found
) -> list[int]:
    """A tenant with no applied version, built from the latest snapshots in one transaction: the tables,
    then the hand-written migrations, then every version row (engine/db/tenant_build.py)."""
    target = Target(tenant)
    plan = baseline.versions
    with conn.transaction():
        lock = target.xact_lock()
        parts = [lock, *target.reset(local=True), *target.prepare("up", found, local=True)]
        if _last_rows(conn.execute(sql.SQL("; ").join([*parts, target.read()]))):
            raise _Raced
        for statement in baseline.statements:
            try:
                conn.execute(statement, prepare=False)
            except psycopg.Error as exc:
                primary = exc.diag.message_primary or str(exc).strip()
                raise MigrationError(
                    f"building new tenant {tenant} from the latest tenant snapshots failed: {primary}\n  "
                    f"statement: {statement}\n  the tenant's transaction was rolled back",
                    tenant=tenant,
                ) from exc
        note = "the tenant's transaction was rolled back: it is still empty"
        for migration in baseline.replayed:
            conn.execute(sql.SQL("; ").join(target.reset(local=True)))
            execute_migration(conn, migration, "up", tenant, note)
        record_step(conn, target, plan, "up", tenant, local=True)
    built = {m.version for m in baseline.covered}
    for migration in plan:
        how = " (built from the latest snapshots)" if migration.version in built else ""
        emit("applied", f"applied {migration.label}{how}", migration=migration, tenant=tenant)
    return [migration.version for migration in plan]


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
        self._migrations = sorted_unique(migrations)
        self._emit = Emitter(progress)
        self.lock_timeout_ms: int | None = None
        self._watch = LockWatch(connect, self._emit)
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._changed: dict[str, tuple[int, ...]] = {}
        self._failures: dict[str, MigrationError] = {}
        self._done = 0
        self._total = 0
        self._found: dict[str, Found] = {}
        self.baseline_source: BaselineSource | None = None
        self.hold_new = False
        self._baseline: Baseline | None = None
        self._new: set[str] = set()

    def run(self, tenants: Sequence[str]) -> TenantRunReport:
        names = _check_tenants(tenants)
        self._total = len(names)
        with open_connection(self._connect) as conn:
            applied, schemas = _read_tenants(conn, names)
            self._found = {name: Found(name in schemas, applied[name] is not None) for name in names}
            todo = [name for name in names if self._has_work(name, applied[name] or set())]
            held = [name for name in todo if not applied[name]] if self.hold_new and self._full else []
            if held:
                todo = [name for name in todo if applied[name]]
            pending = set(todo)
            skipped = [name for name in names if name not in pending and name not in held]
            for name in skipped:
                self._finish("skipped", name, "nothing to do")
            for name in held:
                self._finish("skipped", name, "new tenant: left for a later run")
            self._prepare_build({name for name in todo if not applied[name]})
            for name in todo:
                self._queue.put(name)
            with self._watch:
                self._work_in_parallel(conn, min(self._jobs, len(todo)))
        finished = self._changed.keys() | self._failures.keys()
        nothing_to_do = set(skipped)
        raced = {name for name, versions in self._changed.items() if not versions}  # done by another run
        return TenantRunReport(
            direction=self._selection.direction,
            changed={name: self._changed[name] for name in todo if self._changed.get(name)},
            skipped=tuple(name for name in names if name in raced or name in nothing_to_do),
            failures=tuple(
                TenantFailure(name, self._failures[name]) for name in todo if name in self._failures
            ),
            not_run=tuple(name for name in todo if name not in finished),
            held=tuple(held),
        )

    @property
    def _full(self) -> bool:
        """A migrate to the newest version: the one that builds new tenants (`-n` and `--to` replay)."""
        selection = self._selection
        return selection.direction == "up" and selection.steps is None and selection.to is None

    def _prepare_build(self, new: set[str]) -> None:
        """A full migrate builds new and empty tenants from the baseline, when there is one."""
        if new and self._full and self.baseline_source is not None:
            self._baseline = self.baseline_source()
            self._new = new if self._baseline is not None else set()

    def _has_work(self, tenant: str, applied: set[int]) -> bool:
        """Something to run or (rollback --forget) a row to forget; a rollback passing a version
        without a file is refused here, before any tenant runs."""
        try:
            plan = self._selection.plan(self._migrations, applied)
        except UsageError as exc:
            raise UsageError(f"tenant {tenant}: {exc}") from None
        return bool(plan or self._selection.forget & applied)

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
            with open_connection(self._connect) as conn:
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
        started = time.perf_counter()
        try:
            found = self._found[tenant]
            versions = self._run_or_build(conn, tenant, found)
        except MigrationError as exc:
            self._fail(tenant, exc, time.perf_counter() - started)
        except psycopg.Error as exc:
            error = MigrationError(f"database error: {exc}", tenant=tenant)
            self._fail(tenant, error, time.perf_counter() - started)
        else:
            with self._lock:
                self._changed[tenant] = tuple(versions)
            message = f"{len(versions)} migration(s)"
            self._finish("tenant_done", tenant, message, time.perf_counter() - started)

    def _run_or_build(self, conn: psycopg.Connection[Any], tenant: str, found: Found) -> list[int]:
        if self._baseline is not None and tenant in self._new:
            try:
                return _build_tenant(conn, self._baseline, self._emit, tenant, found)
            except _Raced:
                pass
        return _run_tenant(
            conn,
            self._selection,
            self._migrations,
            self._emit,
            tenant,
            found,
            self.lock_timeout_ms,
            self._watch,
        )

    def _fail(self, tenant: str, error: MigrationError, elapsed: float) -> None:
        with self._lock:
            self._failures[tenant] = error
        if self._fail_fast:
            self._stop.set()
        self._finish("failed", tenant, str(error), elapsed)

    def _finish(self, kind: ProgressKind, tenant: str, message: str, elapsed: float | None = None) -> None:
        with self._lock:
            self._done += 1
            done = self._done
        self._emit(kind, f"{tenant}: {message}", tenant=tenant, done=done, total=self._total, elapsed=elapsed)


def select_tenants(
    tenants: Sequence[str], only: Sequence[str] | None = None, except_: Collection[str] | None = None
) -> list[str]:
    """`--only-tenants` keeps the listed tenants in the listed order, `--except-tenants` drops some.

    As in AshPostgres, `only` never adds a schema that is not a tenant; unlike it, naming one (in
    either list: a typo would drop nothing) is an error rather than silently doing something else.
    """
    known = list(dict.fromkeys(tenants))
    chosen = known
    if only is not None:
        _check_named(known, only, "--only-tenants")
        chosen = list(dict.fromkeys(only))
    if except_ and known:  # a repo without tenants has nothing to drop (and another repo may have them)
        _check_named(known, list(except_), "--except-tenants")
    dropped = set(except_ or ())
    return [name for name in chosen if name not in dropped]


def _check_named(known: Sequence[str], named: Sequence[str], flag: str) -> None:
    known_set = set(known)
    unknown = [name for name in named if name not in known_set]
    if unknown:
        listed = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        raise UsageError(f"{flag} names no tenant: {', '.join(unknown)} (tenants: {listed or 'none'})")
