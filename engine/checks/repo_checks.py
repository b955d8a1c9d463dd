"""What verify and drift read of a repo (migration files, latest snapshots, the versions its database
has applied) and what they run on: the glue between the Project facade and engine.checks.verify /
engine.checks.drift."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from snapshift.engine.autogen.snapshots import load_state
from snapshift.engine.base.migrations import (
    MigrationFile,
    list_migrations,
    parse_migration_text,
    parse_version,
)
from snapshift.engine.checks.drift import DriftResult, Kept, Pending, drift_repo
from snapshift.engine.checks.verify import VerifyProgress, VerifyResult, verify_migrations
from snapshift.engine.db.dbactions import connector
from snapshift.engine.db.migrator import Connect, Migrator, open_connection
from snapshift.engine.db.runs import MigrationState
from snapshift.engine.db.scratch import FreshMigrations, fresh_migrations
from snapshift.engine.db.tenants import read_tenant_versions
from snapshift.engine.resources.config import RepoConfig
from snapshift.engine.resources.model import Table

if TYPE_CHECKING:
    from snapshift.engine.autogen.generate import RepoGeneration


def declared_state(repo: RepoConfig) -> FreshMigrations:
    """The latest snapshots of `repo` as the migrations that build them fresh."""
    state = load_state(repo.snapshots_path)
    return fresh_migrations(list(state.before().values()), state.extensions)


def verify_repo(
    repo: RepoConfig,
    server_url: str,
    progress: VerifyProgress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> VerifyResult:
    """Every migration file of `repo` against its latest snapshots."""
    return verify_migrations(
        server_url,
        list_migrations(repo.migrations_path),
        list_migrations(repo.tenant_migrations_path),
        declared_state(repo),
        repo=repo.name,
        progress=progress,
        cancel=cancel,
    )


def verify_planned(
    generation: RepoGeneration,
    server_url: str,
    planned: Sequence[tuple[str, str, bool]],
    progress: VerifyProgress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> VerifyResult:
    """The existing migrations plus the planned ones ((file name, text, tenant)) against the state the
    plan declares; only the planned ones are rolled back and applied again."""
    repo = generation.repo
    public = list_migrations(repo.migrations_path)
    tenant = list_migrations(repo.tenant_migrations_path)
    for name, text, is_tenant in planned:
        path = (repo.tenant_migrations_path if is_tenant else repo.migrations_path) / name
        version, label = parse_version(path)
        (tenant if is_tenant else public).append(
            parse_migration_text(text, path=path, version=version, name=label)
        )
    extensions = list(dict.fromkeys([*generation.state.extensions, *repo.extensions]))
    declared = fresh_migrations(_planned_tables(generation), extensions)
    return verify_migrations(
        server_url,
        public,
        tenant,
        declared,
        repo=repo.name,
        check_down=len(planned),
        progress=progress,
        cancel=cancel,
    )


def _planned_tables(generation: RepoGeneration) -> list[Table]:
    """The tables after the plan: the resources, and the tables whose drop was answered no."""
    tables = list(generation.tables.values())
    for key, stored in generation.state.tables.items():
        if key not in generation.tables and (stored.drop_table_opted_out or key in generation.diff.kept):
            tables.append(stored.table)
    return tables


def drift(
    repo: RepoConfig,
    live_url: str,
    tenants: Sequence[str] | None,
    progress: Callable[[str], None] | None = None,
) -> DriftResult:
    """The live database (and `tenants`) against the latest snapshots; what migrations are pending is
    read first, and the parts they would change are reported pending, not compared."""
    public = list_migrations(repo.migrations_path)  # read once: for what is pending and what is kept
    tenant = list_migrations(repo.tenant_migrations_path)
    pending = pending_migrations(repo, live_url, tenants or (), public, tenant)
    kept = Kept(_kept(public), _kept(tenant))
    return drift_repo(repo.name, live_url, declared_state(repo), tenants, progress, pending, kept)


def _kept(migrations: Sequence[MigrationFile]) -> frozenset[tuple[str, str]]:
    return frozenset(pair for migration in migrations for pair in migration.kept_columns)


def pending_migrations(
    repo: RepoConfig,
    live_url: str,
    tenants: Sequence[str],
    public: Sequence[MigrationFile],
    tenant: Sequence[MigrationFile],
) -> Pending:
    """The versions of the `public` and `tenant` migration files the live database, and each of
    `tenants`, has not applied, read as `migrate` and `status` read them."""
    connect = connector(live_url, repo.connect_timeout)
    waiting = Migrator(connect, public).pending()
    return Pending(tuple(m.version for m in waiting), _tenants_pending(connect, tenants, tenant))


def _tenants_pending(
    connect: Connect, tenants: Sequence[str], files: Sequence[MigrationFile]
) -> dict[str, tuple[int, ...]]:
    """Each tenant's pending tenant migrations (all of them where the schema has no schema_migrations)."""
    if not tenants:
        return {}
    with open_connection(connect) as conn:
        applied = read_tenant_versions(conn, tenants)
    return {
        name: tuple(m.version for m in MigrationState.compare(files, applied[name] or set()).pending)
        for name in tenants
    }
