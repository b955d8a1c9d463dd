"""diff(before, after, answers) -> operations, pure: no files, no database, no prompts.

Like Django's autodetector, rename ambiguity is answered as data: `questions()` lists what is open,
a prompt, dialog or flags answer it, and the diff runs again with the answers. Renames are applied to
the "before" side first, so every object that only moved with its table or column diffs as equal,
and objects whose derived names changed are renamed instead of rebuilt.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import replace

from snapshift.engine.autogen.diff_result import DiffOptions as DiffOptions
from snapshift.engine.autogen.diff_result import DiffResult as DiffResult
from snapshift.engine.autogen.diff_table import TableDiffer, table_create_ops, table_drop_ops
from snapshift.engine.autogen.operations import (
    AddForeignKey,
    CreateSchema,
    DetachForeignKeys,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropSchema,
    Operation,
    ReattachForeignKeys,
    RenameConstraint,
)
from snapshift.engine.autogen.order import destination, reference_columns, tk
from snapshift.engine.autogen.questions import Answers, ColumnRenameQuestion, Question, TableQuestion
from snapshift.engine.resources.model import Column, Reference, Table, TableKey


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
    tenant = table.multitenancy.attribute

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
        multitenancy=replace(table.multitenancy, attribute=col_name(tenant) if tenant else None),
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
    if old is new:  # the snapshot holds the current table: nothing was removed or added
        return {}
    table = new.key.display()
    given = answers.column_renames.get(table, {})
    new_names = {c.name for c in new.columns}
    old_names = {c.name for c in old.columns}
    removed = [c.name for c in old.columns if c.name not in new_names]
    added = [c.name for c in new.columns if c.name not in old_names]
    renames = {o: n for o, n in given.items() if n is not None and o in removed and n in added}
    # an answer naming no new column is no answer: the question stays open (never a silent drop)
    open_removed = tuple(o for o in removed if o not in renames and not (o in given and given[o] is None))
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
    # a kept table is never asked about again, but an explicit --drop-table still drops it
    kept = {k for k in opted_out if k.display() not in answers.drop_tables}
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
        result.renamed_columns |= {(new_key.display(), old) for old in column_maps[new_key]}
    renaming = bool(table_map) or any(column_maps.values())
    returning = opted_out_keys(before, opted_out)  # opted-out tables whose resource is back lose the flag
    known_schemas = {k.schema for k in before if not k.tenant}
    renamed_old: dict[TableKey, Table] = {}
    for new_key in creation_order(after_map, pairs):
        new = after_map[new_key]
        ops: list[Operation] = []
        if new_key.schema and not new_key.tenant and new_key.schema not in known_schemas:
            known_schemas.add(new_key.schema)
            ops.append(CreateSchema(new_key, new_key.schema))
        if new_key in pairs:
            origin = before[pairs[new_key]]
            old = renamed_old[new_key] = (
                apply_renames(origin, new_key, table_map, column_maps) if renaming else origin
            )
            if renaming or origin != new:  # equal: the common case, and all of `--check` on a clean project
                ops += TableDiffer(origin, old, new, column_maps[new_key], options).run()
        else:
            ops += table_create_ops(new, options.concurrent_indexes)
        # a table whose references only followed another table's rename has no operation of its own,
        # yet its snapshot must name the new target
        if ops or new_key in returning or (renaming and new_key in pairs and before[pairs[new_key]] != new):
            result.changed.add(new_key)
        result.operations += ops
    dropped = {k: before[k] for k in result.dropped}
    for old_key in reversed(creation_order(dropped, {})):  # children first, as the sort keeps ties
        gone = before[old_key]
        # its foreign keys name their targets as they are after the renames, as every other operation
        # does, so their downs (run before the renames are undone) find them
        if renaming:
            gone = apply_renames(gone, old_key, table_map, column_maps)
        result.operations += table_drop_ops(gone)
    rebound = rebind_foreign_keys(result.operations, renamed_old, after_map)
    if rebound:
        result.operations = without_renames_of(result.operations, rebound) + rebound
    result.operations += emptied_schemas(before, after_map, result)
    return result


def opted_out_keys(before: Mapping[TableKey, Table], opted_out: Iterable[TableKey]) -> set[TableKey]:
    return {k for k in opted_out if k in before}


Target = tuple[tuple[bool, str, str], frozenset[str]]  # a FK's destination: table and unique columns


def rebind_foreign_keys(
    ops: list[Operation], renamed_old: Mapping[TableKey, Table], after: Mapping[TableKey, Table]
) -> list[Operation]:
    """A FK that stays while the key or unique index it points at is rebuilt is dropped and added again;
    tenant tables' FKs into a public table are detoured around the rebuild by the public migration."""
    rebuilt: dict[Target, tuple[TableKey, str]] = {}  # (table, unique columns) -> (table, index dropped)
    for op in ops:
        if isinstance(op, DropPrimaryKey):
            rebuilt[(tk(op.table), frozenset(op.columns))] = (op.table, op.name)
        elif isinstance(op, DropIndex) and not op.implied and op.index.unique and op.index.plain_columns:
            rebuilt[(tk(op.table), frozenset(op.index.plain_columns))] = (op.table, op.index.name)
    if not rebuilt:
        return []
    touched = {(op.table, op.column) for op in ops if isinstance(op, AddForeignKey | DropForeignKey)}
    extra: list[Operation] = []
    detoured: dict[Target, list[str]] = {}  # -> names of the tenant FKs into it
    for key, old in renamed_old.items():
        old_refs = {c.name: c.references for c in old.columns if c.references is not None}
        for col in after[key].columns:
            ref, before_ref = col.references, old_refs.get(col.name)
            if ref is None or before_ref is None or (key, col.name) in touched:
                continue
            target = (destination(key, ref), reference_columns(col.name, ref)[1])
            if target not in rebuilt:
                continue
            if key.tenant and not ref.tenant_table:  # public runs first: it cannot wait for the tenant side
                detoured.setdefault(target, []).append(before_ref.name)
            else:
                extra += [DropForeignKey(key, col.name, before_ref), AddForeignKey(key, col.name, ref)]
    for target, names in detoured.items():
        table, dropped = rebuilt[target]
        created = after[table].unique_index_over(target[1]) or dropped
        fields = (dropped, created, tuple(sorted(target[1])), tuple(sorted(names)))
        extra += [DetachForeignKeys(table, *fields), ReattachForeignKeys(table, *fields)]
    return extra


def without_renames_of(ops: list[Operation], rebound: list[Operation]) -> list[Operation]:
    """A foreign key dropped and added again takes its new name from being added: a RENAME CONSTRAINT
    of it (its table was renamed) would find it dropped, or leave nothing for the drop to find."""
    dropped = {(op.table, op.reference.name) for op in rebound if isinstance(op, DropForeignKey)}
    return [op for op in ops if not (isinstance(op, RenameConstraint) and (op.table, op.old) in dropped)]


def emptied_schemas(
    before: Mapping[TableKey, Table], after: Mapping[TableKey, Table], result: DiffResult
) -> list[Operation]:
    """A named schema that loses its last table is dropped (down creates it again before tables return)."""
    used_after = {k.schema for k in after if k.schema and not k.tenant}
    left = {
        k.schema
        for k in before
        if k.schema
        and not k.tenant
        and k.schema not in used_after
        and (k in result.dropped or k in result.renamed)
    }
    return [DropSchema(TableKey(schema, "", False), schema) for schema in sorted(left)]
