"""From a diff to migrations: split by namespace and concurrency, sort, fold FKs into CREATE TABLE, render.

Pure like diff: no files, no clock. `generate.py` decides names, timestamps and paths.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from engine.operations import (
    AddForeignKey,
    CreateIndex,
    CreateTable,
    DropForeignKey,
    DropTable,
    Operation,
    ReattachForeignKeys,
    is_commented,
    is_destructive,
)
from engine.order import Facts, all_facts, destination, reference_columns, sort_with_facts, tk
from engine.render import render_operations

HEADER_LIMIT = 40


@dataclass(frozen=True)
class MigrationPlan:
    """One migration file to be written: its operations in order and their SQL."""

    tenant: bool
    part: int  # 0 main, 1 concurrent indexes, 2 foreign keys waiting for those indexes
    operations: tuple[Operation, ...]
    up: tuple[str, ...]
    down: tuple[str, ...]
    notes: tuple[str, ...] = ()  # ordering advice across migration files

    @property
    def no_transaction(self) -> bool:
        return self.part == 1

    def header(self) -> list[str]:
        """Review notes for the top of the file, like AshPostgres's warnings."""
        lines = [f"NOTE: {note}" for note in self.notes]
        destructive = [op.describe() for op in self.operations if is_destructive(op)]
        if destructive:
            lines.append("WARNING: destructive operations, review before migrating:")
            lines += [f"  {text}" for text in destructive[:HEADER_LIMIT]]
        commented = [op.describe() for op in self.operations if is_commented(op)]
        if commented:
            lines.append("WARNING: steps commented out and in need of manual review:")
            lines += [f"  {text}" for text in commented[:HEADER_LIMIT]]
        lines.append(f"{len(self.operations)} operation(s):")
        lines += [f"  {op.describe()}" for op in self.operations[:HEADER_LIMIT]]
        if len(self.operations) > HEADER_LIMIT:
            lines.append(f"  ... and {len(self.operations) - HEADER_LIMIT} more")
        return lines


def fold_foreign_keys(ops: Sequence[Operation], facts: Sequence[Facts] | None = None) -> list[Operation]:
    """Put a FK inside its table's CREATE TABLE when nothing it needs is built after that table."""
    created = {tk(op.table): i for i, op in enumerate(ops) if isinstance(op, CreateTable)}
    if not created:
        return list(ops)
    facts = facts if facts is not None else all_facts(ops)
    wanted = {
        fact
        for op, (_, requires) in zip(ops, facts, strict=True)
        if isinstance(op, AddForeignKey)
        for fact in requires
    }
    providers: dict[object, list[int]] = defaultdict(list)
    for index, (provides, _) in enumerate(facts):
        for fact in provides:
            if fact in wanted:
                providers[fact].append(index)
    inline: dict[int, list[AddForeignKey]] = defaultdict(list)
    folded: set[int] = set()
    for index, op in enumerate(ops):
        if not isinstance(op, AddForeignKey) or tk(op.table) not in created:
            continue
        at = created[tk(op.table)]
        needs = [p for fact in facts[index][1] for p in providers.get(fact, ()) if p != index]
        if all(p <= at for p in needs):
            inline[at].append(op)
            folded.add(index)
    result: list[Operation] = []
    for index, op in enumerate(ops):
        if index in folded:
            continue
        if index in inline and isinstance(op, CreateTable):
            op = replace(op, inline_fks=tuple((fk.column, fk.reference) for fk in inline[index]))
        result.append(op)
    return result


def split_parts(ops: Sequence[Operation]) -> list[list[Operation]]:
    """[main, concurrent indexes, FKs that need those indexes]; empty parts are dropped later."""
    indexes = [op for op in ops if isinstance(op, CreateIndex) and op.index.concurrently]
    if not indexes:
        return [list(ops), [], []]
    concurrent: list[Operation] = list(indexes)
    unique_sets = {
        (tk(op.table), frozenset(op.index.plain_columns or ())) for op in indexes if op.index.unique
    }

    def waits(op: Operation) -> bool:
        if isinstance(op, ReattachForeignKeys):
            return (tk(op.table), frozenset(op.columns)) in unique_sets
        if not isinstance(op, AddForeignKey):
            return False
        _, remote = reference_columns(op.column, op.reference)
        return (destination(op.table, op.reference), remote) in unique_sets

    rest = [op for op in ops if op not in concurrent]
    return [[op for op in rest if not waits(op)], concurrent, [op for op in rest if waits(op)]]


def plan_migrations(ops: Sequence[Operation]) -> list[MigrationPlan]:
    """Sorted, folded, rendered migrations: public ones first, then tenant ones."""
    plans: list[MigrationPlan] = []
    for tenant in (False, True):
        scoped = [op for op in ops if op.table.tenant == tenant]
        for part, part_ops in enumerate(split_parts(scoped)):
            if not part_ops:
                continue
            ordered, facts = sort_with_facts(part_ops)
            if part == 0:
                ordered = fold_foreign_keys(ordered, facts)
            up, down = render_operations(ordered)
            plans.append(MigrationPlan(tenant, part, tuple(ordered), tuple(up), tuple(down)))
    return with_tenant_first_notes(plans)


def with_tenant_first_notes(plans: list[MigrationPlan]) -> list[MigrationPlan]:
    """Public drops that tenant tables still reference need the tenant migration to run first; say so."""
    released = {
        (op.reference.schema or "public", op.reference.table)
        for m in plans
        if m.tenant
        for op in m.operations
        if isinstance(op, DropForeignKey) and not op.reference.tenant_table
    }
    if not released:
        return plans
    result = []
    for m in plans:
        dropped = sorted(
            op.table.display()
            for op in m.operations
            if not m.tenant
            and isinstance(op, DropTable)
            and (op.table.schema or "public", op.table.name) in released
        )
        if dropped:
            note = (
                f"tenant tables reference {', '.join(dropped)}: run `snapshift migrate --tenants` "
                "before `snapshift migrate` so their foreign keys are gone first"
            )
            m = replace(m, notes=(*m.notes, note))
        result.append(m)
    return result
