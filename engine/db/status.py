"""`snapshift status`: per repo and tenant group, what the database records against the migration files.

Applied, pending, out-of-order (pending but older than the newest applied), missing files (recorded
versions no file provides), untracked by git, and whether the resources have changes to generate.
`ProjectStatus.to_json()` is the stable document behind `status --json`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snapshift.engine.base import gitstate
from snapshift.engine.base.errors import DatabaseError, GitError, InputError
from snapshift.engine.base.migrations import MigrationFile, list_migrations
from snapshift.engine.base.relpath import shown_path
from snapshift.engine.db.database import MissingDatabase
from snapshift.engine.db.dbactions import RepoUrl, connector, tenant_names
from snapshift.engine.db.migrator import Migrator, open_connection
from snapshift.engine.db.runs import MigrationState
from snapshift.engine.db.tenants import TenantsQueryError, read_tenant_versions
from snapshift.engine.resources.config import RepoConfig

JSON_FORMAT = 2  # 2: an `error` per repo; with one, database_exists and the versions are null


@dataclass(frozen=True)
class Versions:
    """One `schema_migrations` table compared with one folder of migration files."""

    applied: tuple[int, ...]
    pending: tuple[int, ...]
    out_of_order: tuple[int, ...]
    missing_files: tuple[int, ...]

    @classmethod
    def compare(cls, files: Sequence[MigrationFile], applied: Collection[int]) -> Versions:
        state = MigrationState.compare(files, applied)
        return cls(
            tuple(sorted(state.applied)),
            tuple(m.version for m in state.pending),
            tuple(m.version for m in state.out_of_order),
            state.missing_files,
        )

    @property
    def up_to_date(self) -> bool:
        return not self.pending


@dataclass(frozen=True)
class TenantStatus:
    """The versions one tenant schema has applied."""

    tenant: str
    versions: Versions
    migrated: bool  # whether the schema has a schema_migrations table yet


@dataclass(frozen=True)
class GroupStatus:
    """One folder of migrations: the repo's own (`database` set) or the tenant ones (`tenants`)."""

    kind: str  # "migrations" or "tenant_migrations"
    folder: Path
    files: tuple[MigrationFile, ...]
    untracked: tuple[int, ...] | None  # versions of files git does not track; None: unknown
    database: Versions | None = None
    tenants: tuple[TenantStatus, ...] = ()
    tenants_error: str | None = None  # why the tenant list could not be read (tenants_query)


@dataclass(frozen=True)
class RepoStatus:
    """Everything `status` reports for one repo."""

    repo: str
    url: str  # redacted
    database_exists: bool | None  # None: unknown, the database could not be asked (see `error`)
    migrations: GroupStatus
    tenant_migrations: GroupStatus
    resources_changed: bool | None  # None: the resources could not be read (see ProjectStatus)
    error: str | None = None  # why the database could not be read; the other repos are reported all the same


@dataclass(frozen=True)
class ProjectStatus:
    """`status` for every repo of the project."""

    root: Path
    repos: tuple[RepoStatus, ...]
    untracked_unknown: str | None  # why untracked files are unknown ("not a git work tree")
    resource_error: str | None

    @property
    def failed(self) -> list[RepoStatus]:
        """The repos whose database could not be read."""
        return [repo for repo in self.repos if repo.error is not None]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready document; keys and shapes are stable (`format` changes when they do not)."""
        return {
            "format": JSON_FORMAT,
            "root": str(self.root),
            "untracked_unknown": self.untracked_unknown,
            "resource_error": self.resource_error,
            "repos": [_repo_json(self.root, repo) for repo in self.repos],
        }


def unreadable_config_json(directory: Path, error: str) -> dict[str, Any]:
    """`status --json` when the config cannot be read: the same document, its error as resource_error."""
    return {
        "format": JSON_FORMAT,
        "root": str(directory.resolve()),
        "untracked_unknown": None,
        "resource_error": error,
        "repos": [],
    }


def _versions_json(versions: Versions | None) -> dict[str, list[int] | None]:
    """The four lists; null each when the database could not be read."""
    if versions is None:
        return dict.fromkeys(("applied", "pending", "out_of_order", "missing_files"))
    return {
        "applied": list(versions.applied),
        "pending": list(versions.pending),
        "out_of_order": list(versions.out_of_order),
        "missing_files": list(versions.missing_files),
    }


def _group_json(root: Path, group: GroupStatus) -> dict[str, Any]:
    untracked = None if group.untracked is None else set(group.untracked)
    applied = set(group.database.applied) if group.database else set()
    files = [
        {
            "version": migration.version,
            "name": migration.name,
            "file": shown_path(root, migration.path),
            "applied": migration.version in applied if group.database else None,
            "untracked": None if untracked is None else migration.version in untracked,
        }
        for migration in group.files
    ]
    document: dict[str, Any] = {
        "path": shown_path(root, group.folder),
        "files": files,
        "untracked": None if group.untracked is None else list(group.untracked),
    }
    if group.kind == "migrations":
        document.update(_versions_json(group.database))
    else:
        document["tenants_error"] = group.tenants_error
        document["tenants"] = [
            {"name": tenant.tenant, "migrated": tenant.migrated, **_versions_json(tenant.versions)}
            for tenant in group.tenants
        ]
    return document


def _repo_json(root: Path, repo: RepoStatus) -> dict[str, Any]:
    return {
        "name": repo.repo,
        "url": repo.url,
        "database_exists": repo.database_exists,
        "resources_changed": repo.resources_changed,
        "error": repo.error,
        "migrations": _group_json(root, repo.migrations),
        "tenant_migrations": _group_json(root, repo.tenant_migrations),
    }


@dataclass(frozen=True)
class _Untracked:
    """Files git does not track under some folders, or why that is unknown."""

    paths: frozenset[str] | None
    reason: str | None = None


def _untracked_files(root: Path, folders: Sequence[Path]) -> _Untracked:
    """Files git does not track under `folders`, as real paths; outside git, the reason instead."""
    try:
        paths = gitstate.untracked(root, folders, "status")
    except GitError as exc:
        return _Untracked(None, exc.short)
    return _Untracked(frozenset(os.path.realpath(p) for p in paths))


def _untracked_versions(files: Sequence[MigrationFile], untracked: _Untracked) -> tuple[int, ...] | None:
    if untracked.paths is None:
        return None
    return tuple(m.version for m in files if os.path.realpath(m.path) in untracked.paths)


def _repo_versions(target: RepoUrl, files: Sequence[MigrationFile]) -> Versions | None:
    """The repo's versions, or None when its database does not exist (as the server says: a server
    that does not answer is waited for once, not a second time through the maintenance database)."""
    try:
        applied = Migrator(connector(target.url, target.timeout), files).applied_versions()
    except MissingDatabase:
        return None
    return Versions.compare(files, applied)


def _tenant_list(repo: RepoConfig, target: RepoUrl) -> tuple[list[str], str | None]:
    """The tenants, or none and why: a tenants_query that reads a table `migrate` has not created yet
    is a state of a fresh database to report, not a reason for `status` to fail."""
    try:
        return tenant_names(repo, target.url), None
    except TenantsQueryError as exc:
        if not exc.not_created_yet:
            raise
        return [], exc.reason


def _tenant_statuses(
    repo: RepoConfig, target: RepoUrl, files: Sequence[MigrationFile]
) -> tuple[tuple[TenantStatus, ...], str | None]:
    """Each tenant's versions, and why there are none when the tenant list could not be read."""
    names, error = _tenant_list(repo, target)
    if not names:
        return (), error
    with open_connection(connector(target.url, target.timeout)) as conn:
        applied = read_tenant_versions(conn, names)
    statuses = tuple(
        TenantStatus(name, Versions.compare(files, applied[name] or set()), applied[name] is not None)
        for name in names
    )
    return statuses, None


def _unmigrated(repo: RepoConfig, files: Sequence[MigrationFile]) -> tuple[TenantStatus, ...]:
    """Without a database, the configured tenants (a `tenants_query` needs one) have everything pending."""
    if repo.tenants_query is not None:
        return ()
    nothing = Versions.compare(files, ())
    return tuple(TenantStatus(name, nothing, False) for name in repo.tenants or ())


def repo_status(
    repo: RepoConfig, target: RepoUrl, untracked: _Untracked, resources_changed: bool | None
) -> RepoStatus:
    """One repo's status; a database that cannot be read is this repo's `error`, not the project's."""
    try:
        return _repo_status(repo, target, untracked, resources_changed)
    except DatabaseError as exc:
        files = list_migrations(repo.migrations_path)
        tenant_files = list_migrations(repo.tenant_migrations_path)
        return RepoStatus(
            repo=repo.name,
            url=target.shown,
            database_exists=None,
            migrations=GroupStatus(
                "migrations", repo.migrations_path, tuple(files), _untracked_versions(files, untracked)
            ),
            tenant_migrations=GroupStatus(
                "tenant_migrations",
                repo.tenant_migrations_path,
                tuple(tenant_files),
                _untracked_versions(tenant_files, untracked),
            ),
            resources_changed=resources_changed,
            error=str(exc),
        )


def _repo_status(
    repo: RepoConfig, target: RepoUrl, untracked: _Untracked, resources_changed: bool | None
) -> RepoStatus:
    files = list_migrations(repo.migrations_path)
    tenant_files = list_migrations(repo.tenant_migrations_path)
    versions = _repo_versions(target, files)
    exists = versions is not None
    tenants, tenants_error = (
        _tenant_statuses(repo, target, tenant_files) if exists else (_unmigrated(repo, tenant_files), None)
    )
    return RepoStatus(
        repo=repo.name,
        url=target.shown,
        database_exists=exists,
        migrations=GroupStatus(
            "migrations",
            repo.migrations_path,
            tuple(files),
            _untracked_versions(files, untracked),
            database=versions or Versions.compare(files, ()),
        ),
        tenant_migrations=GroupStatus(
            "tenant_migrations",
            repo.tenant_migrations_path,
            tuple(tenant_files),
            _untracked_versions(tenant_files, untracked),
            tenants=tenants,
            tenants_error=tenants_error,
        ),
        resources_changed=resources_changed,
    )


def project_status(
    root: Path,
    repos: Sequence[RepoConfig],
    urls: Mapping[str, RepoUrl],
    resources_changed: Callable[[str], bool],
) -> ProjectStatus:
    """The status of `repos`; `resources_changed(repo)` says whether generate has work for a repo."""
    folders = [folder for repo in repos for folder in (repo.migrations_path, repo.tenant_migrations_path)]
    untracked = _untracked_files(root, folders)
    resource_error: str | None = None
    statuses: list[RepoStatus] = []
    for repo in repos:
        changed: bool | None = None
        if resource_error is None:
            try:
                changed = resources_changed(repo.name)
            except InputError as exc:
                resource_error = str(exc)
        statuses.append(repo_status(repo, urls[repo.name], untracked, changed))
    return ProjectStatus(root, tuple(statuses), untracked.reason, resource_error)
