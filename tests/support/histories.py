"""One step of a random history for the property test: resource set A, then B after random edits (renames
among them), and the answers a user gives generate for B (renames, drops).

Tables and columns are paired as the diff pairs them: by name, or by a rename answer when the old name
is gone and the new one is new. Everything else of A is dropped (tables by an answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import strategies as st

from snapshift.engine.autogen.questions import Answers
from tests.support.rename_edits import renamed, renamed_and_touched
from tests.support.strategies import CASTS, EDITS, SqlType, Table, TableKey, World, repair, resources, worlds

STEP_EDITS = (*EDITS, renamed, renamed_and_touched)


def display(key: TableKey) -> str:
    return f"{key[0]}.{key[1]}" if key[0] else key[1]


@dataclass(frozen=True)
class Pairing:
    """What of A each table and column of B continues, and the answers that say so."""

    tables: dict[TableKey, Table] = field(default_factory=dict)  # B key -> A table
    table_renames: dict[str, str] = field(default_factory=dict)  # A display -> B display
    column_renames: dict[str, dict[str, str]] = field(default_factory=dict)  # B display -> {A: B}
    dropped: frozenset[str] = frozenset()


def pairing(before: World, after: World) -> Pairing:
    old_tables = {t.key: t for t in before}
    new_keys = {t.key for t in after}
    result = Pairing()
    for table in after:
        if table.key in old_tables:
            old = old_tables[table.key]
        elif table.origin in old_tables and table.origin not in new_keys:
            old = old_tables[table.origin]
            result.table_renames[display(old.key)] = table.display
        else:
            continue
        result.tables[table.key] = old
        old_names = {c.name for c in old.columns}
        new_names = {c.name for c in table.columns}
        for col in table.columns:
            if col.name not in old_names and col.origin in old_names and col.origin not in new_names:
                result.column_renames.setdefault(table.display, {})[col.origin] = col.name
    continued = {t.key for t in result.tables.values()}
    return replace(result, dropped=frozenset(t.display for t in before if t.key not in continued))


@st.composite
def edited(draw: st.DrawFn, world: World) -> World:
    """Resource set B: A after one to six random edits; in most steps the first renames a table or a
    column and changes something that names it."""
    before = world
    if draw(st.integers(0, 2)) > 0:
        world = repair(draw(renamed_and_touched(world)))
    for _ in range(draw(st.integers(0 if world != before else 1, 5))):
        world = repair(draw(draw(st.sampled_from(STEP_EDITS))(world)))
    return keep_castable(before, world)


def castable(old: SqlType, new: SqlType) -> bool:
    """Whether `new` is reachable from `old` through CASTS (PostgreSQL casts each such pair directly)."""
    seen, todo = {old.name}, [old.name]
    while todo:
        for name in CASTS.get(todo.pop(), ()):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return new.name in seen


def keep_castable(before: World, after: World) -> World:
    """A column the diff pairs with one of A (same name, or renamed; a column dropped and added again
    under its old name is an ALTER to the diff) keeps a type PostgreSQL can cast to.

    Out of scope: type changes PostgreSQL cannot cast (uuid to text[]), which no migration can apply.
    """
    paired = pairing(before, after)
    out = []
    for table in after:
        old = paired.tables.get(table.key)
        renames = paired.column_renames.get(table.display, {})
        back = {new: old_name for old_name, new in renames.items()}
        cols = []
        for col in table.columns:
            prior = old.col(back.get(col.name, col.name)) if old is not None else None
            if prior is not None and not castable(prior.type, col.type):
                col = replace(col, type=prior.type, spelling=prior.spelling, default=prior.default)
            cols.append(col)
        out.append(replace(table, columns=tuple(cols)))
    return repair(tuple(out))


@dataclass(frozen=True)
class Scenario:
    """Resource sets A and B; shown as their TOML files when hypothesis reports an example."""

    a: World
    b: World

    @property
    def dropped(self) -> frozenset[str]:
        return pairing(self.a, self.b).dropped

    def answers(self) -> Answers:
        """The answers generate needs for B: its renames, its drops, and no for every other question."""
        paired = pairing(self.a, self.b)
        return Answers(
            column_renames=paired.column_renames,
            table_renames=paired.table_renames,
            drop_tables=paired.dropped,
            no_renames=True,
        )

    def __repr__(self) -> str:
        def files(world: World) -> str:
            return "\n".join(f"# {name}.toml\n{text}" for name, text in resources(world).items())

        paired = pairing(self.a, self.b)
        return (
            f"\n### A\n{files(self.a)}\n### B\n{files(self.b)}\n### dropped tables: {sorted(paired.dropped)}\n"
            f"### table renames: {paired.table_renames}\n### column renames: {paired.column_renames}\n"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints falsifying examples with this, not with its dataclass printer."""
        printer.text(repr(self))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    a = draw(worlds())
    return Scenario(a, draw(edited(a)))
