"""The regen workflow (SPEC 7 `regen`; ASHPOSTGRES 6.5): undo and regenerate what git does not track.

Roll back the applied untracked migrations, move the untracked migration and snapshot files into a
trash folder, put back from git's index the tracked snapshot files the untracked generates changed
(regen_tracked.py), generate again, and only then delete the trash; a failed rollback stops before any
file moves, a failed generate puts every file back byte for byte, and ignored files are never touched.
`plan_regen` shows all of it without changing anything: it plans the new generation over the project's
state filtered as if the untracked files were gone.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from snapshift.engine import state
from snapshift.engine.autogen.generate import (
    AUTO_NAME,
    GenerateOptions,
    Generation,
    require_answers,
)
from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base import gitstate
from snapshift.engine.base.errors import RegenError, RegenRefused, SnapshiftError, TenantsFirstError
from snapshift.engine.base.fileread import read_bytes
from snapshift.engine.base.migrations import FILENAME_RE, list_migrations
from snapshift.engine.db.devdb import SNAPSHIFT_DIR
from snapshift.engine.db.runs import Progress, ProgressEvent
from snapshift.engine.workflows.regen_tracked import tracked_changes
from snapshift.engine.workflows.untracked import (
    RepoDatabase,
    RolledBack,
    UntrackedFiles,
    UntrackedRollback,
    execute_untracked_rollback,
    plan_untracked_rollback,
    refuse_out_of_order,
    state_text,
    tenant_failure,
    untracked_files,
)

if TYPE_CHECKING:
    from snapshift.engine.workflows.workflow_project import GenerateResult, WorkflowProject

RegenStage = Literal["rollback", "trash", "generate", "restore", "delete", "migrate"]


@dataclass(frozen=True)
class RegenEvent:
    """A regen step starting or ending (the migrator's own ProgressEvents carry the database work)."""

    stage: RegenStage
    message: str
    repo: str | None = None


RegenProgress = Callable[[ProgressEvent | RegenEvent], None]


@dataclass(frozen=True)
class RepoRegenPlan:
    """What regen would roll back and delete in one repo."""

    repo: str
    files: UntrackedFiles
    rollback: UntrackedRollback


_GENERATED = re.compile(rb"^-- \d+ operation\(s\):$", re.M)  # the header generate writes


def _generated(path: Path) -> bool:
    try:
        return _GENERATED.search(read_bytes(path)) is not None
    except OSError:
        return True  # gone or unreadable: nothing to warn about that regen could lose


@dataclass(frozen=True)
class RegenPlan:
    """What regen would do: per repo what rolls back and which files go, then what generate would write.

    `generation` is planned over a state without the untracked files (`ProjectState.without`); it is
    for showing only (regen plans again once the files are moved aside).
    """

    repos: tuple[RepoRegenPlan, ...]
    generation: Generation
    changed_tracked: tuple[Path, ...]  # tracked snapshot files edited by hand since git's index: refused
    restored: tuple[Path, ...] = ()  # tracked snapshot files the untracked generates changed: put back
    name: str | None = None  # the regenerated migration's name: given, or the newest untracked one's

    @property
    def files_to_delete(self) -> tuple[Path, ...]:
        return tuple(p for r in self.repos for p in r.files.all)

    @property
    def hand_written(self) -> frozenset[Path]:
        """The migrations among them that generate did not write (no operations header): regen deletes
        them all the same, so their SQL is lost unless committed first."""
        return frozenset(p for p in self.files_to_delete if p.suffix == ".sql" and not _generated(p))

    def check(self, force: bool = False) -> None:
        """RegenRefused (exit 2) when regen must not start; UnansweredQuestions when answers are missing."""
        if self.changed_tracked:
            raise RegenRefused(
                "tracked snapshot files changed since git's index, and not as generate changes them (it "
                "removes a dropped or renamed table's folder), so regenerating would not start from the "
                "committed state:\n  "
                + "\n  ".join(str(p) for p in self.changed_tracked)
                + "\n  restore them (git restore -- <paths>) or commit them, then run regen again"
            )
        if not force:
            refuse_out_of_order([r.rollback for r in self.repos], "regen")
        require_answers(self.generation)


@dataclass(frozen=True)
class Migrated:
    """The versions regen migrated in one repo: public, and per tenant."""

    repo: str
    public: tuple[int, ...] = ()
    tenants: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RegenResult:
    """What a regen run rolled back, deleted, generated and migrated."""

    plan: RegenPlan
    rolled_back: tuple[RolledBack, ...]
    deleted: tuple[Path, ...]
    generated: GenerateResult
    migrated: tuple[Migrated, ...]


def _repo_plans(project: WorkflowProject, dbs: Sequence[RepoDatabase]) -> tuple[RepoRegenPlan, ...]:
    plans = []
    for db in dbs:
        files = untracked_files(project, db.repo, "regen")
        plans.append(RepoRegenPlan(db.repo.name, files, plan_untracked_rollback(db, files)))
    return tuple(plans)


def plan_regen(
    project: WorkflowProject,
    name: str | None = None,
    repo: str | None = None,
    answers: Answers = Answers(),
    options: GenerateOptions = GenerateOptions(),
    now: datetime | None = None,
) -> RegenPlan:
    """Everything regen would do, read from git, the database and the files; changes nothing."""
    return _plan(
        project, [RepoDatabase(project, r) for r in project.repos(repo)], name, answers, options, now
    )


def _plan(
    project: WorkflowProject,
    dbs: Sequence[RepoDatabase],
    name: str | None,
    answers: Answers,
    options: GenerateOptions,
    now: datetime | None,
) -> RegenPlan:
    repos = _repo_plans(project, dbs)
    snapshot_folders = [db.repo.snapshots_path for db in dbs]
    tracked = tracked_changes(project.root, snapshot_folders, "regen")
    excluded = {p for r in repos for p in r.files.all}
    names = [db.repo.name for db in dbs]
    name = name or options.name or kept_name(repos)
    if tracked.refuse:  # RegenPlan.check refuses to start: a plan over hand-edited snapshots means nothing
        return RegenPlan(repos, Generation([]), tracked.refuse, tracked.restore, name)
    generation = _plan_without(project, excluded, tracked.restore, names, answers, _named(options, name), now)
    return RegenPlan(repos, generation, tracked.refuse, tracked.restore, name)


def _named(options: GenerateOptions, name: str | None) -> GenerateOptions:
    return dataclasses.replace(options, name=name or options.name)


def kept_name(repos: Sequence[RepoRegenPlan]) -> str | None:
    """The name of the newest untracked migration (SPEC 7: regen with no NAME keeps it).

    A generate that writes several migrations names them NAME, NAME_1, ...: the part suffix goes. An
    automatic name (`migrate_resources<k>`) is no one's choice: generate numbers the new one afresh.
    """
    found = [
        (int(match.group(1)), match.group(2))
        for r in repos
        for path in (*r.files.migrations, *r.files.tenant_migrations)
        if (match := FILENAME_RE.match(path.name))
    ]
    if not found:
        return None
    newest = max(found)[1]
    base, _, part = newest.rpartition("_")
    if part.isdigit() and base in {name for _, name in found}:
        newest = base
    return None if AUTO_NAME.match(f"{0:014d}_{newest}.sql") else newest


def _plan_without(
    project: WorkflowProject,
    excluded: set[Path],
    restored: Sequence[Path],
    names: Sequence[str],
    answers: Answers,
    options: GenerateOptions,
    now: datetime | None,
) -> Generation:
    """The plan of the selected repos as regen will find them: the project's state without the `excluded`
    files, with git's index version of the `restored` ones. Nothing is copied or written."""
    index = {path: gitstate.index_bytes(project.root, path, "regen") for path in restored}
    filtered = project.read_state().without(excluded, index, names)
    return state.plan(filtered, answers, options, now, names)


class Trash:
    """Untracked files moved aside until generation succeeded; put back byte for byte when it fails.

    Tracked files put back from git's index go through it too: their changed versions are moved aside,
    and a failed generate removes the index's versions (and the folders made for them) again.

    It lives in the project's `.snapshift/` folder (the same file system, so moves are renames) and
    ignores itself, so git never lists it.
    """

    def __init__(self, root: Path) -> None:
        self.base = root / SNAPSHIFT_DIR
        self._created_base = False
        self._folder: Path | None = None
        self.moved: list[tuple[Path, Path]] = []
        self.replaced: list[Path] = []  # tracked files put back from the index (moved: the changed ones)
        self._made: list[Path] = []  # folders made for them

    @property
    def folder(self) -> Path:
        """Made on first use, so a regen with nothing to move leaves no trace."""
        if self._folder is None:
            self._created_base = not self.base.exists()
            self.base.mkdir(exist_ok=True)
            self._folder = Path(tempfile.mkdtemp(prefix="regen-trash-", dir=self.base))
            (self._folder / ".gitignore").write_text("*\n", encoding="utf-8")
        return self._folder

    def move(self, paths: Sequence[Path]) -> None:
        for path in paths:
            target = self.folder / f"{len(self.moved):05d}_{path.name}"
            shutil.move(path, target)
            self.moved.append((path, target))
            self._write_manifest()

    def restore_tracked(self, root: Path, paths: Sequence[Path]) -> None:
        """Put git's index version of each tracked file in place, moving a changed one aside first."""
        changed = [p for p in paths if p.exists()]
        self.move(changed)
        self.replaced = list(paths)
        for path in paths:
            missing = [f for f in path.parents if not f.exists()]
            self._made += [f for f in missing if f not in self._made]
        gitstate.checkout_from_index(root, paths, "regen")

    def _write_manifest(self) -> None:
        pairs = [{"original": str(a), "trashed": str(b)} for a, b in self.moved]
        (self.folder / "manifest.json").write_text(json.dumps(pairs, indent=2), encoding="utf-8")

    def restore(self) -> list[Path]:
        """Every moved file back where it was; the trash is removed only when all of them made it."""
        for path in self.replaced:
            path.unlink(missing_ok=True)
        for folder in sorted(self._made, key=lambda f: len(f.parts), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        self.replaced, self._made = [], []
        restored = []
        for original, trashed in reversed(self.moved):
            original.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(trashed, original)
            restored.append(original)
        self.moved = []
        self._remove()
        return restored

    def discard(self) -> list[Path]:
        """Delete the trashed files for good, and the table folders they leave empty."""
        replaced = set(self.replaced)
        deleted = [original for original, _ in self.moved if original not in replaced]
        self._remove()
        for folder in sorted({p.parent for p in deleted}, reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return deleted

    def _remove(self) -> None:
        if self._folder is None:
            return
        shutil.rmtree(self._folder)
        self._folder = None
        if self._created_base and not any(self.base.iterdir()):
            self.base.rmdir()


def regen(
    project: WorkflowProject,
    name: str | None = None,
    *,
    migrate: bool = False,
    answers: Answers = Answers(),
    options: GenerateOptions = GenerateOptions(),
    repo: str | None = None,
    force: bool = False,
    progress: RegenProgress | None = None,
    now: datetime | None = None,
) -> RegenResult:
    """Roll back the applied untracked migrations, move their files and the untracked snapshots aside,
    generate with `name`, delete what was moved, and with `migrate` apply the result (tenants too)."""
    emit = progress or _ignore
    dbs = [RepoDatabase(project, r) for r in project.repos(repo)]
    plan = _plan(project, dbs, name, answers, options, now)
    plan.check(force)
    rolled_back = _rollback(dbs, plan, progress)
    trash = Trash(project.root)
    emit(RegenEvent("trash", f"moving {len(plan.files_to_delete)} untracked file(s) aside"))
    try:
        trash.move(plan.files_to_delete)
        if plan.restored:
            emit(RegenEvent("trash", f"restoring {len(plan.restored)} tracked file(s) from git's index"))
            trash.restore_tracked(project.root, plan.restored)
        emit(RegenEvent("generate", "generating"))
        generated = project.generate(answers, _named(options, plan.name), repo, now)
    except SnapshiftError as exc:
        emit(RegenEvent("restore", "generate failed; putting the untracked files back"))
        trash.restore()
        raise _generate_failed(exc, plan, rolled_back) from exc
    except BaseException:
        trash.restore()
        raise
    deleted = trash.discard()
    emit(RegenEvent("delete", f"deleted {len(deleted)} untracked file(s)"))
    migrated = tuple(_migrate(db, progress, emit) for db in dbs) if migrate else ()
    return RegenResult(plan, rolled_back, tuple(deleted), generated, migrated)


def _ignore(event: ProgressEvent | RegenEvent) -> None:
    """No progress callback was given."""


def _rollback(
    dbs: Sequence[RepoDatabase], plan: RegenPlan, progress: RegenProgress | None
) -> tuple[RolledBack, ...]:
    results: list[RolledBack] = []
    for db, repo_plan in zip(dbs, plan.repos, strict=True):
        if progress is not None and not repo_plan.rollback.empty:
            progress(RegenEvent("rollback", "rolling back the applied untracked migrations", db.repo.name))
        try:
            results.append(execute_untracked_rollback(db, repo_plan.rollback, progress))
        except RegenError as exc:
            lines = [exc.message, *_states(plan, results), "regen stopped before deleting any file"]
            raise RegenError("\n  ".join(lines)) from exc
    return tuple(results)


def _states(plan: RegenPlan, results: Sequence[RolledBack]) -> list[str]:
    by_repo = {r.repo: r.rollback for r in plan.repos}
    lines = []
    for done in results:
        rollback = by_repo[done.repo]
        labels = {m.version: m.label for m in (*rollback.public, *rollback.tenant)}
        if not rollback.empty:
            lines.append(state_text(rollback, done, labels))
    return lines


def _generate_failed(exc: SnapshiftError, plan: RegenPlan, rolled_back: Sequence[RolledBack]) -> RegenError:
    lines = [f"regen stopped: generate failed: {exc}", "every untracked migration and snapshot file is back"]
    states = _states(plan, rolled_back)
    if states:
        lines += states
        lines.append("run `snapshift migrate` (with --tenants for tenant migrations) to re-apply them")
    return RegenError("\n  ".join(lines), exc.exit_code)


def _migrate(db: RepoDatabase, progress: Progress | None, emit: RegenProgress) -> Migrated:
    """migrate, and migrate tenants when the repo has tenant migrations; where a public migration waits
    for tenant migrations (`after-tenants`), the tenants are migrated first and then the rest."""
    project, name = db.project, db.repo.name
    emit(RegenEvent("migrate", "applying the regenerated migrations", name))
    tenants: dict[str, tuple[int, ...]] = {}
    applied: list[int] = []

    def migrate_tenants() -> bool:
        changed = False
        for run in project.migrate_tenants(name, progress=progress).reraise().values():
            for tenant, versions in run.report.changed.items():
                tenants[tenant] = (*tenants.get(tenant, ()), *versions)
                changed = changed or bool(versions)
            if not run.ok:
                raise RegenError("migrating tenants failed:\n  " + tenant_failure(run.report))
        return changed

    try:
        while True:
            try:
                runs = project.migrate(name, progress=progress).check().values()
                applied += [v for run in runs for v in run.versions]
                break
            except TenantsFirstError as exc:
                applied += exc.applied
                if not migrate_tenants():
                    raise
        if list_migrations(db.repo.tenant_migrations_path):
            migrate_tenants()
    except SnapshiftError as exc:
        raise RegenError(
            f"regen wrote the new files, but migrating repo '{name}' failed: {exc}\n  "
            "fix it and run `snapshift migrate` (with --tenants for tenant migrations)",
            exc.exit_code,
        ) from exc
    return Migrated(name, tuple(applied), tenants)
