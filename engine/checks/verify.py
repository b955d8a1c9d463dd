"""`snapshift verify`: prove on scratch databases that the migrations build what the snapshots declare.

Every migration, hand-written ones included, is applied one at a time in version order, and the result
must equal a fresh build of the declared state; rolled back newest first, each must return exactly the
catalog the migrations before it produced, and applied again, what its first up gave. Differences come back as
data, each naming its migration.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import psycopg

from snapshift.engine.base.errors import Cancelled, DatabaseError, MigrationError
from snapshift.engine.base.migrations import MigrationFile
from snapshift.engine.checks.catalog_compare import Difference, compare_catalogs
from snapshift.engine.db import database
from snapshift.engine.db.catalog import Catalog, read_catalog
from snapshift.engine.db.runs import migrate_selection, rollback_selection
from snapshift.engine.db.scratch import (
    TENANT_SCHEMA,
    FreshMigrations,
    build_fresh,
    extension_names,
    fresh_build_error,
    prepare,
    run_steps,
    scratch_databases,
    wipe,
)

Phase = Literal["up", "down", "up again", "fresh build"]
LABELS = {TENANT_SCHEMA: "tenants."}
PHRASES: dict[Phase, tuple[str, str, str]] = {
    "up": ("up leaves", "the resources declare", "no resource declares"),
    "down": ("down leaves", "the migrations before it left", "the migrations before it did not have"),
    "up again": ("up again leaves", "its first up left", "its first up did not leave"),
    "fresh build": ("the fresh build leaves", "the snapshots declare", "no snapshot declares"),
}


@dataclass(frozen=True)
class VerifyEvent:
    """Progress: `message` about to happen, `done` of `total` steps finished."""

    message: str
    done: int
    total: int
    repo: str | None = None


VerifyProgress = Callable[[VerifyEvent], None]


@dataclass(frozen=True)
class Step:
    """One migration as verify runs it: where (None: the public schemas) and whether it is a tenant one."""

    migration: MigrationFile
    tenant: bool

    @property
    def label(self) -> str:
        kind = "tenant migration" if self.tenant else "migration"
        return f"{kind} {self.migration.version} ({self.migration.name})"


@dataclass(frozen=True)
class VerifyProblem:
    """A difference found after one migration's up or down, or a migration that failed to run."""

    step: str | None  # "migration V (name)"; None for the fresh build
    phase: Phase
    difference: Difference | None = None
    error: str | None = None

    def text(self) -> str:
        head = f"{self.step}: " if self.step else ""
        if self.difference is None:
            return f"{head}{self.phase} failed: {self.error}"
        return head + self.difference.sentence(*PHRASES[self.phase])

    def to_json(self) -> dict[str, Any]:
        return {
            "migration": self.step,
            "phase": self.phase,
            "difference": self.difference.to_json() if self.difference else None,
            "error": self.error,
            "text": self.text(),
        }


@dataclass(frozen=True)
class VerifyResult:
    repo: str
    migrations: int
    problems: tuple[VerifyProblem, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "migrations": self.migrations,
            "ok": self.ok,
            "problems": [p.to_json() for p in self.problems],
            "notes": list(self.notes),
        }


def ordered_steps(public: Sequence[MigrationFile], tenant: Sequence[MigrationFile]) -> list[Step]:
    """Public and tenant migrations in version order (a generate gives its public one the lower version)."""
    steps = [Step(m, False) for m in public] + [Step(m, True) for m in tenant]
    return sorted(steps, key=lambda step: (step.migration.version, step.tenant))


@dataclass
class _Run:
    """The state of one verification on its scratch database."""

    conn: psycopg.Connection[Any]
    steps: list[Step]
    public: list[MigrationFile]
    tenant: list[MigrationFile]
    report: Callable[[str], None]
    cancel: Callable[[], bool]
    states: list[Catalog] = field(default_factory=list)
    problems: list[VerifyProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def catalog(self) -> Catalog:
        return read_catalog(self.conn)

    def run(self, step: Step, direction: Literal["up", "down"]) -> str | None:
        """Run one step; the error text when it failed."""
        if self.cancel():
            raise Cancelled("verify was cancelled")
        self.report(f"{'applying' if direction == 'up' else 'rolling back'} {step.label}")
        version = step.migration.version
        selection = (
            migrate_selection(to=version) if direction == "up" else rollback_selection(versions=[version])
        )
        migrations = self.tenant if step.tenant else self.public
        try:
            run_steps(self.conn, migrations, TENANT_SCHEMA if step.tenant else None, selection)
        except MigrationError as exc:
            return str(exc)
        return None


def verify_migrations(
    server_url: str,
    public: Sequence[MigrationFile],
    tenant: Sequence[MigrationFile],
    declared: FreshMigrations,
    *,
    repo: str = "",
    check_down: int | None = None,
    progress: VerifyProgress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> VerifyResult:
    """Verify `public` and `tenant` against the `declared` state on a scratch database of the server of
    `server_url` (the fresh build first, then emptied for the migrations; dropped afterwards whatever
    happens); `check_down`: roll back only the newest that many migrations. `cancel` is asked between
    steps (Cancelled)."""
    steps = ordered_steps(public, tenant)
    downs = len(steps) if check_down is None else min(check_down, len(steps))
    total = 2 + len(steps) + 2 * downs
    done = [0]

    def report(message: str) -> None:
        if progress is not None:
            progress(VerifyEvent(message, done[0], total, repo or None))
        done[0] += 1

    try:
        with scratch_databases(server_url, 1) as (url,), database.connect(url, autocommit=True) as conn:
            report("building the declared state fresh")
            template = extension_names(conn)
            fresh, failure = _fresh_catalog(conn, declared)
            if failure is not None:
                return VerifyResult(repo, len(steps), (failure,))
            wipe(conn, fresh, template)
            prepare(conn)
            run = _Run(conn, steps, list(public), list(tenant), report, cancel or (lambda: False))
            _verify(run, fresh, downs)
    except DatabaseError as exc:  # it names the scratch URL: a malformed server URL shares pieces with it
        raise DatabaseError(database.hide_password(exc.message, server_url)) from None
    return VerifyResult(repo, len(steps), tuple(run.problems), tuple(run.notes))


def _fresh_catalog(
    conn: psycopg.Connection[Any], declared: FreshMigrations
) -> tuple[Catalog, VerifyProblem | None]:
    try:
        build_fresh(conn, declared)
    except MigrationError as exc:
        return read_catalog(conn), VerifyProblem(None, "fresh build", error=fresh_build_error(exc))
    return read_catalog(conn), None


def _verify(run: _Run, fresh: Catalog, downs: int) -> None:
    """Apply every step (tenant ones into the scratch tenant schema), reading the catalog after each;
    compare the result with `fresh`; then roll back the newest `downs` and apply them again, each down
    compared with the catalog before that migration's first up, each up again with the one after it."""
    run.states.append(run.catalog())
    for step in run.steps:
        error = run.run(step, "up")
        if error is not None:
            run.problems.append(VerifyProblem(step.label, "up", error=error))
            return
        run.states.append(run.catalog())
    differences = compare_catalogs(run.states[-1], fresh, LABELS)
    kept = _kept_columns(run.steps)
    for difference in [d for d in differences if d.is_kept_column(kept)]:
        differences.remove(difference)
        run.notes.append(
            f"column {difference.table}.{difference.name} is left in place: its drop is commented out "
            f"(generate --dont-drop-columns) in {kept[(difference.table, difference.name)]}"
        )
    changes = _changes(run.states) if differences else []
    for difference in differences:
        run.problems.append(VerifyProblem(_culprit(run.steps, changes, difference), "up", difference))
    if run.problems:
        return
    first = len(run.steps) - downs
    for index in range(len(run.steps) - 1, first - 1, -1):
        step = run.steps[index]
        if step.migration.irreversible is not None:
            run.notes.append(f"{step.label} is irreversible: its down and those before it were not checked")
            first = index + 1
            break
        if not _checked(run, step, "down", index):
            return
    for index in range(first, len(run.steps)):
        if not _checked(run, run.steps[index], "up again", index + 1):
            return


def _kept_columns(steps: Sequence[Step]) -> dict[tuple[str, str], str]:
    """(table as verify shows it, column) -> the migration that left its drop commented out."""
    kept = {}
    for step in steps:
        for table, column in step.migration.kept_columns:
            kept[(f"{LABELS[TENANT_SCHEMA]}{table}" if step.tenant else table, column)] = step.label
    return kept


def _checked(run: _Run, step: Step, phase: Phase, state: int) -> bool:
    """Run `step` (down, or up again) and compare with the catalog recorded as `state`."""
    error = run.run(step, "down" if phase == "down" else "up")
    if error is not None:
        run.problems.append(VerifyProblem(step.label, phase, error=error))
        return False
    found = compare_catalogs(run.catalog(), run.states[state], LABELS)
    run.problems += [VerifyProblem(step.label, phase, difference) for difference in found]
    return not found


def _changes(states: Sequence[Catalog]) -> list[set[tuple[str, str, str]]]:
    """What each migration changed: (kind, table, name) of every object, and ("table", table, "")."""
    changes = []
    for before, after in itertools.pairwise(states):
        found = compare_catalogs(after, before, LABELS)
        changes.append({(d.kind, d.table, d.name) for d in found} | {("table", d.table, "") for d in found})
    return changes


def _culprit(
    steps: Sequence[Step], changes: Sequence[set[tuple[str, str, str]]], difference: Difference
) -> str | None:
    """The migration to blame: the last one that changed the object, else the last one that changed its
    table, else the newest."""
    for key in ((difference.kind, difference.table, difference.name), ("table", difference.table, "")):
        for index in range(len(changes) - 1, -1, -1):
            if key in changes[index]:
                return steps[index].label
    return steps[-1].label if steps else None
