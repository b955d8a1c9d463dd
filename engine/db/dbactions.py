"""The database actions behind the Project facade, one repo at a time.

Each function takes a repo's config and its resolved URL and returns a small frozen result; the
facade loops over repos. Connection failures become DatabaseError with the URL redacted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from snapshift.engine.base.errors import ConfigError, Location, UsageError
from snapshift.engine.base.migrations import MigrationFile, list_migrations
from snapshift.engine.db import database
from snapshift.engine.db.migrator import Connect, Migrator
from snapshift.engine.db.runs import Direction, Progress, ProgressEvent, Selection
from snapshift.engine.db.tenants import (
    DEFAULT_JOBS,
    TenantRunReport,
    run_tenants,
    select_tenants,
    tenants_from_query,
)
from snapshift.engine.resources.config import RepoConfig, tenant_problem, url_problem

if TYPE_CHECKING:
    from snapshift.engine.db.tenant_build import Baseline

MISSING_DATABASE_HINT = "run `snapshift create` first"


@dataclass(frozen=True)
class RepoUrl:
    """Where a repo's database is: `embedded` when it lives in the project's development cluster."""

    repo: str
    url: str
    embedded: bool
    timeout: int | None = None  # the repo's connect_timeout (seconds)

    @property
    def shown(self) -> str:
        """The URL as it may be printed: without its password."""
        return database.redact(self.url)

    @property
    def database(self) -> str:
        return database.database_name(self.url)


@dataclass(frozen=True)
class RunResult:
    """What one migrate or rollback did in one repo's schema: the versions, in the order they ran, and
    the tenant migrations a rollback undid first (engine/db/ordered.py), by tenant."""

    repo: str
    direction: Direction
    versions: tuple[int, ...]
    tenants: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class TenantsResult:
    """One repo's tenant run: the tenants it covered and the migrator's report."""

    repo: str
    tenants: tuple[str, ...]
    report: TenantRunReport
    none_because: str | None = None  # why there were no tenants to run (chosen_tenants)
    held_back: tuple[int, ...] = ()  # tenant versions left for after the pending public `waiting_for`
    waiting_for: int | None = None

    @property
    def ok(self) -> bool:
        return self.report.ok

    def failure_text(self) -> str:
        """What went wrong, in one line: the failed and not run tenants, and the first failure."""
        report = self.report
        parts = [f"{len(report.failures)} tenant(s) failed"]
        if report.not_run:
            parts.append(f"{len(report.not_run)} not run")
        first = f": [{report.failures[0].tenant}] {report.failures[0].error}" if report.failures else ""
        return ", ".join(parts) + first


@dataclass(frozen=True)
class DatabaseChange:
    """create/drop of one repo's database; `changed` is False when it already existed (or was gone)."""

    repo: str
    database: str
    url: str  # redacted
    changed: bool


def repo_url(repo: RepoConfig, root: Path, *, first: bool) -> RepoUrl:
    """The repo's URL (a URL, or env:NAME); with none, a database in the embedded dev cluster.

    The first repo uses the cluster's own database; each other repo gets `snapshift_<repo>`, so two
    repos never share bookkeeping.
    """
    url = database.resolve_url(repo.url)
    if url is not None:
        _check_url(repo, url)
        return RepoUrl(repo.name, url, embedded=False, timeout=repo.connect_timeout)
    from snapshift.engine.db import devdb  # the cluster's code: not for a configured URL

    dev_url = devdb.DevDatabase(root).start()
    if first:
        return RepoUrl(repo.name, dev_url, embedded=True)
    own = database.with_database(dev_url, f"{devdb.DATABASE}_{repo.name}")
    database.create_database(own)
    return RepoUrl(repo.name, own, embedded=True)


def _check_url(repo: RepoConfig, url: str) -> None:
    """A URL read from the environment gets the config's check too; the error names the variable."""
    problem = url_problem(url)
    if problem is not None:
        source = repo.url.strip() if repo.url else "the url"
        raise ConfigError(f"the URL in {source} (set by {repo.url_key}): {problem}")


def connector(url: str, timeout: int | None = None) -> Connect:
    """A connection factory for the migrator; a missing database gets a hint to create it.

    `timeout` is the repo's connect_timeout (a connect_timeout in the URL wins)."""

    def connect() -> psycopg.Connection[Any]:
        try:
            return database.connect(url, connect_timeout=timeout)
        except database.MissingDatabase as exc:
            raise database.MissingDatabase(f"{exc}\n  hint: {MISSING_DATABASE_HINT}") from None

    return connect


def tagged(progress: Progress | None, repo: str) -> Progress | None:
    """`progress` with every event naming the repo it belongs to."""
    if progress is None:
        return None
    report = progress

    def forward(event: ProgressEvent) -> None:
        report(replace(event, repo=repo))

    return forward


def check_jobs(jobs: int | None) -> int:
    if jobs is None:
        return DEFAULT_JOBS
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    return jobs


def run_repo(
    repo: RepoConfig,
    url: str,
    selection: Selection,
    progress: Progress | None,
    migrations: Sequence[MigrationFile] | None = None,
    lock_timeout: float | None = None,
) -> RunResult:
    """Migrate or roll back the repo's own migrations (not the tenant ones); `migrations` when read,
    `lock_timeout` (seconds) overrides the repo's."""
    files = list_migrations(repo.migrations_path) if migrations is None else migrations
    timeout = repo.lock_timeout if lock_timeout is None else lock_timeout
    connect = connector(url, repo.connect_timeout)
    migrator = Migrator(connect, files, progress=progress, lock_timeout=timeout)
    versions = migrator.run(selection)
    return RunResult(repo.name, selection.direction, tuple(versions))


def tenant_names(
    repo: RepoConfig,
    url: str | None,
    only: Sequence[str] | None = None,
    except_: Collection[str] | None = None,
) -> list[str]:
    """The repo's tenants from `tenants` or `tenants_query`, filtered by --only/--except-tenants.

    `url` is needed only for a `tenants_query`.
    """
    return chosen_tenants(repo, url, only, except_)[0]


def chosen_tenants(
    repo: RepoConfig,
    url: str | None,
    only: Sequence[str] | None = None,
    except_: Collection[str] | None = None,
) -> tuple[list[str], str | None]:
    """`tenant_names`, and when they are none, why: no tenants configured, a tenants_query that
    returned no rows, or --only/--except-tenants that left none of them."""
    if repo.tenants_query is not None:
        if url is None:
            raise ValueError("tenant_names needs the database URL to run tenants_query")
        known = tenants_from_query(connector(url, repo.connect_timeout), repo.tenants_query)
        for name in known:
            problem = tenant_problem(name)
            if problem is not None:
                where = Location(repo.config_path, f"repos.{repo.name}.tenants_query")
                raise ConfigError(f"tenants_query returned a name that cannot be a tenant: {problem}", where)
    else:
        known = list(repo.tenants or ())
    names = select_tenants(known, only, except_)
    if names:
        return names, None
    if known:
        return names, f"--only-tenants/--except-tenants leave none of its {len(known)} tenant(s)"
    if repo.tenants_query is not None:
        return names, "its tenants_query returned no tenant names (no rows, or only NULLs)"
    if repo.tenants is not None:
        return names, "its tenants list is empty"
    return names, "none configured (set tenants or tenants_query in the config)"


def run_repo_tenants(
    repo: RepoConfig,
    url: str,
    selection: Selection,
    tenants: Sequence[str],
    *,
    jobs: int,
    fail_fast: bool,
    progress: Progress | None,
    none_because: str | None = None,
    lock_timeout: float | None = None,
) -> TenantsResult:
    """Migrate or roll back the tenant migrations in each of `tenants`; a migrate leaves the ones generated
    after a pending public migration for later, and new tenants too (they are built from the latest
    snapshots, which may name what that public migration creates)."""
    migrations = list_migrations(repo.tenant_migrations_path)
    if not tenants:
        empty = TenantRunReport(selection.direction, {}, (), (), ())
        return TenantsResult(repo.name, (), empty, none_because)

    def baseline() -> Baseline | None:
        from snapshift.engine.db import tenant_build  # the generator's code: only when a tenant is new

        return tenant_build.baseline(repo.snapshots_path, migrations)

    waiting = public_migration_waited_for(repo, url, migrations) if selection.direction == "up" else None
    runnable = [
        m for m in migrations if waiting is None or m.version <= waiting
    ]  # a shared version: no order
    held = tuple(m.version for m in migrations if m not in runnable)
    report = run_tenants(
        connector(url, repo.connect_timeout),
        runnable,
        tenants,
        selection,
        jobs=jobs,
        fail_fast=fail_fast,
        progress=progress,
        baseline=baseline,
        lock_timeout=repo.lock_timeout if lock_timeout is None else lock_timeout,
        hold_new=waiting is not None,
    )
    return TenantsResult(repo.name, tuple(tenants), report, held_back=held, waiting_for=waiting)


def public_migration_waited_for(repo: RepoConfig, url: str, files: Sequence[MigrationFile]) -> int | None:
    """`migrate --tenants`: the oldest pending public migration, when a tenant migration is newer (the
    two histories are one: a tenant migration generated after a public one may use what that one
    creates, so it waits); None, without a query, when no public migration is newer than the oldest
    tenant one."""
    public = list_migrations(repo.migrations_path)
    if not files or not public or max(m.version for m in public) < min(m.version for m in files):
        return None
    applied = Migrator(connector(url), public).applied_versions()
    waiting = min((m.version for m in public if m.version not in applied), default=None)
    return waiting if waiting is not None and any(m.version > waiting for m in files) else None


def create(target: RepoUrl) -> DatabaseChange:
    created = database.create_database(target.url, target.timeout)
    return DatabaseChange(target.repo, target.database, target.shown, created)


def drop(target: RepoUrl) -> DatabaseChange:
    dropped = database.drop_database(target.url, timeout=target.timeout)
    return DatabaseChange(target.repo, target.database, target.shown, dropped)
