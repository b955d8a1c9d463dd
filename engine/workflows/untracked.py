"""The migrations and snapshots git does not track, and `rollback --untracked` (SPEC 7).

AshPostgres's old regen script rolled back "the N newest migrations", N being the number of untracked
files. Here exactly the applied migrations whose files are untracked are rolled back, newest first,
tenant ones in every tenant, wherever they sit among the applied versions; undoing one that a tracked
migration was applied after is refused unless forced, since that undoes history out of order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import psycopg

from snapshift.engine.autogen.snapshots import EXTENSIONS_FILE, SNAPSHOT_NAME, TENANTS_DIR
from snapshift.engine.base import gitstate
from snapshift.engine.base.errors import RegenError, RegenRefused
from snapshift.engine.base.migrations import FILENAME_RE, MigrationFile, list_migrations
from snapshift.engine.db import dbactions, ordered
from snapshift.engine.db.migrator import Migrator, open_connection
from snapshift.engine.db.run_options import TenantFilter
from snapshift.engine.db.runs import Progress
from snapshift.engine.db.tenants import TenantRunReport, read_tenant_versions
from snapshift.engine.resources.config import RepoConfig

if TYPE_CHECKING:
    from snapshift.engine.workflows.workflow_project import WorkflowProject

Scope = Literal["all", "public", "tenants"]
SHOWN_TENANTS = 5


@dataclass(frozen=True)
class UntrackedFiles:
    """One repo's generated files that git does not track (absolute paths, sorted)."""

    repo: str
    migrations: tuple[Path, ...] = ()
    tenant_migrations: tuple[Path, ...] = ()
    snapshots: tuple[Path, ...] = ()  # table snapshots and extensions.json

    @property
    def all(self) -> tuple[Path, ...]:
        return self.migrations + self.tenant_migrations + self.snapshots


def _is_migration(path: Path, folder: Path) -> bool:
    return path.parent == folder and FILENAME_RE.match(path.name) is not None


def _is_snapshot(path: Path, root: Path) -> bool:
    if path.parent == root:
        return path.name == EXTENSIONS_FILE
    table_parent = path.parent.parent
    in_table_folder = table_parent == root or table_parent == root / TENANTS_DIR
    return in_table_folder and SNAPSHOT_NAME.match(path.name) is not None


def untracked_files(project: WorkflowProject, repo: RepoConfig, purpose: str = "regen") -> UntrackedFiles:
    """Untracked (not ignored) migration and snapshot files of `repo`; other stray files are left out."""
    folders = [repo.migrations_path, repo.tenant_migrations_path, repo.snapshots_path]
    found = gitstate.untracked(project.root, folders, purpose)
    return UntrackedFiles(
        repo.name,
        migrations=tuple(p for p in found if _is_migration(p, repo.migrations_path)),
        tenant_migrations=tuple(p for p in found if _is_migration(p, repo.tenant_migrations_path)),
        snapshots=tuple(p for p in found if _is_snapshot(p, repo.snapshots_path)),
    )


class RepoDatabase:
    """How the untracked workflows reach one repo's database: a connection factory and the tenants,
    resolved on first use so that a repo without untracked migrations is never connected to."""

    def __init__(
        self,
        project: WorkflowProject,
        repo: RepoConfig,
        which: TenantFilter = TenantFilter(),
    ) -> None:
        self.project, self.repo = project, repo
        self._which = which
        self._url: str | None = None
        self._tenants: list[str] | None = None

    def url(self) -> str:
        if self._url is None:
            self._url = self.project.database_url(self.repo.name)
        return self._url

    def connect(self) -> psycopg.Connection[Any]:
        return dbactions.connector(self.url(), self.repo.connect_timeout)()

    def tenants(self) -> list[str]:
        if self._tenants is None:
            self._tenants = list(self.project.tenants(self.repo.name, self._which))
        return self._tenants


@dataclass(frozen=True)
class UntrackedRollback:
    """The applied migrations of one repo whose files git does not track, newest first, and the tracked
    (or file-less) migrations applied after them, which make undoing them an out-of-order rollback."""

    repo: str
    public: tuple[MigrationFile, ...] = ()
    tenant: tuple[MigrationFile, ...] = ()  # applied in at least one tenant
    tenants: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # tenant -> versions, newest first
    blockers: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.public and not self.tenant

    def describe(self) -> list[str]:
        """One line per migration, newest first: the order the rollback runs them (ordered.reverse_steps)."""
        lines = [(m.version, f"roll back {m.label}") for m in self.public]
        for migration in self.tenant:
            where = [t for t, versions in self.tenants.items() if migration.version in versions]
            lines.append(
                (migration.version, f"roll back tenant migration {migration.label} in {_names(where)}")
            )
        return [line for _, line in sorted(lines, key=lambda entry: entry[0], reverse=True)]


@dataclass(frozen=True)
class RolledBack:
    """What a `rollback --untracked` undid in one repo."""

    repo: str
    public: tuple[int, ...] = ()
    tenants: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


def _names(tenants: Sequence[str]) -> str:
    shown = ", ".join(tenants[:SHOWN_TENANTS])
    more = f" and {len(tenants) - SHOWN_TENANTS} more" if len(tenants) > SHOWN_TENANTS else ""
    return f"tenant{'s' if len(tenants) != 1 else ''} {shown}{more}"


def _labels(files: Sequence[MigrationFile]) -> dict[int, str]:
    return {m.version: m.label for m in files}


def _later(applied: Collection[int], chosen: Collection[int], untracked: Collection[int]) -> list[int]:
    """Applied versions that are not untracked and are newer than the oldest chosen one."""
    oldest = min(chosen, default=None)
    if oldest is None:
        return []
    return sorted(v for v in applied if v not in untracked and v > oldest)


def _blocker(labels: Mapping[int, str], version: int, chosen: Collection[int], where: str) -> str:
    older = max(v for v in chosen if v < version)
    name = labels.get(version, f"{version} (no file)")
    return f"{where}{name} is applied and newer than untracked {labels[older]}, but is not untracked itself"


def plan_untracked_rollback(
    db: RepoDatabase, files: UntrackedFiles, scope: Scope = "all"
) -> UntrackedRollback:
    """Read the applied versions (only when untracked migration files exist) and choose what to undo."""
    public: list[MigrationFile] = []
    tenant: list[MigrationFile] = []
    per_tenant: dict[str, tuple[int, ...]] = {}
    blockers: list[str] = []
    if files.migrations and scope != "tenants":
        public, found = _plan_public(db, files)
        blockers += found
    if files.tenant_migrations and scope != "public":
        tenant, per_tenant, found = _plan_tenants(db, files)
        blockers += found
    return UntrackedRollback(db.repo.name, tuple(public), tuple(tenant), per_tenant, tuple(blockers))


def _plan_public(db: RepoDatabase, files: UntrackedFiles) -> tuple[list[MigrationFile], list[str]]:
    migrations = list_migrations(db.repo.migrations_path)
    paths = set(files.migrations)
    untracked = {m.version for m in migrations if m.path in paths}
    applied = Migrator(db.connect, migrations).applied_versions()
    chosen = applied & untracked
    labels = _labels(migrations)
    blockers = [_blocker(labels, v, chosen, "") for v in _later(applied, chosen, untracked)]
    return [m for m in reversed(migrations) if m.version in chosen], blockers


def _plan_tenants(
    db: RepoDatabase, files: UntrackedFiles
) -> tuple[list[MigrationFile], dict[str, tuple[int, ...]], list[str]]:
    migrations = list_migrations(db.repo.tenant_migrations_path)
    paths = set(files.tenant_migrations)
    untracked = {m.version for m in migrations if m.path in paths}
    tenants = db.tenants()
    if not tenants:
        return [], {}, []
    with open_connection(db.connect) as conn:
        applied_by_tenant = read_tenant_versions(conn, tenants)
    labels = _labels(migrations)
    per_tenant: dict[str, tuple[int, ...]] = {}
    blocked: dict[str, list[str]] = defaultdict(list)
    for name in tenants:
        applied = applied_by_tenant.get(name) or set()
        chosen = applied & untracked
        if chosen:
            per_tenant[name] = tuple(sorted(chosen, reverse=True))
        for version in _later(applied, chosen, untracked):
            blocked[_blocker(labels, version, chosen, "tenant migration ")].append(name)
    chosen_all = set().union(*per_tenant.values()) if per_tenant else set()
    blockers = [f"{text} in {_names(names)}" for text, names in blocked.items()]
    return [m for m in reversed(migrations) if m.version in chosen_all], per_tenant, blockers


def refuse_out_of_order(plans: Sequence[UntrackedRollback], command: str) -> None:
    """RegenRefused (exit 2) listing every tracked migration applied after an untracked one."""
    blockers = [f"repo '{p.repo}': {text}" for p in plans for text in p.blockers]
    if blockers:
        raise RegenRefused(
            f"{command} would roll back untracked migrations out of order:\n  "
            + "\n  ".join(blockers)
            + "\n  roll back the newer migrations first, or pass --force to undo only the untracked ones"
        )


def tenant_failure(report: TenantRunReport) -> str:
    lines = [f.text() for f in report.failures]
    if report.not_run:
        lines.append(f"not run: {_names(list(report.not_run))}")
    return "\n  ".join(lines)


def execute_untracked_rollback(
    db: RepoDatabase, plan: UntrackedRollback, progress: Progress | None = None
) -> RolledBack:
    """Public and tenant migrations in the exact reverse of the order they were generated in (and
    applied in: engine/db/ordered.py), consecutive tenant ones in one run over the tenants that have them.

    On a failure raises RegenError naming what was rolled back and what is still applied.
    """
    steps = ordered.reverse_steps([m.version for m in plan.public], plan.tenants)
    if not steps:
        return RolledBack(plan.repo)
    try:
        done = ordered.run_steps(db.repo, db.url(), steps, dbactions.tagged(progress, plan.repo))
    except ordered.StepFailed as exc:
        partial = RolledBack(plan.repo, tuple(exc.done.public), dict(exc.done.tenants))
        raise RegenError(_failure_text(plan, partial, exc.cause)) from exc
    return RolledBack(plan.repo, tuple(done.public), dict(done.tenants))


def _failure_text(plan: UntrackedRollback, done: RolledBack, cause: str) -> str:
    labels = {m.version: m.label for m in (*plan.public, *plan.tenant)}
    lines = [f"rolling back the untracked migrations of repo '{plan.repo}' failed: {cause}"]
    lines.append(state_text(plan, done, labels))
    return "\n  ".join(lines)


def state_text(plan: UntrackedRollback, done: RolledBack, labels: Mapping[int, str]) -> str:
    """One line on which untracked migrations of a repo were undone and which are still applied."""
    undone = [labels[v] for v in done.public]
    still = [m.label for m in plan.public if m.version not in done.public]
    for name, versions in plan.tenants.items():
        finished = set(done.tenants.get(name, ()))
        undone += [f"{labels[v]} in tenant {name}" for v in versions if v in finished]
        still += [f"{labels[v]} in tenant {name}" for v in versions if v not in finished]
    return (
        f"state of repo '{plan.repo}': rolled back: {', '.join(undone) or 'nothing'}; "
        f"still applied: {', '.join(still) or 'nothing'}"
    )


def rollback_untracked(
    project: WorkflowProject,
    repo: str | None = None,
    *,
    force: bool = False,
    scope: Scope = "all",
    which: TenantFilter = TenantFilter(),
    progress: Progress | None = None,
) -> list[RolledBack]:
    """`rollback --untracked`: in every selected repo undo exactly the applied untracked migrations."""
    dbs, plans = _untracked_plans(project, repo, force, scope, which)
    results: list[RolledBack] = []
    for db, plan in zip(dbs, plans, strict=True):
        try:
            results.append(execute_untracked_rollback(db, plan, progress))
        except RegenError as exc:
            raise RegenError(_with_earlier(exc.message, plans, results)) from exc
    return results


def plan_rollback_untracked(
    project: WorkflowProject,
    repo: str | None = None,
    *,
    force: bool = False,
    scope: Scope = "all",
    which: TenantFilter = TenantFilter(),
) -> list[UntrackedRollback]:
    """What `rollback --untracked` would undo in every selected repo; changes nothing.

    RegenRefused (exit 2) when it would be out of order and `force` is not given.
    """
    return _untracked_plans(project, repo, force, scope, which)[1]


def _untracked_plans(
    project: WorkflowProject,
    repo: str | None,
    force: bool,
    scope: Scope,
    which: TenantFilter,
) -> tuple[list[RepoDatabase], list[UntrackedRollback]]:
    dbs = [RepoDatabase(project, r, which) for r in project.repos(repo)]
    plans = [
        plan_untracked_rollback(db, untracked_files(project, db.repo, "rollback --untracked"), scope)
        for db in dbs
    ]
    if not force:
        refuse_out_of_order(plans, "rollback --untracked")
    return dbs, plans


def _with_earlier(message: str, plans: Sequence[UntrackedRollback], results: Sequence[RolledBack]) -> str:
    """A failure message extended with the repos finished before the one that failed."""
    by_repo = {p.repo: p for p in plans}
    lines = [message]
    for done in results:
        plan = by_repo[done.repo]
        lines.append(state_text(plan, done, {m.version: m.label for m in (*plan.public, *plan.tenant)}))
    return "\n  ".join(lines)
