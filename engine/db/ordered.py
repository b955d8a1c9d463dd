"""Public and tenant migrations in one order (SPEC 7, "Public and tenant migrations").

Tenant tables may reference public ones, so the two folders form one history: versions are the order of
generation across both, and generate numbers a tenant migration before a public one that needs it (a
public index that tenant foreign keys use is dropped after them), marking the public file
`-- migrate:after-tenants V`. `migrate`, `rollback` and `rollback --tenants` keep that order in every
tenant (each function says how), reading the database once before anything changes, and not at all when
no pending public migration is newer than a tenant migration or says `after-tenants`, or no tenant
migration is newer than what is rolled back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from snapshift.engine.base.errors import MigrationError, TenantsFirstError
from snapshift.engine.base.migrations import MigrationFile, list_migrations
from snapshift.engine.db.dbactions import RunResult, connector, run_repo, tenant_names
from snapshift.engine.db.migrator import Migrator, open_connection, refuse_irreversible, sorted_unique
from snapshift.engine.db.runs import Progress, ProgressEvent, Selection
from snapshift.engine.db.tenants import TenantsQueryError, read_tenant_versions, run_tenants
from snapshift.engine.resources.config import RepoConfig

SHOWN = 5


@dataclass(frozen=True)
class Step:
    """One stretch of a rollback: public versions, or tenant versions in the tenants that have them."""

    tenant: bool
    versions: tuple[int, ...]  # newest first
    tenants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Done:
    """What an interleaved rollback undid before it finished or failed."""

    public: list[int] = field(default_factory=list)
    tenants: dict[str, tuple[int, ...]] = field(default_factory=dict)


class StepFailed(Exception):
    """A step of an interleaved rollback failed; `done` says what was undone before it."""

    def __init__(self, cause: str, done: Done) -> None:
        super().__init__(cause)
        self.cause, self.done = cause, done


def reverse_steps(public: Iterable[int], tenants: Mapping[str, Iterable[int]]) -> list[Step]:
    """Every version newest first, consecutive versions of one kind in one step."""
    where: dict[int, list[str]] = {}
    for name, versions in tenants.items():
        for version in versions:
            where.setdefault(version, []).append(name)
    entries = sorted({(v, False) for v in public} | {(v, True) for v in where}, reverse=True)
    steps: list[Step] = []
    for version, tenant in entries:
        if steps and steps[-1].tenant == tenant:
            last = steps[-1]
            names = tuple(dict.fromkeys((*last.tenants, *where.get(version, ()))))
            steps[-1] = Step(tenant, (*last.versions, version), names if tenant else ())
        else:
            steps.append(Step(tenant, (version,), tuple(where[version]) if tenant else ()))
    return steps


def run_steps(
    repo: RepoConfig,
    url: str,
    steps: Sequence[Step],
    progress: Progress | None,
    public_files: Sequence[MigrationFile] | None = None,
    tenant_files: Sequence[MigrationFile] | None = None,
) -> Done:
    """Roll back step by step; StepFailed (with what was undone) at the first failure."""
    connect = connector(url)
    public_files = list_migrations(repo.migrations_path) if public_files is None else public_files
    tenant_files = list_migrations(repo.tenant_migrations_path) if tenant_files is None else tenant_files
    done = Done()

    def record(event: ProgressEvent) -> None:  # public versions as they go: a failure keeps the earlier ones
        if event.kind == "rolled_back" and event.version is not None and event.tenant is None:
            done.public.append(event.version)
        if progress is not None:
            progress(event)

    for step in steps:
        selection = Selection("down", versions=frozenset(step.versions))
        if not step.tenant:
            try:
                Migrator(connect, public_files, progress=record).run(selection)
            except MigrationError as exc:
                raise StepFailed(str(exc), done) from exc
            continue
        report = run_tenants(connect, tenant_files, step.tenants, selection, progress=progress)
        for tenant, versions in report.changed.items():
            done.tenants[tenant] = (*done.tenants.get(tenant, ()), *versions)
        if not report.ok:
            lines = [f.text() for f in report.failures]
            if report.not_run:
                lines.append(f"not run: {_names(report.not_run)}")
            raise StepFailed("\n  ".join(lines), done)
    return done


def _names(tenants: Sequence[str]) -> str:
    more = f" and {len(tenants) - SHOWN} more" if len(tenants) > SHOWN else ""
    return ", ".join(tenants[:SHOWN]) + more


def _tenants(repo: RepoConfig, url: str) -> list[str]:
    """The repo's tenants; none while its tenants_query reads a table that is not created yet."""
    try:
        return tenant_names(repo, url)
    except TenantsQueryError as exc:
        if exc.not_created_yet:
            return []
        raise


def _tenant_versions(repo: RepoConfig, url: str) -> dict[str, set[int]]:
    """Applied versions of every tenant that has any (a new or empty tenant is left out)."""
    tenants = _tenants(repo, url)
    if not tenants:
        return {}
    with open_connection(connector(url)) as conn:
        found = read_tenant_versions(conn, tenants)
    return {tenant: versions for tenant, versions in found.items() if versions}


def migrate_repo(
    repo: RepoConfig,
    url: str,
    selection: Selection,
    progress: Progress | None,
    lock_timeout: float | None = None,
) -> RunResult:
    """`migrate`: the pending migrations up to the first one that runs after tenant migrations some tenant
    has not applied (its `after-tenants` versions and every tenant migration generated before it); that
    one is refused (TenantsFirstError naming `migrate --tenants`), nothing after it runs. A tenant with no
    version at all is new (`migrate --tenants` builds it). So several generates deployed at once, or
    migrated again after `rollback --untracked`, keep their order where a public migration relies on an
    older tenant one."""
    files = list_migrations(repo.migrations_path)
    tenant_files = list_migrations(repo.tenant_migrations_path)
    if not tenant_files:
        return run_repo(repo, url, selection, progress, files, lock_timeout)
    plan = selection.plan(sorted_unique(files), Migrator(connector(url), files).applied_versions())
    oldest_tenant = min(m.version for m in tenant_files)
    if not any(m.after_tenants or m.version > oldest_tenant for m in plan):
        return run_repo(repo, url, selection, progress, files, lock_timeout)
    tenants = _tenant_versions(repo, url)
    problems: list[str] = []
    blocked = next(
        (i for i, m in enumerate(plan) if (problems := _missing_tenants(repo, m, tenants, tenant_files))),
        None,
    )
    if blocked is None:
        return run_repo(repo, url, selection, progress, files, lock_timeout)
    done: tuple[int, ...] = ()
    if blocked:
        done = run_repo(repo, url, replace(selection, steps=blocked), progress, files, lock_timeout).versions
    applied = f"applied {len(done)} migration(s) before it" if done else "nothing was applied"
    raise TenantsFirstError(
        f"migrate stopped before {plan[blocked].label} ({applied}): tenant migrations must run first\n  "
        + "\n  ".join(problems)
        + "\n  run `snapshift migrate --tenants` first, then `snapshift migrate`",
        path=plan[blocked].path,
        applied=done,
    )


def _missing_tenants(
    repo: RepoConfig,
    migration: MigrationFile,
    tenants: Mapping[str, set[int]],
    tenant_files: Sequence[MigrationFile],
) -> list[str]:
    """What keeps `migration` from running: its after-tenants versions, and every tenant migration
    generated before it (the two histories are one), that a tenant (one with any applied version; a new
    one is built later) lacks."""
    labels = {m.version: m.label for m in tenant_files}
    older = [m.version for m in tenant_files if m.version < migration.version]
    problems = []
    for version in sorted({*migration.after_tenants, *older}):
        lacking = sorted(t for t, versions in tenants.items() if version not in versions)
        if lacking:
            plural = len(lacking) > 1
            problems.append(
                f"{migration.label} runs after tenant migration {labels.get(version, version)}, which "
                f"tenant{'s' if plural else ''} {_names(lacking)} {'have' if plural else 'has'} not applied"
            )
    return problems


def rollback_repo(
    repo: RepoConfig,
    url: str,
    selection: Selection,
    progress: Progress | None,
    lock_timeout: float | None = None,
) -> RunResult:
    """`rollback`: the chosen public migrations and, first and interleaved in the exact reverse of
    the generation order, the tenant migrations newer than the oldest of them in every tenant."""
    public_files = sorted_unique(list_migrations(repo.migrations_path))
    tenant_files = list_migrations(repo.tenant_migrations_path)
    connect = connector(url)
    plan = []
    if tenant_files:
        plan = selection.plan(public_files, Migrator(connect, public_files).applied_versions())
    oldest = min((m.version for m in plan), default=None)
    if oldest is None or not any(t.version > oldest for t in tenant_files):
        return run_repo(repo, url, selection, progress, public_files, lock_timeout)
    newer = {
        tenant: tuple(sorted((v for v in versions if v > oldest), reverse=True))
        for tenant, versions in _tenant_versions(repo, url).items()
    }
    newer = {tenant: versions for tenant, versions in newer.items() if versions}
    if not newer:
        return run_repo(repo, url, selection, progress, public_files, lock_timeout)
    _check_tenant_dependents(tenant_files, newer, plan)
    if selection.forget:  # the rows of applied versions without a file go first, as in a plain rollback
        forget = Selection("down", versions=frozenset(), forget=selection.forget)
        Migrator(connect, public_files, progress=progress).run(forget)
    steps = reverse_steps([m.version for m in plan], newer)
    try:
        done = run_steps(repo, url, steps, progress, public_files, tenant_files)
    except StepFailed as exc:
        raise MigrationError(
            f"{exc.cause}\n  rolled back so far: {_done_text(exc.done)}; nothing after the failure ran"
        ) from exc
    return RunResult(repo.name, "down", tuple(done.public), done.tenants)


def _check_tenant_dependents(
    tenant_files: Sequence[MigrationFile], newer: Mapping[str, Collection[int]], plan: Sequence[MigrationFile]
) -> None:
    """Before anything runs: every tenant migration to undo has a file and can be undone."""
    by_version = {m.version: m for m in tenant_files}
    needed = sorted({v for versions in newer.values() for v in versions}, reverse=True)
    missing = [v for v in needed if v not in by_version]
    if missing:
        where = sorted(t for t, versions in newer.items() if set(versions) & set(missing))
        raise MigrationError(
            f"rollback refused, nothing was rolled back: tenant migration(s) {', '.join(map(str, missing))} "
            f"applied after {plan[-1].label} in {_names(where)} have no file, so they cannot be undone first"
        )
    refuse_irreversible(plan, "down", None)
    for version in needed:
        migration = by_version[version]
        if migration.irreversible is not None:
            raise MigrationError(
                f"rollback refused, nothing was rolled back: tenant migration {migration.label} was applied "
                f"after {plan[-1].label} and must be undone first, but it is irreversible: "
                f"{migration.irreversible}",
                path=migration.path,
            )


def _done_text(done: Done) -> str:
    parts = [f"{len(done.public)} public migration(s)"] if done.public else []
    runs = sum(len(v) for v in done.tenants.values())
    if runs:
        parts.append(f"{runs} tenant migration run(s) in {len(done.tenants)} tenant(s)")
    return ", ".join(parts) or "nothing"


def refuse_tenant_rollback(repo: RepoConfig, url: str, selection: Selection, tenants: Sequence[str]) -> None:
    """`rollback --tenants`: refuse, before anything runs, to undo a tenant migration that an applied
    public migration runs after (`after-tenants`): that public one must be rolled back first."""
    waiting = [m for m in list_migrations(repo.migrations_path) if m.after_tenants]
    if not waiting or not tenants:
        return
    applied = Migrator(connector(url), waiting).applied_versions()
    waiting = [m for m in waiting if m.version in applied]
    if not waiting:
        return
    tenant_files = sorted_unique(list_migrations(repo.tenant_migrations_path))
    with open_connection(connector(url)) as conn:
        found = read_tenant_versions(conn, tenants)
    undone: dict[int, list[str]] = {}
    for tenant, versions in found.items():
        for migration in selection.plan(tenant_files, versions or set()):
            undone.setdefault(migration.version, []).append(tenant)
    labels = {m.version: m.label for m in tenant_files}
    problems = [
        f"tenant migration {labels.get(version, version)} (in {_names(undone[version])}) comes before "
        f"public migration {public.label}, which is applied: run `snapshift rollback --to {public.version}` "
        "first"
        for public in sorted(waiting, key=lambda m: m.version, reverse=True)
        for version in public.after_tenants
        if version in undone
    ]
    if problems:
        raise MigrationError("rollback refused, nothing was rolled back:\n  " + "\n  ".join(problems))
