"""Rows for the property test (issue 18, acceptance 2: "rows survive").

A history step A -> B is walked up (A's ups, B's ups) and back (B's downs, A's downs). Row 0 goes into
A's tables after A's ups and lives through B's ups and B's downs; row 1 goes into B's tables after B's ups
and lives through B's downs. After each of those steps the rows of every table that continues (renamed
or not) are still there, with the same values in every column that continues with the same type.

Values are chosen by type family and row number so that one value suits every type of its family and
every check, index expression and cast the strategies draw (tests/support/strategies.py): an integer 1 or 2, a
text that is a JSON object of at most 8 characters, of a length of its own (so text -> jsonb,
varchar(8) and a unique index on length(c) hold it), a date at midnight, and so on. Every column of a row gets its family's value, so a foreign key (whose two ends
share a family) finds the row of the same number in its target. A row goes only where the data can
follow both worlds: a foreign key whose target row will not be there (its table dropped, not filled, or
its key column new) leaves the column NULL where both worlds allow it, or the table without rows; a
table whose migration adds a column the rows cannot take (NOT NULL without a default, a default under a
check, a key or a foreign key) gets no rows (a column added back by a down has its data lost, which
is what a down of a drop means, not a bug).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from tests.support.histories import pairing
from tests.support.strategies import Col, Table, TableKey, World

Row = dict[str, str | None]  # column -> SQL literal, or None for NULL
Contents = dict[TableKey, dict[str, list[str | None]]]  # table -> column -> sorted values as text


@dataclass(frozen=True)
class Link:
    """How the tables and columns of one world continue in another."""

    tables: dict[TableKey, TableKey]  # this world's key -> the other world's key
    columns: dict[TableKey, dict[str, str]]  # this world's key -> {column: the other world's column}

    def reverse(self) -> Link:
        return Link(
            {v: k for k, v in self.tables.items()},
            {self.tables[k]: {v: c for c, v in cols.items()} for k, cols in self.columns.items()},
        )


def links(a: World, b: World) -> Link:
    """A -> B, as the diff pairs them (by name, or by the rename answers the history gives)."""
    paired = pairing(a, b)
    by_key = {t.key: t for t in b}
    tables: dict[TableKey, TableKey] = {}
    columns: dict[TableKey, dict[str, str]] = {}
    for new_key, old in paired.tables.items():
        new = by_key[new_key]
        back = {n: o for o, n in paired.column_renames.get(new.display, {}).items()}
        old_names = {c.name for c in old.columns}
        tables[old.key] = new_key
        columns[old.key] = {
            back.get(c.name, c.name): c.name for c in new.columns if back.get(c.name, c.name) in old_names
        }
    return Link(tables, columns)


def literal(col: Col, n: int, checked: bool) -> str:
    """Row n's value for `col`: fits every type of the column's family and every check drawn for it."""
    family = col.type.family
    text = "'{\"k\": 0}'" if n == 0 else f"'{{\"k\":{n}}}'"  # lengths differ: length(c) may be unique
    values = {
        "int": str(n + 1),
        "num": str(n + 1),
        "float": str(n + 1),
        "text": text,
        "json": text,
        "bool": "true" if checked or n == 0 else "false",
        "uuid": f"'00000000-0000-4000-8000-{n + 1:012d}'",
        "time": f"'2020-01-0{n + 1}'",
        "tarray": f"'{{a{n}}}'",
        "iarray": f"'{{{n + 1}}}'",
        "inet": f"'10.0.0.{n + 1}'",
        "interval": f"'{n + 1} days'",
        "bytea": f"'\\x0{n}'",
    }
    return values[family]


def _checked(table: Table, column: str) -> bool:
    return any(c.expr.column == column for c in table.checks)


def _unique_keys(table: Table) -> list[set[str]]:
    keys = [set(table.pk)] if table.pk else []
    keys += [set(i.keys) for i in table.identities]
    for index in table.indexes:
        if index.unique:
            keys.append({f.column or (f.expr.column if f.expr else "") for f in index.fields})
    return keys


def _ref_locals(table: Table) -> list[list[str]]:
    return [[c.name, *(lc for lc, _ in c.ref.match_with)] for c in table.columns if c.ref is not None]


def unsafe_additions(table: Table, added: Iterable[str], rows: int) -> bool:
    """Whether adding `added` columns of `table` to a table holding `rows` rows can fail on the data."""
    in_ref = {name for locals_ in _ref_locals(table) for name in locals_}
    unique = set().union(*_unique_keys(table)) if _unique_keys(table) else set()
    for name in added:
        col = table.col(name)
        assert col is not None
        filled = col.default is not None or col.generated is not None
        if (not col.allow_nil or col.primary_key) and not filled:
            return True
        if name in in_ref and filled:
            return True
        if _checked(table, name) and col.default is not None:
            return True
        if name in unique and rows > 1 and col.generated is None:
            return True
    return False


def unsafe_tables(a: World, b: World, forward: Link) -> set[TableKey]:
    """Tables (of either world) whose B ups add, or whose B downs add back, a column rows cannot take."""
    by_a = {t.key: t for t in a}
    by_b = {t.key: t for t in b}
    found: set[TableKey] = set()
    for a_key, b_key in forward.tables.items():
        cols = forward.columns[a_key]
        a_table, b_table = by_a[a_key], by_b[b_key]
        added_up = [c.name for c in b_table.columns if c.name not in cols.values()]
        added_down = [c.name for c in a_table.columns if c.name not in cols]
        if unsafe_additions(b_table, added_up, 1) or unsafe_additions(a_table, added_down, 2):
            found |= {a_key, b_key}
    return found


def plan_rows(
    now: World, other: World, link: Link, n: int, skip: set[TableKey], lasting: bool
) -> dict[TableKey, Row]:
    """Row n for the tables of `now` that can hold it while the data moves to `other` and back.

    `lasting`: the row must also outlive a return to `now` (row 0: B's downs put A's foreign keys back),
    so a foreign key of `now` needs its target to continue in `other`.
    """
    by_now = {t.key: t for t in now}
    by_other = {t.key: t for t in other}
    back = link.reverse()
    skipped = set(skip)
    while True:
        rows: dict[TableKey, Row] = {}
        for table in now:
            if table.key in skipped:
                continue
            row = _fill(table, by_now, by_other, link, back, n, skipped, lasting)
            if row is None:
                skipped.add(table.key)
                break
            rows[table.key] = row
        else:
            return rows


def _fill(
    table: Table,
    by_now: dict[TableKey, Table],
    by_other: dict[TableKey, Table],
    link: Link,
    back: Link,
    n: int,
    skipped: set[TableKey],
    lasting: bool,
) -> Row | None:
    other = by_other.get(link.tables.get(table.key, (None, "")))
    cols = link.columns.get(table.key, {})
    to_now = {v: k for k, v in cols.items()}

    def checked(name: str) -> bool:
        return _checked(table, name) or (other is not None and name in cols and _checked(other, cols[name]))

    row: Row = {c.name: literal(c, n, checked(c.name)) for c in table.columns}
    family = {c.name: c.type.family for c in table.columns}
    keys = _unique_keys(table) + (
        [{to_now.get(k, "") for k in key} for key in _unique_keys(other)] if other else []
    )
    if n > 0:
        for key in keys:
            if key and all(family.get(k) == "bool" and checked(k) for k in key):
                return None  # every row's value is true: a second row breaks the key
    composite = {name for locals_ in _ref_locals(table) if len(locals_) > 1 for name in locals_}
    if other is not None:
        composite |= {to_now.get(x, "") for ls in _ref_locals(other) if len(ls) > 1 for x in ls}

    def nullable(name: str) -> bool:
        col = table.col(name)
        pair = other.col(cols.get(name)) if other is not None else None
        return (
            col is not None
            and col.allow_nil
            and not col.primary_key
            and name not in composite
            and not any(name in key for key in keys)
            and (pair is None or (pair.allow_nil and not pair.primary_key))
        )

    needs: list[tuple[list[str], bool]] = []
    for col in table.columns:
        if col.ref is None:
            continue
        pairs = [(col.name, col.ref.column), *col.ref.match_with]
        target = by_now[col.ref.table]
        ok = target.key not in skipped and all(
            (r := target.col(remote)) is not None and family[local] == r.type.family
            for local, remote in pairs
        )
        if ok and lasting:
            kept = link.columns.get(target.key, {})
            ok = target.key in link.tables and all(remote in kept for _, remote in pairs)
        needs.append(([local for local, _ in pairs], ok))
    for col in other.columns if other is not None else ():
        if col.ref is None:
            continue
        pairs = [(col.name, col.ref.column), *col.ref.match_with]
        locals_ = [to_now.get(local) for local, _ in pairs]
        target_now = by_now.get(back.tables.get(col.ref.table, (None, "")))
        ok = (
            None not in locals_
            and target_now is not None
            and target_now.key not in skipped
            and all(
                (name := back.columns[col.ref.table].get(remote)) is not None
                and (r := target_now.col(name)) is not None
                and local is not None
                and family[local] == r.type.family
                for local, (_, remote) in zip(locals_, pairs, strict=True)
            )
        )
        needs.append(([x for x in locals_ if x is not None], ok))
    for names, ok in needs:
        if ok:
            continue
        if len(names) == 1 and nullable(names[0]):
            row[names[0]] = None
        else:
            return None
    return row


def insert(url: str, world: World, rows: dict[TableKey, Row]) -> None:
    """Insert the rows, foreign keys checked when the constraints are added, not now (any order)."""
    by_key = {t.key: t for t in world}
    with psycopg.connect(url) as conn:
        conn.execute("SET LOCAL session_replication_role = replica")
        for key, row in rows.items():
            names = [c.name for c in by_key[key].columns]
            values = [sql.SQL(row[n]) if row[n] is not None else sql.SQL("NULL") for n in names]  # type: ignore[arg-type]
            conn.execute(
                sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    qualified(key),
                    sql.SQL(", ").join(map(sql.Identifier, names)),
                    sql.SQL(", ").join(values),
                )
            )


def qualified(key: TableKey) -> sql.Composable:
    return sql.SQL(".").join([sql.Identifier(key[0] or "public"), sql.Identifier(key[1])])


def contents(url: str, world: World) -> Contents:
    """Every table's values, column by column, sorted (as text)."""
    found: Contents = {}
    with psycopg.connect(url) as conn:
        for table in world:
            found[table.key] = {}
            for col in table.columns:
                query = sql.SQL("SELECT {}::text FROM {}").format(
                    sql.Identifier(col.name), qualified(table.key)
                )
                values = [v for (v,) in conn.execute(query).fetchall()]
                found[table.key][col.name] = sorted(values, key=lambda v: (v is None, v or ""))
    return found


def lost(before: Contents, before_world: World, after: Contents, after_world: World, link: Link) -> list[str]:
    """What of `before` is missing in `after`: rows of continuing tables, values of continuing columns of
    the same type."""
    old = {t.key: t for t in before_world}
    new = {t.key: t for t in after_world}
    problems: list[str] = []
    for key, columns in before.items():
        target = link.tables.get(key)
        if target is None or not any(columns.values()):
            continue
        counts = {len(v) for v in columns.values()}
        now = after[target]
        if {len(v) for v in now.values()} != counts:
            problems.append(f"{key}: {counts} rows before, {[len(v) for v in now.values()]} after")
            continue
        for name, mapped in link.columns[key].items():
            a, b = old[key].col(name), new[target].col(mapped)
            if a is not None and b is not None and a.type == b.type and columns[name] != now[mapped]:
                problems.append(f"{key}.{name}: {columns[name]} before, {now[mapped]} after")
    return problems
