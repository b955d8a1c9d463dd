"""A plan as rows the app and scripts can show: each operation with its repo, table, kind, flags and its
own up and down SQL, grouped by table; and the plan's warnings as data (the wording lives in `tui/`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from snapshift.engine.autogen.generate import Generation
from snapshift.engine.autogen.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddPrimaryKey,
    AlterColumn,
    CreateExtension,
    CreateIndex,
    CreateSchema,
    CreateTable,
    Operation,
    RunStatement,
    is_commented,
    is_destructive,
)
from snapshift.engine.autogen.render import render
from snapshift.engine.autogen.type_change import may_lose_data

Change = Literal["add", "change", "remove"]
WarningCode = Literal[
    "destructive",
    "commented",
    "ordering",
    "not_null_on_rows",
    "lossy_type_change",
    "unused_rename",
    "unused_answer",
]

_ADDS = (
    CreateExtension, CreateSchema, CreateTable, AddColumn, AddPrimaryKey, CreateIndex, AddForeignKey,
    AddCheck, RunStatement,
)  # fmt: skip


@dataclass(frozen=True)
class PlannedOperation:
    """One operation of a plan: where it acts, what it does, what it risks, and its SQL."""

    repo: str
    table: str  # as users write it: `posts`, `blog.posts`, `tenants.notes`
    tenant: bool
    change: Change  # shown as + ~ -
    description: str
    destructive: bool  # loses data or structure
    rewrites: bool  # rewrites the whole table (a type change)
    long_lock: bool  # holds a lock that blocks writes while it scans or builds
    commented: bool  # written commented out, for a person to review
    up: tuple[str, ...]
    down: tuple[str, ...]


@dataclass(frozen=True)
class PlanWarning:
    """Something a person should know before migrating; `facts` are the names it is about."""

    code: WarningCode
    facts: tuple[str, ...] = ()


def planned_operations(generation: Generation) -> list[PlannedOperation]:
    """Every operation of the plan, repo by repo, in the order of its migration files."""
    rows = []
    for repo in generation.repos:
        for migration in repo.migrations:
            rows += [planned_operation(repo.repo.name, op) for op in migration.operations]
    return rows


def by_table(rows: Iterable[PlannedOperation]) -> dict[tuple[str, str], list[PlannedOperation]]:
    """Rows grouped by (repo, table), tables in the order they first appear."""
    groups: dict[tuple[str, str], list[PlannedOperation]] = {}
    for row in rows:
        groups.setdefault((row.repo, row.table), []).append(row)
    return groups


def _needs_empty_table(op: Operation) -> bool:
    """A NOT NULL column added with no default (or a column made NOT NULL): fails on a table with rows
    (respectively, with NULLs in it). Prisma and Atlas warn at generate; so do we."""
    if isinstance(op, AddColumn):
        column = op.column
        return not column.allow_nil and column.default is None and column.generated is None
    if isinstance(op, AlterColumn):
        return op.old.allow_nil and not op.new.allow_nil and op.new.generated is None
    return False


def plan_warnings(generation: Generation) -> list[PlanWarning]:
    """The plan's warnings, most important first."""
    ops = [op for r in generation.repos for m in r.migrations for op in m.operations]
    found = []
    destructive = [op.describe() for op in ops if is_destructive(op)]
    if destructive:
        found.append(PlanWarning("destructive", tuple(destructive)))
    commented = [op.describe() for op in ops if is_commented(op)]
    if commented:
        found.append(PlanWarning("commented", tuple(commented)))
    found += [
        PlanWarning("ordering", (note,)) for r in generation.repos for m in r.migrations for note in m.notes
    ]
    not_null = [op.describe() for op in ops if _needs_empty_table(op)]
    if not_null:
        found.append(PlanWarning("not_null_on_rows", tuple(not_null)))
    lossy = [op.describe() for op in ops if isinstance(op, AlterColumn) and may_lose_data(op.old, op.new)]
    if lossy:
        found.append(PlanWarning("lossy_type_change", tuple(lossy)))
    found += [PlanWarning("unused_rename", (answer,)) for answer in generation.unused_renames]
    found += [PlanWarning("unused_answer", pair) for pair in generation.unused_answers]
    return found


def planned_operation(repo: str, op: Operation) -> PlannedOperation:
    """One operation with its flags and SQL (the app's rows and `planned_operations` share it)."""
    up, down = render(op)
    table = "" if isinstance(op, CreateExtension) else op.table.display()
    destructive = is_destructive(op)
    return PlannedOperation(
        repo=repo,
        table=table,
        tenant=op.table.tenant,
        change="remove" if destructive else "add" if isinstance(op, _ADDS) else "change",
        description=op.describe(),
        destructive=destructive,
        rewrites=_rewrites(op),
        long_lock=_long_lock(op),
        commented=is_commented(op),
        up=tuple(up),
        down=tuple(down),
    )


def _rewrites(op: Operation) -> bool:
    """A column whose type changes is rewritten row by row, unless a varchar only grows (or becomes text)."""
    if not isinstance(op, AlterColumn):
        return False
    old, new = op.old, op.new
    if (old.type, old.size, old.precision, old.scale) == (new.type, new.size, new.precision, new.scale):
        return False  # the default, nullability or generation changed
    grows = new.size is None or (old.size is not None and old.size <= new.size)
    return not (old.type == "varchar" and new.type in ("varchar", "text") and grows)


def _long_lock(op: Operation) -> bool:
    """Builds that block writes while they scan the table: an index built without CONCURRENTLY, a new
    primary key, foreign key or check (validated at once), a column made NOT NULL, and table rewrites."""
    if isinstance(op, CreateIndex):
        return not op.index.concurrently
    if isinstance(op, AddPrimaryKey | AddForeignKey | AddCheck):
        return True
    if isinstance(op, AlterColumn):
        return _rewrites(op) or (op.old.allow_nil and not op.new.allow_nil)
    return False
