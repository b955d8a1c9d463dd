"""Rename edits for the property test: tables renamed or moved, columns renamed, and in the same step a
change to what names the renamed object (issue 11 item 8, issue 18's preamble and item 1).

A rename keeps the object's `origin`, so tests/histories answers it as a rename; everything that names
the object by name follows it (foreign keys, identities, indexes, checks, statements, the tenant column),
as a user renaming it in the resources must write.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from tests.support.strategies import (
    COLUMN_NAMES,
    KINDS,
    SCHEMAS,
    TABLE_NAMES,
    Col,
    Expr,
    Kind,
    SqlType,
    Table,
    World,
    _pick,
    _replace_column,
    _with,
    add_foreign_key,
    defaults,
    edit_check_of,
    edit_identity_of,
    edit_index_of,
    edit_statement_of,
    references,
    repair_column,
    spellings,
    taken_names,
    unused,
)


@st.composite
def rename_table(draw: st.DrawFn, world: World) -> tuple[World, int | None]:
    """A table renamed, moved to another schema, or both; the new world and the table's position."""
    i = _pick(draw, world)
    if i is None:
        return world, None
    old = world[i]
    kind = draw(st.sampled_from(("rename", "rename", "move", "both")))
    name = old.name
    if kind != "move":
        taken = taken_names((t.name for t in world), (t.origin[1] for t in world if t.origin))
        name = draw(unused(TABLE_NAMES, taken)) or old.name
    schema = old.schema
    if kind != "rename":
        schema = draw(st.sampled_from([s for s in dict.fromkeys(SCHEMAS) if s != old.schema]))
    if (schema, name) == old.key:
        return world, None
    new = replace(old, name=name, schema=schema)

    def follow(col: Col) -> Col:
        if col.ref is None or col.ref.table != old.key:
            return col
        return replace(col, ref=replace(col.ref, table=new.key))

    moved = _with(world, i, new)
    return tuple(replace(t, columns=tuple(follow(c) for c in t.columns)) for t in moved), i


@st.composite
def rename_column(draw: st.DrawFn, world: World) -> tuple[World, int | None]:
    """A column renamed; the new world and its table's position."""
    i = _pick(draw, world)
    if i is None:
        return world, None
    table = world[i]
    col = draw(st.sampled_from(table.columns))
    new = draw(
        unused(COLUMN_NAMES, taken_names((c.name for c in table.columns), (c.origin for c in table.columns)))
    )
    if new is None:
        return world, None
    return renamed_column(world, i, col.name, new), i


def renamed_column(world: World, position: int, old: str, new: str) -> World:
    """`old` renamed to `new` in the table at `position`, and everything that names it following."""

    def name(n: str) -> str:
        return new if n == old else n

    def expr(e: Expr | None) -> Expr | None:
        return None if e is None else replace(e, column=name(e.column))

    table = world[position]
    cols = []
    for c in table.columns:
        ref = c.ref and replace(c.ref, match_with=tuple((name(lc), rc) for lc, rc in c.ref.match_with))
        cols.append(replace(c, name=name(c.name), ref=ref))
    table = replace(
        table,
        tenant=table.tenant and name(table.tenant),
        columns=tuple(cols),
        identities=tuple(
            replace(x, keys=tuple(map(name, x.keys)), where=expr(x.where)) for x in table.identities
        ),
        indexes=tuple(
            replace(
                x,
                fields=tuple(
                    replace(f, column=f.column and name(f.column), expr=expr(f.expr)) for f in x.fields
                ),
                include=tuple(map(name, x.include)),
                where=expr(x.where),
            )
            for x in table.indexes
        ),
        checks=tuple(replace(c, expr=replace(c.expr, column=name(c.expr.column))) for c in table.checks),
        statements=tuple(replace(s, column=name(s.column)) for s in table.statements),
    )
    world = _with(world, position, table)

    def follow(c: Col) -> Col:
        if c.ref is None or c.ref.table != table.key:
            return c
        remote = tuple((lc, name(rc)) for lc, rc in c.ref.match_with)
        return replace(c, ref=replace(c.ref, column=name(c.ref.column), match_with=remote))

    return tuple(replace(t, columns=tuple(follow(c) for c in t.columns)) for t in world)


@st.composite
def serial_changed(draw: st.DrawFn, table: Table) -> Table:
    """A serial or identity column loses its generator, is widened, becomes an identity (or a serial),
    or is dropped."""
    generated = [c for c in table.columns if c.generated]
    if not generated:
        return table
    col = draw(st.sampled_from(generated))
    kind = draw(st.sampled_from(("plain", "widen", "swap", "drop")))
    if kind == "drop":
        return _replace_column(table, col.name, None) if len(table.columns) > 1 else table
    if kind == "plain":
        new = replace(col, generated=None, default=draw(st.none() | defaults("int")))
    elif kind == "widen":
        wider = {"smallint": "integer", "integer": "bigint", "bigint": "integer"}[col.type.name]
        new = replace(col, type=SqlType(wider))
    elif col.generated == "identity":
        new = replace(col, generated="serial")
    else:
        new = replace(col, type=SqlType("bigint"), generated="identity")
    new = repair_column(replace(new, spelling=""))
    return _replace_column(table, col.name, replace(new, spelling=draw(spellings(new))))


@st.composite
def touched(draw: st.DrawFn, world: World, position: int) -> World:
    """One change to something that names the table at `position`: a foreign key into it (dropped,
    changed, retargeted), a table referencing it dropped, or its own keys, indexes, checks, statements
    or serial columns."""
    table = world[position]
    referencing = [
        n for n, t in enumerate(world) if any(c.ref and c.ref.table == table.key for c in t.columns)
    ]
    kind = draw(st.sampled_from(("fk", "fk", "drop_referencing", "own", "own", "serial")))
    if kind in ("fk", "drop_referencing") and referencing:
        source = draw(st.sampled_from(referencing))
        if kind == "drop_referencing":
            return (*world[:source], *world[source + 1 :])
        return draw(foreign_key_changed(world, source, table))
    if kind == "serial":
        return _with(world, position, draw(serial_changed(table)))
    edit = draw(st.sampled_from((edit_identity_of, edit_index_of, edit_check_of, edit_statement_of)))
    change: Kind = draw(st.sampled_from(KINDS))
    return _with(world, position, draw(edit(table, change)))


@st.composite
def foreign_key_changed(draw: st.DrawFn, world: World, source: int, target: Table) -> World:
    """A foreign key of `source` into `target` dropped, changed, or retargeted to another table."""
    table = world[source]
    col = draw(st.sampled_from([c for c in table.columns if c.ref and c.ref.table == target.key]))
    assert col.ref is not None
    kind = draw(st.sampled_from(("drop", "modify", "retarget")))
    if kind == "retarget":
        return draw(
            add_foreign_key(
                _with(world, source, _replace_column(table, col.name, replace(col, ref=None))), source
            )
        )
    ref = None if kind == "drop" else draw(references(col.ref.table, col.ref.column, col.ref.match_with))
    return _with(world, source, _replace_column(table, col.name, replace(col, ref=ref)))


@st.composite
def renamed_and_touched(draw: st.DrawFn, world: World) -> World:
    """A rename, then in the same step a change to what names the renamed object."""
    rename = rename_table if draw(st.booleans()) else rename_column
    world, position = draw(rename(world))
    if position is None:
        return world
    return draw(touched(world, position))


@st.composite
def renamed(draw: st.DrawFn, world: World) -> World:
    rename = rename_table if draw(st.booleans()) else rename_column
    return draw(rename(world))[0]
