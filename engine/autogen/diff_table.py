"""Diff of one table against its old self: columns, keys, FKs, indexes, checks, statements, sequences.

The old side already carries this run's table and column renames (see diff.apply_renames), so what
only moved with a rename compares equal, and derived names that changed become renames.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import replace

from snapshift.engine.autogen.diff_result import DiffOptions
from snapshift.engine.autogen.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddPrimaryKey,
    AlterColumn,
    CreateIndex,
    CreateTable,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropTable,
    IndexDef,
    MoveTableSchema,
    Operation,
    RemoveStatement,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameSequence,
    RenameTable,
    RunStatement,
)
from snapshift.engine.resources.model import Column, IndexField, Reference, Table, default_sequence_name


def index_defs(table: Table, concurrent_identities: bool = False) -> list[IndexDef]:
    """Every index of a table in one shape: identities, custom indexes, then FK indexes."""
    defs = [
        IndexDef(
            name=i.index_name,
            fields=tuple(IndexField(k) for k in i.keys),
            kind="identity",
            unique=True,
            where=i.where,
            nulls_distinct=i.nulls_distinct,
            concurrently=concurrent_identities,
        )
        for i in table.identities
    ]
    defs += [
        IndexDef(
            name=i.name,
            fields=i.fields,
            kind="index",
            unique=i.unique,
            using=i.using,
            where=i.where,
            include=i.include,
            nulls_distinct=i.nulls_distinct,
            concurrently=i.concurrently,
        )
        for i in table.indexes
    ]
    for col in table.columns:
        ref = col.references
        if ref is not None and ref.index and ref.index_name:
            tenant = table.multitenancy.attribute if table.multitenancy.strategy == "attribute" else None
            keys = [tenant, col.name] if tenant and tenant != col.name else [col.name]
            defs.append(
                IndexDef(name=ref.index_name, fields=tuple(IndexField(k) for k in keys), kind="reference")
            )
    return defs


def table_create_ops(table: Table, concurrent_identities: bool = False) -> list[Operation]:
    """A new table: the table, then its foreign keys, indexes, checks and statements."""
    key = table.key
    ops: list[Operation] = [CreateTable(key, table)]
    ops += [AddForeignKey(key, c.name, c.references) for c in table.columns if c.references is not None]
    ops += [CreateIndex(key, d) for d in index_defs(table, concurrent_identities)]
    ops += [AddCheck(key, c) for c in table.checks]
    ops += [RunStatement(key, s) for s in table.statements]
    return ops


def table_drop_ops(table: Table) -> list[Operation]:
    """A dropped table keeps its whole definition so `down` can recreate it."""
    key = table.key
    ops: list[Operation] = [RemoveStatement(key, s) for s in reversed(table.statements)]
    ops += [DropForeignKey(key, c.name, c.references) for c in table.columns if c.references is not None]
    ops += [DropIndex(key, replace(d, concurrently=False), implied=True) for d in index_defs(table)]
    ops += [DropCheck(key, c, implied=True) for c in table.checks]
    ops.append(DropTable(key, table))
    return ops


TYPE_FIELDS = ("type", "size", "precision", "scale")
COLUMN_FIELDS = (*TYPE_FIELDS, "allow_nil", "default", "generated")


def column_changed(old: Column, new: Column) -> bool:
    return any(getattr(old, f) != getattr(new, f) for f in COLUMN_FIELDS)


def retyped_columns(old: Table, new: Table) -> frozenset[str]:
    """Columns whose type changes: SQL text stored over them (checks, index predicates and expressions)
    was bound to the old type and must be dropped before and re-created after the change."""
    before = {c.name: c for c in old.columns}
    return frozenset(
        c.name
        for c in new.columns
        if c.name in before and any(getattr(before[c.name], f) != getattr(c, f) for f in TYPE_FIELDS)
    )


def mentions(texts: Collection[str], columns: Collection[str]) -> bool:
    """Whether SQL text names one of the columns; a false positive only costs an index rebuild."""
    return any(
        re.search(rf'(?<![\w"]){re.escape(name)}(?![\w"])', text, re.IGNORECASE)
        or '"' + name.replace('"', '""') + '"' in text  # as a quoted identifier, quotes doubled
        for text in texts
        for name in columns
    )


def index_text(index: IndexDef) -> list[str]:
    """The stored SQL text of an index: expression fields and the predicate (plain columns re-bind)."""
    texts = [f.value for f in index.fields if not f.is_column]
    return texts + ([index.where] if index.where else [])


def same_reference(old: Reference, new: Reference) -> bool:
    """Equal as a constraint: the FK index is diffed with the other indexes, the name by rename."""
    return replace(old, index=False, index_name=None, name="") == replace(
        new, index=False, index_name=None, name=""
    )


class TableDiffer:
    """Diffs one table; `old` already carries this run's renames, `origin` is the old side as stored."""

    def __init__(
        self, origin: Table, old: Table, new: Table, column_renames: Mapping[str, str], options: DiffOptions
    ):
        self.origin, self.old, self.new = origin, old, new
        self.key = new.key
        self.column_renames = column_renames
        self.options = options
        self.ops: list[Operation] = []
        self.retyped = retyped_columns(old, new)

    def run(self) -> list[Operation]:
        old_key = self.origin.key
        if old_key.schema != self.key.schema:
            self.ops.append(MoveTableSchema(replace(old_key, schema=self.key.schema), old_key))
        if old_key.name != self.key.name:
            moved = replace(old_key, schema=self.key.schema)
            self.ops.append(RenameTable(self.key, moved))
        self.ops += [RenameColumn(self.key, a, b) for a, b in self.column_renames.items()]
        self.primary_key()
        self.columns()
        self.references()
        self.indexes()
        self.checks()
        self.statements()
        self.sequences()
        return self.ops

    def primary_key(self) -> None:
        old_pk, new_pk = self.old.primary_key, self.new.primary_key
        if old_pk != new_pk:
            if old_pk:
                self.ops.append(DropPrimaryKey(self.key, self.origin.pkey_name, old_pk))
            if new_pk:
                self.ops.append(AddPrimaryKey(self.key, self.new.pkey_name, new_pk))
        elif old_pk and self.origin.pkey_name != self.new.pkey_name:
            self.ops.append(RenameConstraint(self.key, self.origin.pkey_name, self.new.pkey_name))

    def columns(self) -> None:
        old_cols = {c.name: c for c in self.old.columns}
        new_names = {c.name for c in self.new.columns}
        for col in self.new.columns:
            before = old_cols.get(col.name)
            if before is None:
                self.ops.append(AddColumn(self.key, replace(col, references=None)))
            elif column_changed(before, col):
                self.ops.append(
                    AlterColumn(self.key, replace(before, references=None), replace(col, references=None))
                )
        for col in self.old.columns:
            if col.name not in new_names:
                dropped = replace(col, references=None)
                self.ops.append(DropColumn(self.key, dropped, keep_commented=self.options.dont_drop_columns))

    def references(self) -> None:
        old_refs = {c.name: c.references for c in self.old.columns if c.references is not None}
        new_refs = {c.name: c.references for c in self.new.columns if c.references is not None}
        for name, ref in old_refs.items():
            new = new_refs.get(name)
            if new is None or not same_reference(ref, new):
                self.ops.append(DropForeignKey(self.key, name, ref))
            elif ref.name != new.name:
                self.ops.append(RenameConstraint(self.key, ref.name, new.name))
        for name, ref in new_refs.items():
            old = old_refs.get(name)
            if old is None or not same_reference(old, ref):
                self.ops.append(AddForeignKey(self.key, name, ref))

    def indexes(self) -> None:
        old_defs = index_defs(self.old)
        new_defs = index_defs(self.new, self.options.concurrent_indexes)
        old_by = {(d.name, d.content()) for d in old_defs}
        new_by = {(d.name, d.content()) for d in new_defs}
        gone = [d for d in old_defs if (d.name, d.content()) not in new_by]
        came = [d for d in new_defs if (d.name, d.content()) not in old_by]
        renamed_from: dict[str, IndexDef] = {}
        taken_new = {d.name for d in new_defs}
        for d in gone:
            match = next(
                (
                    n
                    for n in came
                    if n.content() == d.content() and n.name not in renamed_from and d.name not in taken_new
                ),
                None,
            )
            if match is not None:
                renamed_from[match.name] = d
        replaced = {d.name for d in came if d.name not in renamed_from}
        for d in gone:
            if d not in renamed_from.values():  # one made again under its name: a rebuild, no loss
                self.ops.append(
                    DropIndex(self.key, replace(d, concurrently=False), rebuilt=d.name in replaced)
                )
        if self.retyped:
            kept = {d.name: d for d in old_defs if (d.name, d.content()) in new_by}
            for d in new_defs:
                if d.name in kept and mentions(index_text(d), self.retyped):
                    stored = replace(kept[d.name], concurrently=False)
                    self.ops.append(DropIndex(self.key, stored, rebuilt=True))
                    self.ops.append(CreateIndex(self.key, d))
        for d in came:
            if d.name in renamed_from:
                self.ops.append(RenameIndex(self.key, renamed_from[d.name].name, d.name))
            else:
                self.ops.append(CreateIndex(self.key, d))

    def checks(self) -> None:
        old_checks = {c.name: c for c in self.old.checks}
        new_checks = {c.name: c for c in self.new.checks}
        renamed: set[str] = set()
        for name, check in new_checks.items():
            before = old_checks.get(name)
            if before is not None and before.check == check.check:
                if mentions([check.check, *(f'"{a}"' for a in check.attributes)], self.retyped):
                    self.ops.append(DropCheck(self.key, before, rebuilt=True))
                    self.ops.append(AddCheck(self.key, check))
                continue
            twin = next(
                (o for o in old_checks.values() if o.check == check.check and o.name not in new_checks),
                None,
            )
            if before is None and twin is not None and twin.name not in renamed:
                renamed.add(twin.name)
                self.ops.append(RenameConstraint(self.key, twin.name, name))
                continue
            if before is not None:  # replaced under its name: a rebuild, nothing lost
                self.ops.append(DropCheck(self.key, before, rebuilt=True))
            self.ops.append(AddCheck(self.key, check))
        for name, check in old_checks.items():
            if name not in new_checks and name not in renamed:
                self.ops.append(DropCheck(self.key, check))

    def statements(self) -> None:
        """Statements after the first change are undone newest first and rerun in declaration order,
        since a later statement may depend on an earlier one (a trigger on a function)."""
        old, new = self.old.statements, self.new.statements
        same = 0
        while same < min(len(old), len(new)) and old[same] == new[same]:
            same += 1
        self.ops += [RemoveStatement(self.key, s) for s in reversed(old[same:])]
        self.ops += [RunStatement(self.key, s) for s in new[same:]]

    def sequences(self) -> None:
        """A sequence follows its table's or column's rename first, whatever happens to the column next
        (kept, retyped, its generator dropped or swapped, the column dropped): each later statement, and
        each down before the rename back, then names it by the new name, which is also the name a
        generator added back under the new names gets."""
        back = {new: old for old, new in self.column_renames.items()}
        old_cols = {c.name: c for c in self.old.columns}
        new_names = {c.name for c in self.new.columns}
        kept = (old_cols[c.name] for c in self.new.columns if c.name in old_cols)
        dropped = (c for c in self.old.columns if c.name not in new_names)
        for col in (*kept, *dropped):
            if col.generated is None:
                continue
            old_seq = default_sequence_name(self.origin.name, back.get(col.name, col.name))
            new_seq = default_sequence_name(self.new.name, col.name)
            if old_seq != new_seq:
                self.ops.append(RenameSequence(self.key, old_seq, new_seq, col.name))
