"""Dependency order: each operation declares the facts it provides and requires; then a stable topo sort
whose ties keep the initial order, so output is deterministic.

As in AshPostgres, a requirement waits for every operation that provides the fact and is vacuous when
nothing in the batch provides it (the object existed before). The same facts keep `down` (the reverse
order) valid.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from functools import singledispatch

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
    DetachForeignKeys,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropSchema,
    DropTable,
    MoveTableSchema,
    Operation,
    ReattachForeignKeys,
    RemoveStatement,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameSequence,
    RenameTable,
    RunStatement,
)
from snapshift.engine.base.errors import OperationCycleError
from snapshift.engine.resources.model import Reference, TableKey

Fact = tuple[object, ...]
Facts = tuple[list[Fact], list[Fact]]  # (provides, requires)
ALL_COLUMNS = "*"
# A statement's SQL names tables, columns and indexes as they were (the old statement, undone) or as
# they will be (the new one, run): every rename of a migration waits for the first kind and goes before
# the second, in whichever table the statements are.
STATEMENTS_UNDONE: Fact = ("statements_undone",)
RENAMED_ANYWHERE: Fact = ("renamed_anywhere",)


def tk(key: TableKey) -> tuple[bool, str, str]:
    return key.ordered


def destination(source: TableKey, ref: Reference) -> tuple[bool, str, str]:
    if ref.tenant_table:
        return (True, "public", ref.table)
    return (False, ref.schema or "public", ref.table)


def reference_columns(column: str, ref: Reference) -> tuple[list[str], frozenset[str]]:
    """Local columns of a FK, and the set of remote columns it needs to be unique."""
    local = [column, *(p[0] for p in ref.match_with)]
    return local, frozenset([ref.column, *(p[1] for p in ref.match_with)])


@singledispatch
def facts(op: Operation) -> Facts:
    """(provided, required) facts of one operation."""
    return [], []


@facts.register
def _(op: CreateExtension) -> Facts:
    return [("extensions",)], []


@facts.register
def _(op: CreateSchema) -> Facts:
    return [("schema", op.schema)], []


@facts.register
def _(op: DropSchema) -> Facts:
    return [], [("left_schema", op.schema)]


@facts.register
def _(op: CreateTable) -> Facts:
    t = tk(op.table)
    # no ("col", t, name) facts: every op that requires a column of t also requires ("table", t), which
    # already makes it wait for this op (a large project's plan would hash a dozen more facts per table)
    provides: list[Fact] = [("table", t), ("settled", t)]
    if op.definition.primary_key:
        provides.append(("unique", t, frozenset(op.definition.primary_key)))
    return provides, [("extensions",), ("schema", op.table.schema), ("name_free", t, op.definition.pkey_name)]


@facts.register
def _(op: DropTable) -> Facts:
    """Its foreign keys are dropped by their own DropForeignKey operations, which provide `fk_into`."""
    t = tk(op.table)
    provides: list[Fact] = [("name_free", t, op.definition.pkey_name), ("left_schema", op.table.schema)]
    return provides, [("fk_into_table", t), ("table_released", t)]


@facts.register
def _(op: RenameTable) -> Facts:
    provides: list[Fact] = [("table", tk(op.table)), ("left_schema", op.old.schema), RENAMED_ANYWHERE]
    return provides, [("table", tk(op.old)), STATEMENTS_UNDONE]


@facts.register
def _(op: MoveTableSchema) -> Facts:
    provides: list[Fact] = [("table", tk(op.table)), ("left_schema", op.old.schema), RENAMED_ANYWHERE]
    return provides, [("schema", op.table.schema), STATEMENTS_UNDONE]


@facts.register
def _(op: AddColumn) -> Facts:
    t = tk(op.table)
    return [("col", t, op.column.name), ("settled", t)], [("table", t), ("extensions",)]


@facts.register
def _(op: DropColumn) -> Facts:
    t = tk(op.table)
    name = op.column.name
    requires: list[Fact] = [("table", t), ("released", t, name), ("released", t, ALL_COLUMNS)]
    return [("settled", t)], [*requires, ("seq_renamed", t, name)]


@facts.register
def _(op: AlterColumn) -> Facts:
    t = tk(op.table)
    name = op.new.name
    requires: list[Fact] = [("table", t), ("col", t, name), ("released", t, name), ("extensions",)]
    requires += [("pk_dropped", t), ("seq_renamed", t, name), ("released", t, ALL_COLUMNS)]
    return [("col", t, name), ("settled", t)], requires


@facts.register
def _(op: RenameColumn) -> Facts:
    """Objects whose stored text names the old column go first (so `down` recreates them after the rename
    back); objects diffed under the new name (plain indexes, keys, FKs) go after."""
    t = tk(op.table)
    requires: list[Fact] = [("table", t), ("released", t, ALL_COLUMNS), STATEMENTS_UNDONE]
    return [("col", t, op.new), ("settled", t), ("renamed", t, op.new), RENAMED_ANYWHERE], requires


@facts.register
def _(op: AddPrimaryKey) -> Facts:
    t = tk(op.table)
    requires: list[Fact] = [("table", t), ("pk_dropped", t), ("name_free", t, op.name)]
    requires.append(("fk_into", t, frozenset(op.columns)))
    requires += [("col", t, c) for c in op.columns]
    return [("unique", t, frozenset(op.columns))], requires


@facts.register
def _(op: DropPrimaryKey) -> Facts:
    t = tk(op.table)
    provides: list[Fact] = [("pk_dropped", t), ("name_free", t, op.name)]
    provides += [("released", t, c) for c in op.columns]
    requires: list[Fact] = [("table", t), ("fk_into", t, frozenset(op.columns))]
    return provides, requires + [("renamed", t, c) for c in op.columns]


def _index_columns(op: CreateIndex | DropIndex) -> list[str]:
    columns = [f.value for f in op.index.fields if f.is_column]
    return columns + list(op.index.include)


def _index_is_plain(op: CreateIndex | DropIndex) -> bool:
    return op.index.plain_columns is not None and op.index.where is None


@facts.register
def _(op: CreateIndex) -> Facts:
    t = tk(op.table)
    columns = _index_columns(op)
    plain = _index_is_plain(op)
    requires: list[Fact] = [("table", t), ("index_free", t[1], op.index.name)]
    requires += [("col", t, c) for c in columns]
    if not plain:
        requires.append(("settled", t))
    provides: list[Fact] = []
    if op.index.unique and plain:
        # after FKs on these columns are dropped, so that in `down` the index goes before they return
        unique = frozenset(columns)
        provides.append(("unique", t, unique))
        requires.append(("fk_into", t, unique))
    return provides, requires


@facts.register
def _(op: DropIndex) -> Facts:
    t = tk(op.table)
    provides: list[Fact] = [("index_free", t[1], op.index.name), ("table_released", t)]
    provides += [("released", t, c) for c in _index_columns(op)]
    if not _index_is_plain(op):
        provides.append(("released", t, ALL_COLUMNS))
    requires: list[Fact] = [("table", t)]
    if _index_is_plain(op):
        requires += [("renamed", t, c) for c in _index_columns(op)]
    if op.index.unique and op.index.plain_columns is not None:
        requires.append(("fk_into", t, frozenset(op.index.plain_columns)))
    return provides, requires


@facts.register
def _(op: RenameIndex) -> Facts:
    t = tk(op.table)
    provides: list[Fact] = [("index_free", t[1], op.old), RENAMED_ANYWHERE]
    return provides, [("table", t), ("index_free", t[1], op.new), STATEMENTS_UNDONE]


@facts.register
def _(op: AddForeignKey) -> Facts:
    t = tk(op.table)
    dest = destination(op.table, op.reference)
    local, remote = reference_columns(op.column, op.reference)
    requires: list[Fact] = [("table", t), ("table", dest), ("unique", dest, remote)]
    requires += [("col", t, c) for c in local] + [("col", dest, c) for c in sorted(remote)]
    requires.append(("name_free", t, op.reference.name))
    return [], requires


@facts.register
def _(op: DropForeignKey) -> Facts:
    t = tk(op.table)
    dest = destination(op.table, op.reference)
    local, remote = reference_columns(op.column, op.reference)
    provides: list[Fact] = [("fk_into", dest, remote), ("fk_into_table", dest), ("table_released", t)]
    provides += [("released", t, c) for c in local] + [("released", dest, c) for c in sorted(remote)]
    provides.append(("name_free", t, op.reference.name))
    # the reference names its target as it is after this migration's renames (its down adds it back
    # before they are undone), so it waits for them
    requires: list[Fact] = [("table", t), ("table", dest), *(("renamed", t, c) for c in local)]
    return provides, requires + [("renamed", dest, c) for c in sorted(remote)]


@facts.register
def _(op: DetachForeignKeys) -> Facts:
    t = tk(op.table)
    return [("fk_into", t, frozenset(op.columns))], [("table", t)]


@facts.register
def _(op: ReattachForeignKeys) -> Facts:
    t = tk(op.table)
    return [], [("table", t), ("unique", t, frozenset(op.columns))]


@facts.register
def _(op: RenameConstraint) -> Facts:
    t = tk(op.table)
    provides: list[Fact] = [("name_free", t, op.old), RENAMED_ANYWHERE]
    return provides, [("table", t), ("name_free", t, op.new), STATEMENTS_UNDONE]


@facts.register
def _(op: AddCheck) -> Facts:
    t = tk(op.table)
    return [], [("table", t), ("settled", t), ("name_free", t, op.check.name)]


@facts.register
def _(op: DropCheck) -> Facts:
    t = tk(op.table)
    provides: list[Fact] = [
        ("released", t, ALL_COLUMNS),
        ("name_free", t, op.check.name),
        ("table_released", t),
    ]
    return provides, [("table", t)]


@facts.register
def _(op: RenameSequence) -> Facts:
    """Before the column's own changes (type, generator, drop), which name the sequence by its new name."""
    t = tk(op.table)
    provides: list[Fact] = [("seq_renamed", t, op.column), RENAMED_ANYWHERE]
    return provides, [("table", t), STATEMENTS_UNDONE]


@facts.register
def _(op: RunStatement) -> Facts:
    t = tk(op.table)
    requires: list[Fact] = [("table", t), ("settled", t), ("structure", t), RENAMED_ANYWHERE]
    return [("statement", t, op.statement.name)], requires


@facts.register
def _(op: RemoveStatement) -> Facts:
    return [("statement_removed", tk(op.table)), STATEMENTS_UNDONE], []


_NOT_STRUCTURE = (RunStatement, RemoveStatement, CreateExtension, CreateSchema, DropSchema)


def all_facts(ops: Sequence[Operation]) -> list[Facts]:
    """Facts per op, plus table-wide ones: statements run after (and go before) their table's changes."""
    result = []
    for op in ops:
        provides, requires = facts(op)  # new lists each time: extended in place
        if not isinstance(op, _NOT_STRUCTURE):
            t = tk(op.table)
            provides.append(("structure", t))
            requires.append(("statement_removed", t))
        result.append((provides, requires))
    return result


BARRIER_AT = 16
MIGRATION_WIDE = (STATEMENTS_UNDONE, RENAMED_ANYWHERE)


class Barriers:
    """A migration-wide fact (every rename, which every statement waits for) would cost an edge per pair
    of provider and requirer; above BARRIER_AT providers it is reached through one node of its own,
    which the sort passes as soon as its last provider is placed, so the order is the same. (Other
    facts name a table or schema, so few operations require them.)"""

    def __init__(self, providers: dict[Fact, list[int]], edges: list[set[int]], indegree: list[int]):
        self.providers, self.edges, self.indegree = providers, edges, indegree
        self.wide = {f for f in MIGRATION_WIDE if len(providers.get(f, ())) > BARRIER_AT}
        self.nodes: dict[Fact, tuple[int, frozenset[int]]] = {}

    def predecessors(self, index: int, requires: list[Fact]) -> set[int]:
        before: set[int] = set()
        for fact in requires:
            found = self.providers.get(fact, ())
            if fact in self.wide:
                node, members = self.node(fact)
                if index not in members:
                    before.add(node)
                    continue
            before.update(p for p in found if p != index)
        return before

    def node(self, fact: Fact) -> tuple[int, frozenset[int]]:
        if fact not in self.nodes:
            members = frozenset(self.providers[fact])
            node = len(self.edges)
            self.edges.append(set())
            self.indegree.append(len(members))
            for p in members:
                self.edges[p].add(node)
            self.nodes[fact] = (node, members)
        return self.nodes[fact]


def sort_operations(ops: Sequence[Operation]) -> list[Operation]:
    """Kahn's algorithm over the fact graph; ready ops leave in initial order. Statements keep theirs."""
    return sort_with_facts(ops)[0]


def sort_with_facts(ops: Sequence[Operation]) -> tuple[list[Operation], list[Facts]]:
    """The sorted operations and, in the same order, their facts (so later passes need not recompute)."""
    all_f = all_facts(ops)
    providers: dict[Fact, list[int]] = defaultdict(list)
    for index, (provides, _) in enumerate(all_f):
        for fact in provides:
            providers[fact].append(index)
    edges: list[set[int]] = [set() for _ in ops]
    indegree = [0] * len(ops)
    barriers = Barriers(providers, edges, indegree)
    last_statement: dict[object, int] = {}
    for index, (op, (_, requires)) in enumerate(zip(ops, all_f, strict=True)):
        if barriers.wide and not barriers.wide.isdisjoint(requires):
            before = barriers.predecessors(index, requires)
        else:
            before = {p for fact in requires for p in providers.get(fact, ()) if p != index}
        if isinstance(op, RunStatement):
            previous = last_statement.get(tk(op.table))
            if previous is not None:
                before.add(previous)
            last_statement[tk(op.table)] = index
        for p in before:
            if index not in edges[p]:
                edges[p].add(index)
                indegree[index] += 1
    ready = [i for i, d in enumerate(indegree) if d == 0]
    heapq.heapify(ready)
    result: list[int] = []
    while ready:
        index = heapq.heappop(ready)
        result.append(index)
        done = [index]
        while done:  # a barrier is passed the moment its last provider is placed
            for nxt in edges[done.pop()]:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    if nxt >= len(ops):
                        done.append(nxt)
                    else:
                        heapq.heappush(ready, nxt)
    if len(result) != len(ops):
        stuck = [ops[i].describe() for i, d in enumerate(indegree[: len(ops)]) if d > 0]
        raise OperationCycleError(
            "these operations depend on each other in a circle; split the change into two migrations "
            "(create the tables first, add the foreign keys later):\n  " + "\n  ".join(stuck)
        )
    return [ops[i] for i in result], [all_f[i] for i in result]
