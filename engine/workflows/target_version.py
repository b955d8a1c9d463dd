"""`--to VERSION` must name a migration (SPEC 7): checked before anything runs, with the nearest ones named.

A version between two migrations would otherwise silently mean "up to the one before" (`migrate`) or
"down to the one after" (`rollback`: `--to 99` rolled back everything). `migrate --to` must name a
migration file and `rollback --to` a file or an applied version (a migration whose file is gone); the
files are read first, so a version that names one never connects to a database.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from snapshift.engine.base.errors import UsageError
from snapshift.engine.base.migrations import list_migrations

if TYPE_CHECKING:
    from snapshift.engine.workflows.workflow_project import WorkflowProject

Direction = Literal["up", "down"]


def check_target(
    project: WorkflowProject, repo: str | None, to: int | None, direction: Direction, tenants: bool
) -> None:
    """UsageError (exit 2) naming the nearest versions when `to` names no migration of the selected repos."""
    if to is None:
        return
    known: dict[int, str] = {}
    for config in project.repos(repo):
        folder = config.tenant_migrations_path if tenants else config.migrations_path
        known.update((m.version, m.label) for m in list_migrations(folder))
    if to in known:
        return
    what = "tenant migration file" if tenants else "migration file"
    if direction == "down":
        applied = _applied(project, repo, tenants)
        if to in applied:
            return
        known.update((v, f"{v} (applied, no file)") for v in applied if v not in known)
        what += " or applied version"
    nearest = _nearest(known, to)
    raise UsageError(f"--to {to} names no {what}; {nearest} (--to is inclusive: give one of them)")


def _nearest(known: Mapping[int, str], to: int) -> str:
    if not known:
        return "there are none"
    versions = sorted(known)
    at = bisect.bisect_left(versions, to)
    around = [versions[i] for i in (at - 1, at) if 0 <= i < len(versions)]
    names = [f"{known[v]} ({'before' if v < to else 'after'})" for v in around]
    return "the nearest: " + ", ".join(names)


def _applied(project: WorkflowProject, repo: str | None, tenants: bool) -> set[int]:
    """Versions applied in the selected repos (in any tenant with `tenants`); this connects."""
    from snapshift.engine.db.migrator import Migrator, open_connection
    from snapshift.engine.db.tenants import read_tenant_versions
    from snapshift.engine.workflows.untracked import RepoDatabase

    found: set[int] = set()
    for config in project.repos(repo):
        db = RepoDatabase(project, config)
        if not tenants:
            found |= Migrator(db.connect, list_migrations(config.migrations_path)).applied_versions()
            continue
        names = db.tenants()
        if names:
            with open_connection(db.connect) as conn:
                for versions in read_tenant_versions(conn, names).values():
                    found |= versions or set()
    return found
