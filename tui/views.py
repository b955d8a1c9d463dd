"""What the app's widgets draw: plain frozen views of a plan, the migrations and the database.

Built by `tui.session` and `tui.plan_views` from engine results; nothing here calls the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from snapshift.engine.autogen.questions import Question
from snapshift.engine.base.relpath import shown_path

TableState = Literal["unchanged", "changed", "new", "removed", "kept", "error"]  # kept: no resource, kept
MigrationState = Literal["applied", "pending", "out of order", "unknown"]


@dataclass(frozen=True)
class Problem:
    """One problem in the project's input: a file, the line when known, and what is wrong."""

    path: Path | None
    line: int | None
    message: str

    def where(self, root: Path) -> str:
        name = shown_path(root, self.path) if self.path else "project"
        return f"{name}:{self.line}" if self.line else name


@dataclass(frozen=True)
class OperationRow:
    """One pending operation as a line: `+`, `~` or `-`, what it does, whether it destroys data."""

    table: str
    symbol: str
    text: str
    destructive: bool
    rewrites: bool  # the whole table is rewritten (a type change), per engine.autogen.planview
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
    planned: bool = True  # False: no plan has been made yet (the app's start, or a broken file since then)

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
    missing: bool = False  # the server answered: the database does not exist (yet)


@dataclass(frozen=True)
class RegenView:
    """What regen would do, in lines to show, and whether it may start."""

    lines: tuple[str, ...]
    questions: tuple[Question, ...]
    refused: str | None
    nothing_to_do: bool
