"""What a migration run is made of, apart from the database: which migrations it takes (`Selection`),
what the files and the recorded versions say together (`MigrationState`), and the progress events it
reports. No psycopg here, so the CLI and the app can import these without loading the driver.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from snapshift.engine.base.errors import UsageError
from snapshift.engine.base.migrations import MigrationFile

Direction = Literal["up", "down"]
ProgressKind = Literal["start", "applied", "rolled_back", "failed", "skipped", "waiting", "tenant_done"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a run. `done`/`total` count migrations; in a tenant run they count tenants (on
    start/tenant_done/skipped/failed) and the per-migration applied/rolled_back events carry no counts.
    `elapsed` is the seconds a migration (applied/rolled_back) or a tenant (tenant_done/failed) took;
    `repo` is filled in by the project facade, which runs several repos."""

    kind: ProgressKind
    message: str
    version: int | None = None
    name: str | None = None
    tenant: str | None = None
    done: int = 0
    total: int = 0
    elapsed: float | None = None
    repo: str | None = None


Progress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Selection:
    """Which migrations a run covers: migrate (steps, to) or rollback (steps, to, all, versions)."""

    direction: Direction
    steps: int | None = None
    to: int | None = None
    all: bool = False
    versions: frozenset[int] | None = None
    forget: frozenset[int] = frozenset()  # rollback: applied versions without a file whose rows go

    def plan(self, migrations: Sequence[MigrationFile], applied: Collection[int]) -> list[MigrationFile]:
        """Pending files in version order (up), or applied files newest first (down).

        A rollback that would pass an applied version without a file is refused (UsageError) unless the
        version is in `forget`: skipping it would revert what lies under it and leave it recorded."""
        if self.direction == "down":
            check_forget(self, migrations)
            applied = set(applied) - self.forget
            passed = self.passed_missing(migrations, applied)
            if passed:
                raise UsageError(_missing_message(passed))
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

    def passed_missing(self, migrations: Sequence[MigrationFile], applied: Collection[int]) -> list[int]:
        """Applied versions without a file among or above what this rollback reverts, newest first."""
        if self.direction != "down" or self.versions is not None:
            return []
        files = {migration.version for migration in migrations}
        newest_first = sorted(applied, reverse=True)
        if self.to is not None:
            newest_first = [version for version in newest_first if version >= self.to]
        elif not self.all:
            wanted, window = 1 if self.steps is None else self.steps, []
            for version in newest_first:
                if wanted <= 0:
                    break
                window.append(version)
                wanted -= version in files
            newest_first = window
        return [version for version in newest_first if version not in files]


def _missing_message(versions: Sequence[int]) -> str:
    listed = ", ".join(map(str, versions))
    forget = " ".join(f"--forget {version}" for version in versions)
    return (
        f"the rollback would pass applied version(s) {listed} with no migration file: its down is unknown, "
        "and skipping it would revert what lies under it and leave it recorded; restore the file, or pass "
        f"`{forget}` to delete just its schema_migrations row"
    )


def check_forget(selection: Selection, migrations: Sequence[MigrationFile]) -> None:
    """--forget names only versions that have no file (a version with one is rolled back instead)."""
    files = {migration.version for migration in migrations}
    with_file = sorted(selection.forget & files)
    if with_file:
        raise UsageError(f"--forget {with_file[0]}: that version has a migration file; roll it back instead")


def migrate_selection(steps: int | None = None, to: int | None = None) -> Selection:
    if steps is not None and steps < 0:
        raise UsageError(f"-n must not be negative, got {steps}")
    return Selection("up", steps=steps, to=to)


def rollback_selection(
    steps: int = 1,
    to: int | None = None,
    all: bool = False,
    versions: Collection[int] | None = None,
    forget: Collection[int] = (),
) -> Selection:
    if steps < 0:
        raise UsageError(f"-n must not be negative, got {steps}")
    if sum((to is not None, all, versions is not None)) > 1:
        raise UsageError("choose one of --to, --all and an explicit list of versions")
    chosen = None if versions is None else frozenset(versions)
    return Selection("down", steps=steps, to=to, all=all, versions=chosen, forget=frozenset(forget))


@dataclass(frozen=True)
class MigrationState:
    """What the database and the files say together (for `status`)."""

    applied: frozenset[int]
    pending: tuple[MigrationFile, ...]
    out_of_order: tuple[MigrationFile, ...]
    missing_files: tuple[int, ...]

    @classmethod
    def compare(cls, migrations: Sequence[MigrationFile], applied: Collection[int]) -> MigrationState:
        """Pending files by version, those older than the newest applied one, and versions with no file."""
        pending = [m for m in sorted(migrations, key=lambda m: m.version) if m.version not in applied]
        newest = max(applied, default=None)
        late = [m for m in pending if newest is not None and m.version < newest]
        missing = sorted(set(applied) - {m.version for m in migrations})
        return cls(frozenset(applied), tuple(pending), tuple(late), tuple(missing))


class Emitter:
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
        elapsed: float | None = None,
    ) -> None:
        if self._progress is None:
            return
        version = migration.version if migration else None
        name = migration.name if migration else None
        event = ProgressEvent(kind, message, version, name, tenant, done, total, elapsed)
        with self._lock:
            self._progress(event)
