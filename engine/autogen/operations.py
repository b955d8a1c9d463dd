"""Operations: what one migration does, as data. Never SQL (render.py writes that).

Like Alembic's ops, every destructive operation carries what it destroys (a dropped column keeps its
definition, a dropped table its whole snapshot), so `down` can be rendered without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Literal

from snapshift.engine.resources.model import Check, Column, IndexField, Reference, Statement, Table, TableKey

IndexKind = Literal["identity", "index", "reference"]


@dataclass(frozen=True)
class IndexDef:
    """Any index snapshift manages: identities, custom indexes and FK indexes share one shape."""

    name: str
    fields: tuple[IndexField, ...]
    kind: IndexKind
    unique: bool = False
    using: str | None = None
    where: str | None = None
    include: tuple[str, ...] = ()
    nulls_distinct: bool = True
    concurrently: bool = False

    def content(self) -> tuple[object, ...]:
        """Everything but the name and how it is built: equal content under two names means a rename."""
        return (self.fields, self.unique, self.using, self.where, self.include, self.nulls_distinct)

    @cached_property
    def plain_columns(self) -> tuple[str, ...] | None:
        """The column names when every field is a plain column, else None (asked for several times per
        index by ordering and rendering)."""
        if all(f.is_column for f in self.fields):
            return tuple(f.value for f in self.fields)
        return None


@dataclass(frozen=True)
class Operation:
    """Base of all operations; `table` says where it acts."""

    table: TableKey
    destructive: ClassVar[bool] = False
    commented: ClassVar[bool] = False

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class CreateExtension(Operation):
    """`CREATE EXTENSION IF NOT EXISTS`; its down drops it again."""

    name: str

    def describe(self) -> str:
        return f"create extension {self.name}"


@dataclass(frozen=True)
class CreateSchema(Operation):
    """A named schema that a new table needs."""

    schema: str

    def describe(self) -> str:
        return f"create schema {self.schema}"


@dataclass(frozen=True)
class DropSchema(Operation):
    """Drops a named schema its last table left; never CASCADE, so anything else in it stops the drop."""

    schema: str
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        return f"drop schema {self.schema}"


@dataclass(frozen=True)
class CreateTable(Operation):
    """Columns and primary key; foreign keys are separate ops, folded back in when order allows."""

    definition: Table
    inline_fks: tuple[tuple[str, Reference], ...] = ()

    def describe(self) -> str:
        return f"create table {self.table.display()}"


@dataclass(frozen=True)
class DropTable(Operation):
    """Drop a table; down re-creates it from its last snapshot."""

    definition: Table
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        return f"drop table {self.table.display()}"


@dataclass(frozen=True)
class RenameTable(Operation):
    """`table` is the new key; `old` the key before."""

    old: TableKey

    def describe(self) -> str:
        return f"rename table {self.old.display()} to {self.table.name}"


@dataclass(frozen=True)
class MoveTableSchema(Operation):
    """`table` is the new key (new schema, old name); `old` the key before."""

    old: TableKey

    def describe(self) -> str:
        return f"move table {self.old.display()} to schema {self.table.schema or 'public'}"


@dataclass(frozen=True)
class AddColumn(Operation):
    """A new column, with its type, default, nullability and generation."""

    column: Column

    def describe(self) -> str:
        return f"add column {self.table.display()}.{self.column.name}"


@dataclass(frozen=True)
class DropColumn(Operation):
    """Remove a column (left commented out with --dont-drop-columns)."""

    column: Column
    keep_commented: bool = False
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        what = "drop column (commented out)" if self.keep_commented else "drop column"
        return f"{what} {self.table.display()}.{self.column.name}"


@dataclass(frozen=True)
class AlterColumn(Operation):
    """A column whose type, size, default, nullability or generation changed."""

    old: Column
    new: Column

    def describe(self) -> str:
        return f"alter column {self.table.display()}.{self.new.name}"


@dataclass(frozen=True)
class RenameColumn(Operation):
    """A column renamed in place (an answered rename question): its data stays."""

    old: str
    new: str

    def describe(self) -> str:
        return f"rename column {self.table.display()}.{self.old} to {self.new}"


@dataclass(frozen=True)
class AddPrimaryKey(Operation):
    """The table's primary-key constraint over `columns`."""

    name: str
    columns: tuple[str, ...]

    def describe(self) -> str:
        return f"add primary key {self.table.display()} ({', '.join(self.columns)})"


@dataclass(frozen=True)
class DropPrimaryKey(Operation):
    """Drop the primary-key constraint, after the foreign keys that point at it."""

    name: str
    columns: tuple[str, ...]
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        return f"drop primary key {self.table.display()} ({', '.join(self.columns)})"


@dataclass(frozen=True)
class ForeignKeyDetour(Operation):
    """Tenant tables' foreign keys depend on a public key or unique index this migration rebuilds.

    Public migrations run before tenant ones and cannot name the tenant schemas, so the public
    migration itself finds those constraints in the catalog (by name, on the index `dropped`), keeps
    their definitions in a temporary table and drops them (DetachForeignKeys), then adds them back once
    the columns are unique again (ReattachForeignKeys); `down` does the same around the index `created`.
    """

    dropped: str
    created: str
    columns: tuple[str, ...]
    constraints: tuple[str, ...]


@dataclass(frozen=True)
class DetachForeignKeys(ForeignKeyDetour):
    def describe(self) -> str:
        return f"detach tenant foreign keys from {self.table.display()} ({', '.join(self.columns)})"


@dataclass(frozen=True)
class ReattachForeignKeys(ForeignKeyDetour):
    def describe(self) -> str:
        return f"reattach tenant foreign keys to {self.table.display()} ({', '.join(self.columns)})"


@dataclass(frozen=True)
class CreateIndex(Operation):
    """An identity's unique index, a custom index or a foreign key's index."""

    index: IndexDef

    def describe(self) -> str:
        return f"create index {self.index.name} on {self.table.display()}"


@dataclass(frozen=True)
class DropIndex(Operation):
    """`implied`: the index goes with its dropped table, so `up` says nothing but `down` recreates it.
    `rebuilt`: the same migration creates it again (its stored text must re-bind to a new column type)."""

    index: IndexDef
    implied: bool = False
    rebuilt: bool = False
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        return f"drop index {self.index.name} on {self.table.display()}"


@dataclass(frozen=True)
class RenameIndex(Operation):
    """An index whose derived name changed with a table or column rename."""

    old: str
    new: str

    def describe(self) -> str:
        return f"rename index {self.old} to {self.new}"


@dataclass(frozen=True)
class AddForeignKey(Operation):
    """A foreign-key constraint on `column`, added after what it points at exists."""

    column: str
    reference: Reference

    def describe(self) -> str:
        return f"add foreign key {self.table.display()}.{self.column} -> {self.reference.table}"


@dataclass(frozen=True)
class DropForeignKey(Operation):
    """Drop a foreign key, before the table, key or index it points at goes."""

    column: str
    reference: Reference
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        return f"drop foreign key {self.reference.name} on {self.table.display()}"


@dataclass(frozen=True)
class RenameConstraint(Operation):
    """A constraint whose derived name changed with a rename."""

    old: str
    new: str

    def describe(self) -> str:
        return f"rename constraint {self.old} to {self.new} on {self.table.display()}"


@dataclass(frozen=True)
class AddCheck(Operation):
    """A check constraint."""

    check: Check

    def describe(self) -> str:
        return f"add check {self.check.name} on {self.table.display()}"


@dataclass(frozen=True)
class DropCheck(Operation):
    """`implied` and `rebuilt` as for DropIndex."""

    check: Check
    implied: bool = False
    rebuilt: bool = False
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        return f"drop check {self.check.name} on {self.table.display()}"


@dataclass(frozen=True)
class RenameSequence(Operation):
    """The sequence of a serial or identity column, renamed with its table or column; `column` is the
    column's name after this migration's renames (it may lose its generator, or go, after the rename)."""

    old: str
    new: str
    column: str

    def describe(self) -> str:
        return f"rename sequence {self.old} to {self.new}"


@dataclass(frozen=True)
class RunStatement(Operation):
    """A custom statement's `up` (its `down` undoes it)."""

    statement: Statement

    def describe(self) -> str:
        return f"run statement {self.statement.name} ({self.table.display()})"


@dataclass(frozen=True)
class RemoveStatement(Operation):
    """Runs the old statement's `down`; its own `down` runs the old `up` again."""

    statement: Statement
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        return f"remove statement {self.statement.name} ({self.table.display()})"


def is_destructive(op: Operation) -> bool:
    """Drops and removals lose data or structure; implied drops ride on a table drop already counted,
    and rebuilt ones come back in the same migration."""
    if isinstance(op, DropIndex | DropCheck) and (op.implied or op.rebuilt):
        return False
    if isinstance(op, DropColumn) and op.keep_commented:
        return False
    return op.destructive


def is_commented(op: Operation) -> bool:
    """Steps written commented out, which a person must review."""
    return isinstance(op, DropColumn) and op.keep_commented
