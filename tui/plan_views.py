"""Engine results -> the views of `tui.views`: a generation's tables, operations, before/after and SQL;
the status of the migrations; the regen plan; a job's progress events. Part of the session: the only
other module of the app that touches engine objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from snapshift.engine.autogen.planview import plan_warnings
from snapshift.engine.autogen.questions import Question
from snapshift.engine.base.errors import SnapshiftError, UnansweredQuestions
from snapshift.engine.base.relpath import shown_path
from snapshift.tui.views import (
    AttributeChange,
    MigrationRow,
    MigrationState,
    MigrationsView,
    OperationRow,
    PlanView,
    RegenView,
    SqlText,
    TableRow,
    TableState,
)
from snapshift.tui.wording import warning_text

if TYPE_CHECKING:
    from snapshift.engine.autogen.generate import Generation, RepoGeneration
    from snapshift.engine.autogen.operations import Operation
    from snapshift.engine.checks.verify import VerifyEvent
    from snapshift.engine.db.runs import ProgressEvent
    from snapshift.engine.db.status import ProjectStatus
    from snapshift.engine.resources.model import Table, TableKey
    from snapshift.engine.workflows.regen import RegenEvent, RegenPlan


def _first_line(error: object) -> str:
    return (str(error).splitlines() or [""])[0]


def plan_view(root: Path, generation: Generation, elapsed: float) -> PlanView:
    rows: list[TableRow] = []
    for repo in generation.repos:
        rows += _table_rows(repo, generation.questions)
    up, down = _sql_texts(root, generation)
    migration_files = [f.path.name for f in generation.files if f.kind != "snapshot"]
    default = _default_name(migration_files)
    files = tuple(shown_path(root, f.path) for f in generation.files)
    return PlanView(
        tuple(rows),
        up,
        down,
        tuple(generation.questions),
        files,
        tuple(warning_text(w) for w in plan_warnings(generation)),
        default,
        elapsed,
    )


def _default_name(migration_files: Sequence[str]) -> str:
    if not migration_files:
        return "migrate_resources"
    stem = migration_files[0].removesuffix(".sql")
    return stem.split("_", 1)[1] if "_" in stem else stem


SYMBOLS = {"add": "+", "change": "~", "remove": "-"}


def operation_row(repo: str, op: Operation) -> OperationRow:
    """The engine's planned operation as a line; its flags decide the marks."""
    from snapshift.engine.autogen.planview import planned_operation

    planned = planned_operation(repo, op)
    return OperationRow(
        planned.table or op.table.display(),
        SYMBOLS[planned.change],
        planned.description,
        planned.destructive,
        planned.rewrites,
        planned.up,
        planned.down,
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
        if now is None and not table_ops and key in stored and stored[key].drop_table_opted_out:
            state = "kept"  # its resource is gone and the user chose to keep the table: nothing pending
        elif now is None:
            state = "removed"
        elif before is None and key not in renamed_to:
            state = "new"
        elif table_ops or key in repo.diff.changed:
            state = "changed"
        else:
            state = "unchanged"
        changes = table_changes(before, now) if state not in ("unchanged", "kept") else ()
        rows.append(
            TableRow(
                repo.repo.name,
                key.display(),
                state,
                now.source if now else None,
                tuple(operation_row(repo.repo.name, op) for op in table_ops),
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
        name = shown_path(root, planned.path)
        ups.append(f"-- {name}\n{up.rstrip()}\n")
        downs.append(f"-- {name}\n-- migrate:down\n{down.rstrip()}\n")
    up_text, down_text = "\n".join(ups), "\n".join(downs)
    ops = [op for repo in generation.repos for m in repo.migrations for op in m.operations]
    return SqlText(up_text, _anchors(up_text, ops, 0)), SqlText(down_text, _anchors(down_text, ops, 1))


def _anchors(text: str, ops: Sequence[Operation], side: int) -> dict[str, tuple[int, int]]:
    """Table -> the first and last line of its statements in `text` (side 0 up, 1 down)."""
    from snapshift.engine.autogen.render import render

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
            if repo.database_exists is False and repo.error is None:  # no database yet: nothing applied
                state = "pending"
            elif versions is not None and repo.database_exists:
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
            if repo.error is not None:  # the database could not be asked
                tstate = "unknown"
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
    errors = [_first_line(repo.error) for repo in status.repos if repo.error is not None]
    return MigrationsView(tuple(rows), tuple(tenants), errors[0] if errors else None)


HAND_WRITTEN = "  (not written by generate: lost)"


def regen_view(root: Path, plan: RegenPlan, migrate: bool) -> RegenView:
    lines: list[str] = []
    for repo in plan.repos:
        steps = repo.rollback.describe()
        lines += steps or [f"{repo.repo}: no applied migration is untracked"]
        files = repo.files.all
        lines.append(f"delete {len(files)} untracked file(s)")
        lines += [
            f"  {shown_path(root, path)}{HAND_WRITTEN if path in plan.hand_written else ''}" for path in files
        ]
    generation = plan.generation
    if generation.questions:
        lines.append(f"then {len(generation.questions)} question(s) to answer")
    elif generation.has_changes:
        written = [f for f in generation.files if f.kind != "snapshot"]
        names = ", ".join(
            f.path.stem.split("_", 1)[-1] + (" (tenants)" if f.kind == "tenant_migration" else "")
            for f in written
        )
        snapshots = len(generation.files) - len(written)
        lines.append(f"write {len(written)} migration(s): {names}; and {snapshots} snapshot(s)")
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


def progress_line(event: ProgressEvent | RegenEvent | VerifyEvent | str) -> tuple[str | None, int, int]:
    """A job's event as (a line for the log or None, done, total); drift reports plain lines."""
    from snapshift.engine.checks.verify import VerifyEvent
    from snapshift.engine.workflows.regen import RegenEvent

    if isinstance(event, str):
        return (event, 0, 0)
    if isinstance(event, VerifyEvent):
        return (f"{event.repo + ': ' if event.repo else ''}{event.message}", event.done, event.total)
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
