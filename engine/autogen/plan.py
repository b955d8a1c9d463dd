"""From a diff to migrations: split by namespace and concurrency, sort, fold FKs into CREATE TABLE, render.

Pure like diff: no files, no clock. `generate.py` decides names, timestamps and paths.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from snapshift.engine.autogen.operations import (
    AddForeignKey,
    CreateIndex,
    CreateTable,
    DropForeignKey,
    Operation,
    ReattachForeignKeys,
    is_commented,
    is_destructive,
)
from snapshift.engine.autogen.order import (
    Facts,
    all_facts,
    destination,
    reference_columns,
    sort_with_facts,
    tk,
)
from snapshift.engine.autogen.render import render_operations

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
    after_tenants: bool = False  # public, and needs the tenant migrations generated before it in every tenant

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
    """Sorted, folded, rendered migrations in the order they must run (SPEC 7, "Public and tenant
    migrations"): public ones first, then tenant ones, unless public steps need tenant ones first."""
    tenant_ops = [op for op in ops if op.table.tenant]
    public_ops = [op for op in ops if not op.table.tenant]
    levels = kind_levels(ops) if tenant_ops and public_ops else None
    if levels is None:
        segments = [(0, public_ops), (1, tenant_ops)]
    else:
        by_level: dict[int, list[Operation]] = defaultdict(list)
        for op, level in zip(ops, levels, strict=True):
            by_level[level].append(op)
        segments = sorted(by_level.items())
    plans: list[MigrationPlan] = []
    first_tenant_level = min((level for level, seg in segments if level % 2 and seg), default=None)
    waiting: set[int] | None = None  # the operations a waiting migration waits for, worked out once
    for level, scoped in segments:
        tenant = level % 2 == 1
        waits = not tenant and first_tenant_level is not None and first_tenant_level < level
        for part, part_ops in enumerate(split_parts(scoped)):
            if not part_ops:
                continue
            ordered, facts = sort_with_facts(part_ops)
            if part == 0:
                ordered = fold_foreign_keys(ordered, facts)
            up, down = render_operations(ordered)
            plan = MigrationPlan(tenant, part, tuple(ordered), tuple(up), tuple(down), after_tenants=waits)
            if waits:
                waiting = needing_tenant_ops(ops) if waiting is None else waiting
                plan = with_tenant_first_note(plan, waiting)
            plans.append(plan)
    return plans


def kind_levels(ops: Sequence[Operation]) -> list[int] | None:
    """The segment of every operation when public and tenant operations depend on each other: odd
    levels are tenant migrations, even ones public, and a segment runs after every lower one.

    Each operation gets the lowest level its dependencies allow, except that a tenant operation stays
    in the usual place after the public ones (level 1) unless a public operation needs it earlier
    (a public index or table that tenant foreign keys use is dropped after those keys: level -1).
    None when the combined graph has a cycle (then public first, then tenant, as without levels). When
    the public operations can bracket the tenant ones (`_around_tenants`), those three levels.
    """
    before, after = _dependencies(ops)
    order = _topological(before, after)
    if order is None:
        return None
    tenant = [op.table.tenant for op in ops]
    bracketed = _around_tenants(order, before, after, tenant)
    if bracketed is not None:
        return bracketed

    def fit_up(level: int, index: int) -> int:
        return level if (level % 2 == 1) == tenant[index] else level + 1

    def lowest(index: int, levels: list[int]) -> int:
        floor = -1 if tenant[index] else 0
        for p in before[index]:
            floor = max(floor, levels[p] + (tenant[p] != tenant[index]))
        return fit_up(floor, index)

    earliest = [0] * len(ops)
    for index in order:
        earliest[index] = lowest(index, earliest)
    top = max([*earliest, 1])
    latest = [0] * len(ops)
    for index in reversed(order):
        ceiling = top
        for s in after[index]:
            ceiling = min(ceiling, latest[s] - (tenant[s] != tenant[index]))
        latest[index] = ceiling if (ceiling % 2 == 1) == tenant[index] else ceiling - 1
    chosen = [0] * len(ops)
    for index in order:
        usual = min(1 if tenant[index] else 0, latest[index])
        chosen[index] = fit_up(max(lowest(index, chosen), usual), index)
    return chosen


def _dependencies(ops: Sequence[Operation]) -> tuple[list[set[int]], list[set[int]]]:
    """For each operation, the ones it needs first (`before`) and the ones that need it (`after`)."""
    facts = all_facts(ops)
    providers: dict[object, list[int]] = defaultdict(list)
    for index, (provides, _) in enumerate(facts):
        for fact in provides:
            providers[fact].append(index)
    before: list[set[int]] = [set() for _ in ops]
    after: list[set[int]] = [set() for _ in ops]
    for index, (_, requires) in enumerate(facts):
        for fact in requires:
            for provider in providers.get(fact, ()):
                if provider != index:
                    before[index].add(provider)
                    after[provider].add(index)
    return before, after


def needing_tenant_ops(ops: Sequence[Operation]) -> set[int]:
    """The ids of the public operations that need a tenant operation first, directly or through others:
    what a waiting public migration waits for (the note names those, not its unrelated operations)."""
    before, after = _dependencies(ops)
    order = _topological(before, after)
    if order is None:
        return set()
    needs = _needs_tenant(order, before, [op.table.tenant for op in ops])
    return {id(op) for op, need in zip(ops, needs, strict=True) if need and not op.table.tenant}


def _needs_tenant(order: Sequence[int], before: Sequence[set[int]], tenant: Sequence[bool]) -> list[bool]:
    """For each operation, whether it needs a tenant operation first, directly or through others."""
    needs = [False] * len(tenant)
    for index in order:
        needs[index] = any(tenant[p] or needs[p] for p in before[index])
    return needs


def _around_tenants(
    order: Sequence[int], before: Sequence[set[int]], after: Sequence[set[int]], tenant: Sequence[bool]
) -> list[int] | None:
    """Levels for `migrate`, `migrate --tenants`, `migrate` when some public operation needs a tenant one:
    the public operations tenant ones need (and the ones unrelated to tenants, when there are such) at
    level 0, every tenant operation at 1, the public operations that need a tenant one at 2 (they wait).

    `migrate --tenants` applies every tenant migration at once, so a tenant operation must not need a
    public one that waits. None when no public operation needs a tenant one (public, then tenant, as
    usual), or when one both needs a tenant operation and is needed by one (then levels alternate).
    """
    needs = _needs_tenant(order, before, tenant)
    needed = [False] * len(tenant)  # a tenant operation needs it, directly or through others
    for index in reversed(order):
        needed[index] = any(tenant[s] or needed[s] for s in after[index])
    public = [i for i in range(len(tenant)) if not tenant[i]]
    if not any(needs[i] for i in public) or any(needs[i] and needed[i] for i in public):
        return None
    early = 0 if any(needed[i] for i in public) else 2
    return [1 if tenant[i] else 2 if needs[i] else 0 if needed[i] else early for i in range(len(tenant))]


def _topological(before: Sequence[set[int]], after: Sequence[set[int]]) -> list[int] | None:
    indegree = [len(preds) for preds in before]
    ready = [i for i, d in enumerate(indegree) if d == 0]
    order: list[int] = []
    while ready:
        index = ready.pop()
        order.append(index)
        for nxt in after[index]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    return order if len(order) == len(before) else None


def with_tenant_first_note(plan: MigrationPlan, waiting: Collection[int] | None = None) -> MigrationPlan:
    """A public migration that waits for tenant migrations says so (and `migrate` enforces it), naming
    the operations that wait (`waiting`: their ids; all destructive ones when not known)."""
    shown = [
        op.describe()
        for op in plan.operations
        if (
            id(op) in waiting if waiting is not None else is_destructive(op) or isinstance(op, DropForeignKey)
        )
    ]
    what = f" ({'; '.join(shown[:3])}{'; ...' if len(shown) > 3 else ''})" if shown else ""
    note = (
        f"tenant tables use what this migration drops or changes{what}: run `snapshift migrate --tenants` "
        "before `snapshift migrate`, so that the tenant migration generated just before this one runs "
        "first (`snapshift migrate` refuses until every tenant has it)"
    )
    return replace(plan, notes=(*plan.notes, note))
