"""Every engine call the app makes, in one place, turned into plain frozen views for the widgets.

The app never touches engine objects directly: the re-plan, the migrations listing and the database
jobs all go through `Session`, so switching the re-plan to the engine's immutable project state later
is a change to this module alone. Nothing here imports Textual; the views are what the widgets draw.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from engine.errors import InputError, SnapshiftError, UnansweredQuestions
from engine.project import Project
from engine.questions import Answers, Question

if TYPE_CHECKING:
    from engine.config import ProjectConfig
    from engine.generate import GenerateOptions, Generation, RepoGeneration
    from engine.model import Table, TableKey
    from engine.operations import Operation
    from engine.regen import RegenEvent, RegenPlan
    from engine.resource_draft import Draft
    from engine.runs import ProgressEvent
    from engine.snapshots import LatestFile
    from engine.status import ProjectStatus

TableState = Literal["unchanged", "changed", "new", "removed", "error"]
MigrationState = Literal["applied", "pending", "out of order", "unknown"]
Progress = Callable[["ProgressEvent | RegenEvent"], None]
REWRITING = ("alter column",)  # operations that may rewrite or lock a whole table


@dataclass(frozen=True)
class Problem:
    """One problem in the project's input: a file, the line when known, and what is wrong."""

    path: Path | None
    line: int | None
    message: str

    def where(self, root: Path) -> str:
        name = _relative(root, self.path) if self.path else "project"
        return f"{name}:{self.line}" if self.line else name


@dataclass(frozen=True)
class OperationRow:
    """One pending operation as a line: `+`, `~` or `-`, what it does, whether it destroys data."""

    table: str
    symbol: str
    text: str
    destructive: bool
    rewrites: bool
    up: tuple[str, ...]
    down: tuple[str, ...]


@dataclass(frozen=True)
class AttributeChange:
    """One attribute, identity, index, check or statement before and after (None: absent)."""

    section: str
    name: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class TableRow:
    """One table of the tree: its repo, state, pending operations and before/after attributes."""

    repo: str
    name: str
    state: TableState
    source: Path | None
    operations: tuple[OperationRow, ...] = ()
    changes: tuple[AttributeChange, ...] = ()
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SqlText:
    """The SQL of every migration generate would write, and the first line of each table's statements."""

    text: str
    anchors: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # table -> first, last line


@dataclass(frozen=True)
class PlanView:
    """What `generate` would do now, for the whole project."""

    tables: tuple[TableRow, ...]
    up: SqlText
    down: SqlText
    questions: tuple[Question, ...]
    files: tuple[str, ...]
    warnings: tuple[str, ...]
    default_name: str
    elapsed: float

    @property
    def operation_count(self) -> int:
        return sum(len(t.operations) for t in self.tables)

    @property
    def has_changes(self) -> bool:
        return bool(self.files or self.questions)


@dataclass(frozen=True)
class PlanProblems:
    """A re-plan that found broken input: the problems, the files they are in, how long it took."""

    problems: tuple[Problem, ...]
    elapsed: float


@dataclass(frozen=True)
class MigrationRow:
    repo: str
    version: int
    name: str
    tenant: bool
    state: MigrationState
    untracked: bool | None


@dataclass(frozen=True)
class MigrationsView:
    """The migrations of every repo and how far the database and tenants are."""

    rows: tuple[MigrationRow, ...]
    tenants: tuple[str, ...]  # one summary line per repo with tenants
    error: str | None  # why the database state is unknown


@dataclass(frozen=True)
class DatabaseInfo:
    """The first repo's database as the header shows it."""

    url: str  # redacted
    embedded: bool
    reachable: bool
    error: str | None = None


@dataclass(frozen=True)
class RegenView:
    """What regen would do, in lines to show, and whether it may start."""

    lines: tuple[str, ...]
    questions: tuple[Question, ...]
    refused: str | None
    nothing_to_do: bool


def _relative(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


class Session:
    """The app's handle on one project: re-plans, listings and database jobs."""

    def __init__(self, directory: Path, repo: str | None = None, now: datetime | None = None) -> None:
        self.directory = directory
        self.repo = repo
        self.now = now  # a fixed clock for migration versions (tests, screenshots); None: the real one
        self.project = Project.open(directory)
        self._config_stamp = self._stamp(self.project.config.config_path)
        self._resources = ResourceCache()
        self._snapshots = SnapshotCache()
        self._planning = threading.Lock()  # one re-plan at a time: they share the caches

    # -- files to watch

    @property
    def root(self) -> Path:
        return self.project.root

    @property
    def config(self) -> ProjectConfig:
        return self.project.config

    def watched_folders(self) -> list[Path]:
        """The folders whose files a plan reads: the resource globs' fixed prefixes and every repo's
        snapshot and migration folders (the config's own folder is watched separately, not deeply)."""
        config = self.project.config
        folders = {config.root / _fixed_prefix(pattern) for pattern in config.resource_globs}
        for repo in config.repos:
            folders |= {repo.snapshots_root, repo.migrations_path, repo.tenant_migrations_path}
        return sorted(folders)

    def resource_count(self) -> int:
        from engine.resources import resource_paths

        return len(resource_paths(self.project.config))

    # -- planning

    def _reopen_if_config_changed(self) -> None:
        stamp = self._stamp(self.project.config.config_path)
        if stamp != self._config_stamp:
            self.project = Project.open(self.directory)
            self._config_stamp = stamp
            self._resources, self._snapshots = ResourceCache(), SnapshotCache()

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int]:
        try:
            info = path.stat()
        except OSError:
            return (0, 0)
        return (info.st_mtime_ns, info.st_size)

    def replan(self, changed: Iterable[Path] | None = None) -> PlanView | PlanProblems:
        """The live view: what generate would write now, or the problems that keep it from planning.
        `changed`: the paths changed since the last call, when known (None: anything may have)."""
        with self._planning:
            return self._replan(changed)

    def _replan(self, changed: Iterable[Path] | None) -> PlanView | PlanProblems:
        started = time.perf_counter()
        try:
            self._reopen_if_config_changed()
            self._snapshots.forget(self.project.config, changed)
            generation = self._live_plan()
        except InputError as exc:
            return PlanProblems(self._problems(exc), time.perf_counter() - started)
        return plan_view(self.project.root, generation, time.perf_counter() - started)

    def _live_plan(self) -> Generation:
        """`Project.plan` for the live view, re-reading only the resource files that changed."""
        from engine.generate import plan_generation

        finished = self.project.finish_interrupted_generate()
        tables = self._resources.tables(self.project.config)
        snapshot_files = self._snapshots.files(self.project.config)
        generation = plan_generation(self.project.config, tables, now=self.now, snapshot_files=snapshot_files)
        generation.finished_interrupted = finished
        return generation

    def _problems(self, error: InputError) -> tuple[Problem, ...]:
        """Every resource file's own problem (each file checked alone), or the one error when the
        files are fine alone but not together (or the config itself is broken)."""
        from engine.resource_file import draft_file
        from engine.resources import resource_paths

        found: list[Problem] = []
        try:
            paths = resource_paths(self.project.config)
        except SnapshiftError:
            paths = []
        for path in paths:
            try:
                draft_file(self.project.config, path)
            except InputError as exc:
                found.append(Problem(exc.location.path or path, exc.location.line, exc.reason))
        if not found:
            found.append(Problem(error.location.path, error.location.line, error.reason))
        return tuple(found)

    def plan_generate(self, answers: Answers, name: str | None) -> Generation:
        """The plan `g` writes: the open questions, or the files."""
        return self.project.plan(answers, self._options(name), now=self.now)

    def write(self, generation: Generation) -> list[str]:
        """Write the planned files; their paths relative to the project."""
        return [_relative(self.root, path) for path in self.project.write(generation)]

    @staticmethod
    def _options(name: str | None) -> GenerateOptions:
        from engine.generate import GenerateOptions

        return GenerateOptions(name=name or None)

    # -- the database

    def database(self) -> DatabaseInfo:
        """The first repo's database (starting the embedded one when no URL is configured) and
        whether it answers."""
        from engine import database

        target = self.project.database_targets(self.project.config.default_repo.name)[0]
        try:
            database.connect(target.url).close()
        except SnapshiftError as exc:
            return DatabaseInfo(target.shown, target.embedded, False, _first_line(exc))
        return DatabaseInfo(target.shown, target.embedded, True)

    def migrations(self) -> MigrationsView:
        """Each repo's migration files with their state in the database and in git."""
        from engine import status as status_module

        try:
            configs = self.project.repos()
            urls = {target.repo: target for target in self.project.database_targets()}
            status = status_module.project_status(self.root, configs, urls, lambda _repo: False)
        except SnapshiftError as exc:
            return self._files_only(_first_line(exc))
        return migrations_view(status)

    def _files_only(self, error: str) -> MigrationsView:
        from engine.migrations import list_migrations

        rows = []
        for repo in self.project.config.repos:
            for tenant, folder in ((False, repo.migrations_path), (True, repo.tenant_migrations_path)):
                try:
                    files = list_migrations(folder)
                except SnapshiftError:
                    files = []
                rows += [MigrationRow(repo.name, m.version, m.name, tenant, "unknown", None) for m in files]
        return MigrationsView(tuple(rows), (), error)

    def migrate(self, progress: Progress) -> str:
        results = self.project.migrate(self.repo, progress=progress)
        count = sum(len(r.versions) for r in results)
        return f"applied {count} migration(s)" if count else "already up to date"

    def migrate_tenants(self, progress: Progress) -> str:
        results = self.project.migrate_tenants(self.repo, progress=progress)
        if not any(r.tenants for r in results):
            return "no tenants (set tenants or tenants_query in the config)"
        changed = sum(len(r.report.changed) for r in results)
        failed = [str(f.error) for r in results for f in r.report.failures]
        summary = f"migrated {changed} tenant(s), {len(failed)} failed"
        if failed:
            raise JobFailed(summary + ": " + _first_line(failed[0]))
        return summary

    def rollback(self, progress: Progress) -> str:
        results = self.project.rollback(self.repo, steps=1, progress=progress)
        labels = [str(v) for r in results for v in r.versions]
        return f"rolled back {', '.join(labels)}" if labels else "nothing to roll back"

    def rollback_untracked(self, progress: Progress) -> str:
        results = self.project.rollback_untracked(self.repo, progress=progress)
        public = sum(len(r.public) for r in results)
        runs = sum(len(v) for r in results for v in r.tenants.values())
        if not public and not runs:
            return "no applied migration is untracked"
        return f"rolled back {public} untracked migration(s) and {runs} tenant run(s)"

    def untracked_rollback_plan(self) -> list[str]:
        """What `u` would roll back, for its confirmation (RegenRefused when it would run out of order)."""
        from engine.untracked import (
            RepoDatabase,
            plan_untracked_rollback,
            refuse_out_of_order,
            untracked_files,
        )

        plans = [
            plan_untracked_rollback(
                RepoDatabase(self.project, config),
                untracked_files(self.project, config, "rollback --untracked"),
            )
            for config in self.project.repos(self.repo)
        ]
        refuse_out_of_order(plans, "rollback --untracked")
        return [line for plan in plans for line in plan.describe()]

    def create(self) -> str:
        changes = self.project.create(self.repo)
        return "; ".join(f"{c.database} {'created' if c.changed else 'already exists'}" for c in changes)

    def drop(self) -> str:
        changes = self.project.drop(self.repo)
        return "; ".join(f"{c.database} {'dropped' if c.changed else 'did not exist'}" for c in changes)

    def database_names(self) -> list[str]:
        return [target.database for target in self.project.database_targets(self.repo)]

    def plan_regen(self, answers: Answers, name: str | None, migrate: bool) -> RegenView:
        plan = self.project.plan_regen(name, self.repo, answers)
        return regen_view(self.root, plan, migrate)

    def regen(self, answers: Answers, name: str | None, migrate: bool, progress: Progress) -> str:
        result = self.project.regen(name, migrate=migrate, answers=answers, repo=self.repo, progress=progress)
        public = sum(len(r.public) for r in result.rolled_back)
        summary = f"rolled back {public} migration(s), deleted {len(result.deleted)} file(s), "
        summary += f"wrote {len(result.generated.written)} file(s)"
        if result.migrated:
            summary += f", applied {sum(len(m.public) for m in result.migrated)} migration(s)"
        return summary


class ResourceCache:
    """Each resource file's first-pass result (engine.resource_file.Draft), kept while the file's stat
    is unchanged, so a save re-reads one file instead of all of them. A file modified within the last
    two seconds before it was read is read again next time (as git treats its index): a second write
    in the same clock tick, of the same size, would otherwise go unseen."""

    RACY_NS = 2_000_000_000

    def __init__(self) -> None:
        self._drafts: dict[Path, tuple[tuple[int, int, int, int], int, Draft]] = {}

    def tables(self, config: ProjectConfig) -> list[Table]:
        from engine.resource_file import draft_file
        from engine.resource_links import resolve_drafts
        from engine.resources import resource_paths

        paths = resource_paths(config)
        drafts: list[Draft] = []
        kept: dict[Path, tuple[tuple[int, int, int, int], int, Draft]] = {}
        for path in paths:
            info = path.stat()
            stamp = (info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino)
            cached = self._drafts.get(path)
            if cached is not None and cached[0] == stamp and cached[1] - info.st_mtime_ns > self.RACY_NS:
                kept[path] = cached
            else:
                read_at = time.time_ns()
                kept[path] = (stamp, read_at, draft_file(config, path))
            drafts.append(kept[path][2])
        self._drafts = kept
        tables = resolve_drafts(drafts)
        return sorted(
            tables, key=lambda t: (t.multitenancy.strategy == "context", t.schema or "public", t.name, t.repo)
        )


class SnapshotCache:
    """Each repo's latest snapshot files as read (canonical content), kept until a path under the
    repo's snapshots folder changes: only generate and regen write there, and the watcher sees them."""

    def __init__(self) -> None:
        self._files: dict[str, list[LatestFile]] = {}

    def forget(self, config: ProjectConfig, changed: Iterable[Path] | None) -> None:
        if changed is None:
            self._files.clear()
            return
        paths = list(changed)
        for repo in config.repos:
            if any(path.is_relative_to(repo.snapshots_path) for path in paths):
                self._files.pop(repo.name, None)

    def files(self, config: ProjectConfig) -> dict[str, list[LatestFile]]:
        from engine.snapshots import read_latest_files

        for repo in config.repos:
            if repo.name not in self._files:
                self._files[repo.name] = read_latest_files(repo.snapshots_path, decode=True)
        return dict(self._files)


class JobFailed(SnapshiftError):
    """A job that ran but did not all succeed (some tenants failed)."""


def _first_line(error: object) -> str:
    return (str(error).splitlines() or [""])[0]


def _fixed_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard (`resources/**/*.toml` -> `resources`)."""
    parts: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if any(char in part for char in "*?["):
            break
        parts.append(part)
    return str(Path(*parts)) if parts else "."


# -- plan -> view


def plan_view(root: Path, generation: Generation, elapsed: float) -> PlanView:
    rows: list[TableRow] = []
    for repo in generation.repos:
        rows += _table_rows(repo, generation.questions)
    up, down = _sql_texts(root, generation)
    migration_files = [f.path.name for f in generation.files if f.kind != "snapshot"]
    default = _default_name(migration_files)
    files = tuple(_relative(root, f.path) for f in generation.files)
    return PlanView(
        tuple(rows),
        up,
        down,
        tuple(generation.questions),
        files,
        tuple(generation.warnings()),
        default,
        elapsed,
    )


def _default_name(migration_files: Sequence[str]) -> str:
    if not migration_files:
        return "migrate_resources"
    stem = migration_files[0].removesuffix(".sql")
    return stem.split("_", 1)[1] if "_" in stem else stem


def _symbol(op: Operation) -> str:
    text = op.describe()
    if text.startswith(("create", "add", "run")):
        return "+"
    if text.startswith(("drop", "remove", "detach")):
        return "-"
    return "~"


def operation_row(op: Operation) -> OperationRow:
    from engine.operations import is_destructive
    from engine.render import render

    up, down = render(op)
    text = op.describe()
    return OperationRow(
        op.table.display(),
        _symbol(op),
        text,
        is_destructive(op),
        text.startswith(REWRITING),
        tuple(up),
        tuple(down),
    )


def _table_rows(repo: RepoGeneration, questions: Sequence[Question]) -> list[TableRow]:
    ops: dict[TableKey, list[Operation]] = {}
    for migration in repo.migrations:
        for op in migration.operations:
            ops.setdefault(op.table, []).append(op)
    stored = repo.state.tables
    renamed_to = set(repo.diff.renamed.values())
    keys = sorted(set(repo.tables) | set(stored) - set(repo.diff.renamed), key=lambda k: k.sort_key())
    asked: dict[str, list[str]] = {}
    for question in questions:
        asked.setdefault(question.table, []).append(question.text())
    rows = []
    for key in keys:
        now, before = repo.tables.get(key), stored[key].table if key in stored else None
        table_ops = ops.get(key, [])
        state: TableState
        if now is None:
            state = "removed"
        elif before is None and key not in renamed_to:
            state = "new"
        elif table_ops or key in repo.diff.changed:
            state = "changed"
        else:
            state = "unchanged"
        changes = table_changes(before, now) if state != "unchanged" else ()
        rows.append(
            TableRow(
                repo.repo.name,
                key.display(),
                state,
                now.source if now else None,
                tuple(operation_row(op) for op in table_ops),
                changes,
                tuple(asked.get(key.display(), ())),
            )
        )
    return rows


def _column_text(table: Table, name: str) -> str | None:
    column = table.column(name)
    if column is None:
        return None
    size = f"({column.size})" if column.size else ""
    if column.precision is not None:
        size = f"({column.precision},{column.scale or 0})"
    parts = [column.type + size]
    if column.primary_key:
        parts.append("pk")
    if not column.allow_nil:
        parts.append("not null")
    if column.default is not None:
        parts.append(f"= {column.default}")
    if column.generated:
        parts.append(column.generated)
    if column.references:
        parts.append(f"-> {column.references.table}")
    return " ".join(parts)


def _named(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return dict(items)


def _sections(table: Table | None) -> dict[str, dict[str, str]]:
    if table is None:
        return {}
    return {
        "identity": _named(
            (i.name, ", ".join(i.keys) + (f" where {i.where}" if i.where else "")) for i in table.identities
        ),
        "index": _named((i.name, ", ".join(f.value for f in i.fields)) for i in table.indexes),
        "check": _named((c.name, c.check) for c in table.checks),
        "statement": _named((s.name, " ".join(s.up.split())[:60]) for s in table.statements),
    }


def table_changes(before: Table | None, after: Table | None) -> tuple[AttributeChange, ...]:
    """The attributes, identities, indexes, checks and statements that differ (all of them for a table
    that is new or removed)."""
    changes: list[AttributeChange] = []
    names = [c.name for c in (before.columns if before else ())]
    names += [c.name for c in (after.columns if after else ()) if c.name not in names]
    for name in names:
        old = _column_text(before, name) if before else None
        new = _column_text(after, name) if after else None
        if old != new:
            changes.append(AttributeChange("column", name, old, new))
    old_sections, new_sections = _sections(before), _sections(after)
    for section in ("identity", "index", "check", "statement"):
        old_items, new_items = old_sections.get(section, {}), new_sections.get(section, {})
        for name in [*old_items, *(n for n in new_items if n not in old_items)]:
            if old_items.get(name) != new_items.get(name):
                changes.append(AttributeChange(section, name, old_items.get(name), new_items.get(name)))
    return tuple(changes)


def _sql_texts(root: Path, generation: Generation) -> tuple[SqlText, SqlText]:
    """Up and down of every migration generate would write, each under its file name, with the line
    where each table's statements begin."""
    ups: list[str] = []
    downs: list[str] = []
    for planned in generation.files:
        if planned.kind not in ("migration", "tenant_migration"):
            continue
        up, _, down = planned.text.partition("\n-- migrate:down\n")
        name = _relative(root, planned.path)
        ups.append(f"-- {name}\n{up.rstrip()}\n")
        downs.append(f"-- {name}\n-- migrate:down\n{down.rstrip()}\n")
    up_text, down_text = "\n".join(ups), "\n".join(downs)
    ops = [op for repo in generation.repos for m in repo.migrations for op in m.operations]
    return SqlText(up_text, _anchors(up_text, ops, 0)), SqlText(down_text, _anchors(down_text, ops, 1))


def _anchors(text: str, ops: Sequence[Operation], side: int) -> dict[str, tuple[int, int]]:
    """Table -> the first and last line of its statements in `text` (side 0 up, 1 down)."""
    from engine.render import render

    anchors: dict[str, tuple[int, int]] = {}
    position = 0
    for op in ops:
        for statement in render(op)[side]:
            first = statement.splitlines()[0] if statement.strip() else ""
            at = text.find(first, position if side == 0 else 0) if first else -1
            if at < 0:
                continue
            start = text.count("\n", 0, at)
            end = start + statement.rstrip().count("\n")
            table = op.table.display()
            known = anchors.get(table)
            anchors[table] = (min(start, known[0]), max(end, known[1])) if known else (start, end)
            if side == 0:
                position = at + len(first)
    return anchors


# -- status -> view


def migrations_view(status: ProjectStatus) -> MigrationsView:
    rows: list[MigrationRow] = []
    tenants: list[str] = []
    for repo in status.repos:
        group = repo.migrations
        versions = group.database
        untracked = set(group.untracked) if group.untracked is not None else None
        for m in group.files:
            state: MigrationState = "unknown"
            if versions is not None and repo.database_exists:
                if m.version in versions.applied:
                    state = "applied"
                elif m.version in versions.out_of_order:
                    state = "out of order"
                else:
                    state = "pending"
            rows.append(
                MigrationRow(
                    repo.repo,
                    m.version,
                    m.name,
                    False,
                    state,
                    None if untracked is None else m.version in untracked,
                )
            )
        tenant_group = repo.tenant_migrations
        tuntracked = set(tenant_group.untracked) if tenant_group.untracked is not None else None
        done_everywhere = {
            m.version
            for m in tenant_group.files
            if tenant_group.tenants and all(m.version in t.versions.applied for t in tenant_group.tenants)
        }
        for m in tenant_group.files:
            tstate: MigrationState = "applied" if m.version in done_everywhere else "pending"
            rows.append(
                MigrationRow(
                    repo.repo,
                    m.version,
                    m.name,
                    True,
                    tstate,
                    None if tuntracked is None else m.version in tuntracked,
                )
            )
        if tenant_group.tenants:
            current = sum(1 for t in tenant_group.tenants if t.versions.up_to_date)
            tenants.append(f"{repo.repo} tenants: {current}/{len(tenant_group.tenants)} up to date")
        elif tenant_group.tenants_error:
            tenants.append(f"{repo.repo} tenants: {tenant_group.tenants_error}")
    return MigrationsView(tuple(rows), tuple(tenants), None)


def regen_view(root: Path, plan: RegenPlan, migrate: bool) -> RegenView:
    lines: list[str] = []
    for repo in plan.repos:
        steps = repo.rollback.describe()
        lines += steps or [f"{repo.repo}: no applied migration is untracked"]
        files = repo.files.all
        lines.append(f"delete {len(files)} untracked file(s)")
        lines += [f"  {_relative(root, path)}" for path in files]
    generation = plan.generation
    if generation.questions:
        lines.append(f"then {len(generation.questions)} question(s) to answer")
    elif generation.has_changes:
        written = [f for f in generation.files if f.kind != "snapshot"]
        names = ", ".join(f.path.stem.split("_", 1)[-1] for f in written)
        snapshots = len(generation.files) - len(written)
        lines.append(f"write {len(written)} migration(s) ({names}) and {snapshots} snapshot(s)")
    else:
        lines.append("write nothing (no changes)")
    refused: str | None = None
    try:
        plan.check()
    except UnansweredQuestions:
        pass
    except SnapshiftError as exc:
        refused = str(exc)
    nothing = not plan.files_to_delete and not generation.has_changes
    return RegenView(tuple(lines), tuple(generation.questions), refused, nothing)


def progress_line(event: ProgressEvent | RegenEvent) -> tuple[str | None, int, int]:
    """A job's event as (a line for the log or None, done, total)."""
    from engine.regen import RegenEvent

    if isinstance(event, RegenEvent):
        return (f"{event.repo + ': ' if event.repo else ''}{event.message}", 0, 0)
    label = f"{event.version}_{event.name}" if event.version is not None else ""
    took = f" ({event.elapsed:.2f}s)" if event.elapsed is not None else ""
    where = f"[{event.tenant}] " if event.tenant else ""
    text: str | None = None
    if event.kind in ("applied", "rolled_back") and event.tenant is None:
        text = f"{event.kind.replace('_', ' ')} {label}{took}"
    elif event.kind == "tenant_done":
        text = f"{where}done{took}"
    elif event.kind in ("failed", "waiting"):
        text = f"{where}{_first_line(event.message)}"
    return text, event.done, event.total
