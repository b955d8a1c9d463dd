"""The generate pipeline for one project: resources + snapshots -> planned files, then written atomically.

`plan_generation` is pure: it plans from tables and the repos' files read beforehand (`repofiles`),
so `--check`, `--dry-run`, the app's live view and a real run all go through the same path; only
`write_generation` touches the disk.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from snapshift.engine.autogen import journal
from snapshift.engine.autogen.confine import Confinement, repo_folders
from snapshift.engine.autogen.diff_result import DiffOptions, DiffResult
from snapshift.engine.autogen.questions import Answers, Question
from snapshift.engine.autogen.repofiles import RepoFiles, read_repo_files
from snapshift.engine.autogen.snapshots import (
    EXTENSIONS_FILE,
    KnownSnapshots,
    SnapshotState,
    column_json,
    extensions_json,
    load_state,
    remove_table_snapshots,
    table_folder,
    table_to_json,
)
from snapshift.engine.base.atomic import interrupts_deferred, stage_group
from snapshift.engine.base.errors import (
    InputError,
    InterruptedAfterWriting,
    Location,
    ResourceError,
    UnansweredQuestions,
    WriteError,
)
from snapshift.engine.base.identity_memo import IdentityMemo
from snapshift.engine.base.lazy import lazy_module
from snapshift.engine.base.pathnames import clash_form
from snapshift.engine.resources.config import ProjectConfig, RepoConfig
from snapshift.engine.resources.extension_check import check_extensions
from snapshift.engine.resources.model import Table, TableKey

if TYPE_CHECKING:
    from snapshift.engine.autogen import diff as differ
    from snapshift.engine.autogen import operations
    from snapshift.engine.autogen.plan import MigrationPlan
else:  # a plan that finds nothing changed never needs them (a clean `--check` on a large project)
    differ = lazy_module("snapshift.engine.autogen.diff")
    operations = lazy_module("snapshift.engine.autogen.operations")

EXTENSIONS_KEY = TableKey(None, "", False)
FileKind = Literal["migration", "tenant_migration", "snapshot", "extensions"]
VERSION_FORMAT = "%Y%m%d%H%M%S"
AUTO_NAME = re.compile(r"^\d{14}_migrate_resources(\d+)(?:_\d+)?\.sql$")


@dataclass(frozen=True)
class GenerateOptions:
    """The flags of `generate` that shape its output."""

    name: str | None = None
    snapshots_only: bool = False
    dont_drop_columns: bool = False
    concurrent_indexes: bool = False


@dataclass(frozen=True)
class PlannedFile:
    """One file a generate run would write."""

    path: Path
    text: str
    kind: FileKind


@dataclass
class RepoGeneration:
    """What generate would do for one repo."""

    repo: RepoConfig
    diff: DiffResult
    migrations: list[MigrationPlan]
    tables: dict[TableKey, Table]
    state: SnapshotState
    new_extensions: tuple[str, ...]
    files: RepoFiles
    snapshot_json: dict[TableKey, str] = field(default_factory=dict)  # new snapshots' text, by table

    @property
    def has_changes(self) -> bool:
        return bool(
            self.migrations or self.diff.changed or self.diff.kept or self.diff.dropped or self.diff.renamed
        )


@dataclass
class Generation:
    """What generate would do for the whole project: files to write, folders to remove, open questions."""

    repos: list[RepoGeneration]
    files: list[PlannedFile] = field(default_factory=list)
    removed_folders: list[Path] = field(default_factory=list)
    unused_renames: list[str] = field(default_factory=list)  # table rename answers no table took
    unused_answers: list[tuple[str, str]] = field(default_factory=list)  # (kind, answer): the others

    @property
    def questions(self) -> list[Question]:
        return [q for r in self.repos for q in r.diff.questions]

    @property
    def has_changes(self) -> bool:
        return any(r.has_changes for r in self.repos) or bool(self.questions)


def plan_repo(
    repo: RepoConfig,
    tables: Sequence[Table],
    answers: Answers,
    options: GenerateOptions,
    files: RepoFiles,
    known: KnownSnapshots | None = None,
) -> RepoGeneration:
    """What generate would do for one repo; `known`: snapshots decoded by an earlier plan (engine.state)."""
    current = {t.key: t for t in tables}
    state = load_state(repo.snapshots_path, current, files.snapshots, files.extensions, known)
    new_ext = tuple(e for e in repo.extensions if e not in state.extensions)
    if not new_ext and state.holds_exactly(tables):  # the diff would find nothing: skip it
        return RepoGeneration(repo, DiffResult(), [], current, state, new_ext, files)
    check_extensions(repo, tables, state.extensions)  # a missing extension fails here, not at migrate
    result = differ.diff(
        state.before(),
        tables,
        answers,
        DiffOptions(options.dont_drop_columns, options.concurrent_indexes),
        state.opted_out(),
    )
    ops = [operations.CreateExtension(EXTENSIONS_KEY, e) for e in new_ext] + result.operations
    snapshots = [(key, current[key], False) for key in result.changed]
    snapshots += [(key, state.tables[key].table, True) for key in result.kept]
    migrations: list[MigrationPlan] = []
    if ops and not options.snapshots_only:
        from snapshift.engine.autogen.plan import (
            plan_migrations,  # ordering and SQL: not needed when nothing changed
        )

        migrations = plan_migrations(ops)
    snapshot_json = {
        key: text for (key, _, _), text in zip(snapshots, _snapshot_texts(snapshots), strict=True)
    }
    return RepoGeneration(repo, result, migrations, current, state, new_ext, files, snapshot_json)


def _snapshot_texts(entries: Sequence[tuple[TableKey, Table, bool]]) -> list[str]:
    """The snapshot JSON of each (key, table, opted out) entry, in order."""
    encode = IdentityMemo(column_json)  # the tables share Columns: each is encoded once
    return [table_to_json(table, opted_out, encode) for _, table, opted_out in entries]


def next_auto_number(names: Sequence[str]) -> int:
    """The k of the next `migrate_resources<k>` among a folder's migration file names."""
    numbers = [int(m.group(1)) for name in names if (m := AUTO_NAME.match(name))]
    return max(numbers, default=0) + 1


def _latest_version(repos: Sequence[RepoGeneration]) -> tuple[int, Path | None]:
    """The newest version among migration files and snapshot names, and the file that has it."""
    from snapshift.engine.base.migrations import FILENAME_RE

    newest: tuple[int, Path | None] = (0, None)
    for r in repos:
        listed = (
            (r.repo.migrations_path, r.files.migrations),
            (r.repo.tenant_migrations_path, r.files.tenant_migrations),
        )
        for folder, names in listed:
            for name in names:
                if (match := FILENAME_RE.match(name)) and int(match.group(1)) > newest[0]:
                    newest = (int(match.group(1)), folder / name)
        for stored in r.state.tables.values():
            stamp = stored.path.name.removesuffix(".json")
            if stamp.isdigit() and int(stamp) > newest[0]:
                newest = (int(stamp), stored.path)
    return newest


class Clock:
    """Distinct, increasing UTC timestamps (YYYYMMDDHHMMSS) for one run, after every existing version."""

    def __init__(self, now: datetime, after: int, source: Path | None = None) -> None:
        self.current = now
        if after and after >= int(now.strftime(VERSION_FORMAT)):
            try:
                floor = datetime.strptime(str(after), VERSION_FORMAT).replace(tzinfo=UTC)
                self.current = floor + timedelta(seconds=1)
            except (ValueError, OverflowError):
                where = Location(source) if source else None
                raise InputError(
                    f"version {after} is not a UTC timestamp (YYYYMMDDHHMMSS) and is newer than now; "
                    "new versions must come after it, so give that file a timestamp version",
                    where,
                ) from None
        self.current -= timedelta(seconds=1)

    def tick(self) -> str:
        self.current += timedelta(seconds=1)
        return self.current.strftime(VERSION_FORMAT)


def _migration_files(r: RepoGeneration, name: str | None, clock: Clock) -> list[PlannedFile]:
    from snapshift.engine.base.migrations import migration_filename, render_migration_file

    files = []
    numbers = {
        False: next_auto_number(r.files.migrations),
        True: next_auto_number(r.files.tenant_migrations),
    }
    seen = {False: 0, True: 0}
    tenant_versions: list[int] = []  # of this run so far: what a public migration that waits names
    for m in r.migrations:
        base = name or f"migrate_resources{numbers[m.tenant]}"
        part_name = base if seen[m.tenant] == 0 else f"{base}_{seen[m.tenant]}"
        seen[m.tenant] += 1
        folder = r.repo.tenant_migrations_path if m.tenant else r.repo.migrations_path
        version = int(clock.tick())
        text = render_migration_file(
            m.up,
            m.down,
            no_transaction=m.no_transaction,
            header=m.header(),
            after_tenants=tenant_versions if m.after_tenants else (),
        )
        if m.tenant:
            tenant_versions.append(version)
        kind: FileKind = "tenant_migration" if m.tenant else "migration"
        files.append(PlannedFile(folder / migration_filename(version, part_name), text, kind))
    return files


def _folder(r: RepoGeneration, key: TableKey) -> Path:
    """Where `key`'s snapshots go: the folder its stored snapshots are in (one an older snapshift named
    differently stays in use), else the folder `engine.base.pathnames` names for it."""
    stored = r.state.tables.get(key)
    return stored.path.parent if stored is not None else table_folder(r.repo.snapshots_path, key)


def _snapshot_files(
    r: RepoGeneration, stamp: str, folders: Mapping[TableKey, Path]
) -> tuple[list[PlannedFile], list[Path]]:
    """The snapshot files to write and the table folders to remove; `folders` from `check_folders`."""
    root = r.repo.snapshots_path
    files = [
        PlannedFile(folders[key] / f"{stamp}.json", r.snapshot_json[key], "snapshot")
        for key in sorted(r.diff.changed, key=TableKey.sort_key)
    ]
    for key in sorted(r.diff.kept, key=TableKey.sort_key):
        files.append(PlannedFile(r.state.tables[key].path, r.snapshot_json[key], "snapshot"))
    if r.new_extensions or set(r.state.extensions) != set(r.repo.extensions):
        merged = list(r.repo.extensions)
        files.append(PlannedFile(root / EXTENSIONS_FILE, extensions_json(merged), "extensions"))
    removed = [folders[k] for k in sorted(r.diff.dropped | set(r.diff.renamed), key=TableKey.sort_key)]
    return files, removed


def check_folders(r: RepoGeneration) -> dict[TableKey, Path]:
    """Two tables never share a snapshot folder, not even on a case-insensitive file system (macOS,
    Windows): the second one's snapshots would overwrite the first's. ResourceError naming both files.
    Two tables whose folders both exist already are left alone: this file system keeps them apart.
    Returns each table's folder (`_folder`)."""
    seen: dict[str, TableKey] = {}
    keys = sorted(set(r.tables) | set(r.state.tables), key=TableKey.sort_key)
    folders = {key: _folder(r, key) for key in keys}
    for key, folder in folders.items():
        other = seen.setdefault(clash_form(str(folder)), key)
        if other != key and not (key in r.state.tables and other in r.state.tables):
            raise ResourceError(
                f"{_described(other)} ({_source(r, other)}) and {_described(key)} would share the snapshot "
                f"folder {folder} (file systems that ignore case, as on macOS and Windows, see one folder "
                "for names that differ only in case): rename one of them",
                Location(_source(r, key)),
            )
    return folders


def _described(key: TableKey) -> str:
    if key.tenant:
        return f"tenant table '{key.name}'"
    return f"table '{key.name}'" + (f" in schema '{key.schema}'" if key.schema else "")


def _source(r: RepoGeneration, key: TableKey) -> Path | None:
    table = r.tables.get(key)
    if table is not None and table.source is not None:
        return table.source
    stored = r.state.tables.get(key)
    return stored.path if stored is not None else None


def check_confined(generation: Generation) -> None:
    """Every file generate would write, and every folder it would empty, lies inside its repo's
    migrations and snapshot folders, resolved (a symlinked table folder pointing elsewhere is refused)."""
    confinement = Confinement(repo_folders(r.repo for r in generation.repos))
    for planned in generation.files:
        if not confinement.contains(planned.path):
            raise InputError(
                f"refusing to write {planned.path}: it resolves to {os.path.realpath(planned.path)}, outside "
                "the repo's migrations and snapshot folders",
                Location(planned.path),
            )
    for folder in generation.removed_folders:
        if not confinement.contains(folder) or os.path.islink(folder):
            raise InputError(
                "refusing to remove the snapshots in this folder: it is a symlink or lies outside the "
                "repo's snapshot folders",
                Location(folder),
            )


def _unused_answers(answers: Answers, gens: Sequence[RepoGeneration]) -> list[tuple[str, str]]:
    """The column rename, drop and keep answers that no table took: a typo, or a question that is not
    asked (a rename to a column that is not new leaves its question open)."""
    renamed = {pair for r in gens for pair in r.diff.renamed_columns}
    dropped = {key.display() for r in gens for key in r.diff.dropped}
    kept = {key.display() for r in gens for key in r.diff.kept}
    unused = [
        ("column rename", f"{table}.{old}={new}")
        for table, columns in answers.column_renames.items()
        for old, new in columns.items()
        if new is not None and (table, old) not in renamed
    ]
    unused += [("drop", table) for table in sorted(answers.drop_tables) if table not in dropped]
    unused += [("keep", table) for table in sorted(answers.keep_tables) if table not in kept]
    return unused


def plan_generation(
    config: ProjectConfig,
    tables: Sequence[Table],
    answers: Answers = Answers(),
    options: GenerateOptions = GenerateOptions(),
    now: datetime | None = None,
    repos: Sequence[str] | None = None,
    repo_files: Mapping[str, RepoFiles] | None = None,
    known: Mapping[str, KnownSnapshots] | None = None,
) -> Generation:
    """Everything one generate run would write, for the selected repos (all by default), from the repos'
    files by repo name (read here, for the selected repos, when not given)."""
    selected = [r for r in config.repos if repos is None or r.name in repos]
    files = dict(repo_files) if repo_files is not None else {r.name: read_repo_files(r) for r in selected}
    gens = [
        plan_repo(
            r,
            [t for t in tables if t.repo == r.name],
            answers,
            options,
            files[r.name],
            known.get(r.name) if known is not None else None,
        )
        for r in selected
    ]
    taken = {old.display() for r in gens for old in r.diff.renamed}
    unused = [f"{old}={new}" for old, new in answers.table_renames.items() if old not in taken]
    generation = Generation(gens, unused_renames=unused, unused_answers=_unused_answers(answers, gens))
    changed = [r for r in gens if r.has_changes]
    if not changed:  # nothing to number: versions on disk do not matter (nor can they fail)
        return generation
    clock = Clock(now or datetime.now(UTC), *_latest_version(gens))
    for r in changed:
        folders = check_folders(r)
        generation.files += _migration_files(r, options.name, clock)
        written, removed = _snapshot_files(r, clock.tick(), folders)
        generation.files += written
        generation.removed_folders += removed
    return generation


def require_answers(generation: Generation) -> None:
    if generation.questions:
        raise UnansweredQuestions(
            [f"{q.text()}  [answer with {q.flag_hint()}]" for q in generation.questions]
        )


def write_generation(generation: Generation, root: Path) -> list[Path]:
    """Write every planned file, then remove the snapshot folders of dropped/renamed tables.

    The temp files a generate killed while writing left are removed first. All files are written aside
    first and only then renamed into place, migrations before snapshots:
    a failure while writing (a full disk, a read-only folder, Ctrl-C) changes nothing, and Ctrl-C
    during the renames and removals waits until they are done. That last step is journaled in `root`
    first: if the run is killed outright in the middle, the next command finishes it at start.
    """
    require_answers(generation)
    check_confined(generation)
    # a killed generate's temp files lie in table folders that existed when this plan listed them
    listed = {folder for r in generation.repos for folder, _ in r.state.listing}
    folders = [f.path.parent for f in generation.files if f.kind == "snapshot"]
    touched = [folder for folder in folders if str(folder) in listed] + generation.removed_folders
    journal.sweep_stale(root, [r.repo for r in generation.repos], touched)  # what a killed generate left
    ordered = sorted(generation.files, key=lambda f: f.kind == "snapshot")  # stable: migrations first
    try:
        staged = stage_group([(f.path, f.text) for f in ordered])
    except OSError as exc:
        raise _write_error(exc) from exc
    written = [f.path for f in generation.files]
    try:
        with interrupts_deferred():
            try:
                journal.begin(root, staged.renames, generation.removed_folders)
            except OSError as exc:
                staged.discard()
                raise _write_error(exc) from exc
            try:
                staged.commit()
                for folder in generation.removed_folders:
                    remove_table_snapshots(folder)
            finally:
                journal.end(root)
    except KeyboardInterrupt as interrupt:  # held back until everything was in place
        raise InterruptedAfterWriting(written) from interrupt
    return written


def _write_error(exc: OSError) -> WriteError:
    reason = f"cannot write {exc.filename or 'a file'}: {exc.strerror or exc}"
    return WriteError(f"{reason}; no generated file was written")
