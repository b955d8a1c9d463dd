"""diff(before, after, answers) -> operations. Pure: no files, no database, no prompts.

Like Django's autodetector, rename ambiguity is answered as data: `questions()` lists what is open,
a prompt, dialog or flags answer it, and the diff runs again with the answers. Renames are applied to
the "before" side first, so every object that only moved with its table or column diffs as equal,
and objects whose derived names changed are renamed instead of rebuilt.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from engine.model import Column, IndexField, Reference, Table, TableKey, default_sequence_name
from engine.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddPrimaryKey,
    AlterColumn,
    CreateIndex,
    CreateSchema,
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
from engine.questions import Answers, ColumnRenameQuestion, Question, TableQuestion


@dataclass(frozen=True)
class DiffOptions:
    dont_drop_columns: bool = False
    concurrent_indexes: bool = False


@dataclass
class DiffResult:
    """Operations (initial order, unsorted), open questions, and what happened to each old table."""

    operations: list[Operation] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    changed: set[TableKey] = field(default_factory=set)  # new keys whose snapshot must be written
    dropped: set[TableKey] = field(default_factory=set)  # old keys dropped
    renamed: dict[TableKey, TableKey] = field(default_factory=dict)  # old key -> new key
    kept: set[TableKey] = field(default_factory=set)  # orphans the user chose to keep (opted out)


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


COLUMN_FIELDS = ("type", "size", "precision", "scale", "allow_nil", "default", "generated")


def column_changed(old: Column, new: Column) -> bool:
    return any(getattr(old, f) != getattr(new, f) for f in COLUMN_FIELDS)


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
        for d in gone:
            if d not in renamed_from.values():
                self.ops.append(DropIndex(self.key, replace(d, concurrently=False)))
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
                continue
            twin = next(
                (o for o in old_checks.values() if o.check == check.check and o.name not in new_checks),
                None,
            )
            if before is None and twin is not None and twin.name not in renamed:
                renamed.add(twin.name)
                self.ops.append(RenameConstraint(self.key, twin.name, name))
                continue
            if before is not None:
                self.ops.append(DropCheck(self.key, before))
            self.ops.append(AddCheck(self.key, check))
        for name, check in old_checks.items():
            if name not in new_checks and name not in renamed:
                self.ops.append(DropCheck(self.key, check))

    def statements(self) -> None:
        old_st = {s.name: s for s in self.old.statements}
        new_names = {s.name for s in self.new.statements}
        for s in reversed(self.old.statements):
            if s.name not in new_names:
                self.ops.append(RemoveStatement(self.key, s))
        for s in self.new.statements:
            before = old_st.get(s.name)
            if before == s:
                continue
            if before is not None:
                self.ops.append(RemoveStatement(self.key, before))
            self.ops.append(RunStatement(self.key, s))

    def sequences(self) -> None:
        back = {new: old for old, new in self.column_renames.items()}
        old_cols = {c.name: c for c in self.old.columns}
        for col in self.new.columns:
            before = old_cols.get(col.name)
            if col.generated is None or before is None or before.generated != col.generated:
                continue
            old_seq = default_sequence_name(self.origin.name, back.get(col.name, col.name))
            new_seq = default_sequence_name(self.new.name, col.name)
            if old_seq != new_seq:
                self.ops.append(RenameSequence(self.key, old_seq, new_seq))


def rename_reference(
    ref: Reference, tables: Mapping[TableKey, TableKey], columns: Mapping[TableKey, Mapping[str, str]]
) -> Reference:
    """A reference as it reads after this run's table and column renames."""
    old_dest = TableKey(None if ref.tenant_table else ref.schema, ref.table, ref.tenant_table)
    new_dest = tables.get(old_dest, old_dest)
    cols = columns.get(new_dest, {})
    return replace(
        ref,
        table=new_dest.name,
        schema=None if ref.tenant_table else new_dest.schema,
        column=cols.get(ref.column, ref.column),
        match_with=tuple((local, cols.get(remote, remote)) for local, remote in ref.match_with),
    )


def apply_renames(
    table: Table,
    new_key: TableKey,
    tables: Mapping[TableKey, TableKey],
    columns: Mapping[TableKey, Mapping[str, str]],
) -> Table:
    """The old table as it reads after the renames; derived names (indexes, constraints) stay old.

    Only what names columns as plain identifiers is renamed: SQL text (checks, expressions, `where`) keeps
    the old names, so such objects diff as changed and are rebuilt around the rename.
    """
    own = columns.get(new_key, {})

    def col_name(name: str) -> str:
        return own.get(name, name)

    def rename_column(c: Column) -> Column:
        ref = c.references
        local_fixed = None
        if ref is not None:
            ref = rename_reference(ref, tables, columns)
            pairs = tuple((col_name(local), remote) for local, remote in ref.match_with)
            local_fixed = replace(ref, match_with=pairs)
        return replace(c, name=col_name(c.name), references=local_fixed)

    return replace(
        table,
        name=new_key.name,
        schema=new_key.schema,
        columns=tuple(rename_column(c) for c in table.columns),
        identities=tuple(
            replace(i, keys=tuple(map(col_name, i.keys))) if i.where is None else i for i in table.identities
        ),
        indexes=tuple(
            replace(
                i,
                fields=tuple(replace(f, value=col_name(f.value)) for f in i.fields),
                include=tuple(map(col_name, i.include)),
            )
            if i.where is None and all(f.is_column for f in i.fields)
            else i
            for i in table.indexes
        ),
    )


def _column_renames(old: Table, new: Table, answers: Answers, questions: list[Question]) -> dict[str, str]:
    """Answered column renames of one table; an open question is recorded and treated as no rename."""
    table = new.key.display()
    given = answers.column_renames.get(table, {})
    new_names = {c.name for c in new.columns}
    old_names = {c.name for c in old.columns}
    removed = [c.name for c in old.columns if c.name not in new_names]
    added = [c.name for c in new.columns if c.name not in old_names]
    renames = {o: n for o, n in given.items() if n is not None and o in removed and n in added}
    open_removed = tuple(o for o in removed if o not in given)
    open_added = tuple(a for a in added if a not in renames.values())
    if open_removed and open_added and not answers.no_renames:
        questions.append(ColumnRenameQuestion(table, open_removed, open_added))
    return renames


def _pair_tables(
    before: Mapping[TableKey, Table],
    opted_out: Iterable[TableKey],
    after: Mapping[TableKey, Table],
    answers: Answers,
    result: DiffResult,
) -> dict[TableKey, TableKey]:
    """Pair each new table with its old one (same key or an answered rename); decide every orphan."""
    pairs = {k: k for k in after if k in before}
    kept = set(opted_out)
    fresh = [k for k in after if k not in before]
    orphans = [k for k in before if k not in after and k not in kept]
    claimed: set[TableKey] = set()
    by_display = {k.display(): k for k in fresh}
    for old in orphans:
        name = old.display()
        target = answers.table_renames.get(name)
        if target is not None and target in by_display and by_display[target] not in claimed:
            claimed.add(by_display[target])
            pairs[by_display[target]] = old
            result.renamed[old] = by_display[target]
            continue
        if name in answers.drop_tables:
            result.dropped.add(old)
            continue
        if name in answers.keep_tables:
            result.kept.add(old)
            continue
        candidates = (
            ()
            if answers.no_renames
            else tuple(
                k.display()
                for k in fresh
                if k.tenant == old.tenant
                and k not in claimed
                and (k.schema == old.schema or k.name == old.name)
            )
        )
        result.questions.append(TableQuestion(name, candidates))
    return pairs


def creation_order(tables: Mapping[TableKey, Table], existing: Mapping[TableKey, TableKey]) -> list[TableKey]:
    """Tables by key, except that a new table comes after the new tables it references (cycles: by key)."""
    keys = sorted(tables, key=TableKey.sort_key)
    position = {k: i for i, k in enumerate(keys)}
    waiting_on: list[int] = [0] * len(keys)
    children: dict[int, list[int]] = {}
    for index, key in enumerate(keys):
        if key in existing:
            continue
        refs = (c.references for c in tables[key].columns if c.references is not None)
        targets = {TableKey(None if r.tenant_table else r.schema, r.table, r.tenant_table) for r in refs}
        for parent in targets:
            p = position.get(parent)
            if p is not None and p != index and parent not in existing:
                waiting_on[index] += 1
                children.setdefault(p, []).append(index)
    ready = [i for i, n in enumerate(waiting_on) if n == 0]
    heapq.heapify(ready)
    ordered: list[int] = []
    placed = [False] * len(keys)
    while len(ordered) < len(keys):
        if not ready:  # a cycle: take the first unplaced table by key
            ready = [next(i for i, done in enumerate(placed) if not done)]
        index = heapq.heappop(ready)
        if placed[index]:
            continue
        placed[index] = True
        ordered.append(index)
        for child in children.get(index, ()):
            waiting_on[child] -= 1
            if waiting_on[child] == 0:
                heapq.heappush(ready, child)
    return [keys[i] for i in ordered]


def diff(
    before: Mapping[TableKey, Table],
    after: Iterable[Table],
    answers: Answers = Answers(),
    options: DiffOptions = DiffOptions(),
    opted_out: Iterable[TableKey] = (),
) -> DiffResult:
    """Operations turning the `before` tables into the `after` tables, in initial (unsorted) order."""
    result = DiffResult()
    after_map = {t.key: t for t in after}
    pairs = _pair_tables(before, opted_out, after_map, answers, result)
    table_map = {old: new for new, old in pairs.items() if old != new}
    column_maps: dict[TableKey, dict[str, str]] = {}
    for new_key, old_key in pairs.items():
        column_maps[new_key] = _column_renames(before[old_key], after_map[new_key], answers, result.questions)
    known_schemas = {k.schema for k in before if not k.tenant}
    for new_key in creation_order(after_map, pairs):
        new = after_map[new_key]
        ops: list[Operation] = []
        if new_key.schema and not new_key.tenant and new_key.schema not in known_schemas:
            known_schemas.add(new_key.schema)
            ops.append(CreateSchema(new_key, new_key.schema))
        if new_key in pairs:
            origin = before[pairs[new_key]]
            old = apply_renames(origin, new_key, table_map, column_maps)
            ops += TableDiffer(origin, old, new, column_maps[new_key], options).run()
        else:
            ops += table_create_ops(new, options.concurrent_indexes)
        if ops:
            result.changed.add(new_key)
        result.operations += ops
    for old_key in sorted(result.dropped, key=TableKey.sort_key):
        result.operations += table_drop_ops(before[old_key])
    return result
