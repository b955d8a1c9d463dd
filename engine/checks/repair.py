"""The SQL that brings a schema back to the declared state, from the differences drift found.

Written from the declared catalog itself (PostgreSQL's own renderings of each definition), so the
statements recreate exactly what a fresh build has; they are unqualified, to run with the schema first
on the search path. Never run by snapshift: `drift --sql` prints them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from snapshift.engine.checks.catalog_compare import Difference
from snapshift.engine.db.catalog import ColumnShape, SchemaShape, SequenceShape, TableShape

# phases, in the order their statements run
DROP_TRIGGER, DROP_FK, DROP_CONSTRAINT, DROP_INDEX, DROP_COLUMN, DROP_TABLE, DROP_SEQUENCE = range(7)
CREATE_SEQUENCE, CREATE_TABLE, ALTER_COLUMN, OWN_SEQUENCE, ADD_CONSTRAINT, CREATE_INDEX = range(7, 13)
ADD_FK, CREATE_TRIGGER, EXTENSION = 13, 14, -1
SET_DEFAULT = OWN_SEQUENCE  # after a type change
_Add = Callable[[int, str], None]


def quote(identifier: str) -> str:
    """Always double-quoted (render.quote's rule, without loading the renderer)."""
    return '"' + identifier.replace('"', '""') + '"'


def column_sql(name: str, column: ColumnShape) -> str:
    parts = [quote(name), column.type]
    if column.identity:
        parts.append(column.identity.upper())
    if column.generated:
        parts.append(f"GENERATED ALWAYS AS ({column.generated}) STORED")
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if column.not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def sequence_sql(seq: SequenceShape) -> str:
    cycle = "CYCLE" if seq.cycle else "NO CYCLE"
    return (
        f"AS {seq.type} INCREMENT BY {seq.increment} MINVALUE {seq.minimum} MAXVALUE {seq.maximum} "
        f"START WITH {seq.start} {cycle}"
    )


def owned_by(seq: SequenceShape) -> str:
    if not seq.owner:
        return "NONE"
    table, _, column = seq.owner.partition(".")
    return f"{quote(table)}.{quote(column)}"


def repair_statements(
    differences: Sequence[Difference], expected: SchemaShape, prefix: str = ""
) -> list[str]:
    """Statements, in order, that turn a schema with these `differences` into `expected`; table labels
    carry `prefix` (as compare_schemas was given it). Drops come first, then creation in dependency order
    (sequences, tables, columns, constraints, indexes, foreign keys, triggers)."""
    out: list[tuple[int, int, str]] = []

    def add(phase: int, statement: str) -> None:
        out.append((phase, len(out), statement + ";"))

    for d in differences:
        table = d.table.removeprefix(prefix)
        shape = expected.tables.get(table)
        if d.kind == "extension":
            add(EXTENSION, f"CREATE EXTENSION IF NOT EXISTS {quote(d.name)}")
        elif d.kind == "table":
            _table(add, table, shape, d)
        elif d.kind == "sequence":
            name = d.name.removeprefix(prefix)
            _sequence(add, name, expected.sequences.get(name), d.found is None)
        elif d.kind == "column":
            _column(add, table, d, shape.columns.get(d.name) if shape else None)
        elif d.kind == "constraint":
            _constraint(add, table, d)
        elif d.kind == "index":
            if d.found is not None:
                add(DROP_INDEX, f"DROP INDEX {quote(d.name)}")
            if d.expected is not None:
                add(CREATE_INDEX, d.expected)
        elif d.kind == "trigger":
            if d.found is not None:
                add(DROP_TRIGGER, f"DROP TRIGGER {quote(d.name)} ON {quote(table)}")
            if d.expected is not None:
                add(CREATE_TRIGGER, d.expected)
    return [statement for _, _, statement in sorted(out)]


def _table(add: _Add, table: str, shape: TableShape | None, d: Difference) -> None:
    if shape is None:
        add(DROP_TABLE, f"DROP TABLE {quote(table)} CASCADE")
        return
    columns = ",\n  ".join(column_sql(name, column) for name, column in shape.columns.items())
    add(CREATE_TABLE, f"CREATE TABLE {quote(table)} (\n  {columns}\n)")
    for name, constraint in shape.constraints.items():
        phase = ADD_FK if constraint.kind == "f" else ADD_CONSTRAINT
        add(phase, f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {constraint.definition}")
    for index in shape.indexes.values():
        add(CREATE_INDEX, index.definition)
    for trigger in shape.triggers.values():
        add(CREATE_TRIGGER, trigger)


def _sequence(add: _Add, name: str, seq: SequenceShape | None, missing: bool) -> None:
    if seq is None:
        add(DROP_SEQUENCE, f"DROP SEQUENCE IF EXISTS {quote(name)}")
    elif not seq.identity:  # an identity column brings its own
        verb = "CREATE" if missing else "ALTER"
        add(
            CREATE_SEQUENCE if missing else ALTER_COLUMN, f"{verb} SEQUENCE {quote(name)} {sequence_sql(seq)}"
        )
        add(OWN_SEQUENCE, f"ALTER SEQUENCE {quote(name)} OWNED BY {owned_by(seq)}")


def _column(add: _Add, table: str, d: Difference, column: ColumnShape | None) -> None:
    alter = f"ALTER TABLE {quote(table)}"
    name = quote(d.name)
    if column is None:
        add(DROP_COLUMN, f"{alter} DROP COLUMN {name}")
    elif d.found is None:
        add(CREATE_TABLE, f"{alter} ADD COLUMN {column_sql(d.name, column)}")
    elif d.aspect == "type":
        add(ALTER_COLUMN, f"{alter} ALTER COLUMN {name} TYPE {column.type} USING {name}::{column.type}")
    elif d.aspect == "nullability":
        add(ALTER_COLUMN, f"{alter} ALTER COLUMN {name} {'SET' if column.not_null else 'DROP'} NOT NULL")
    elif d.aspect == "default":
        change = "DROP DEFAULT" if column.default is None else f"SET DEFAULT {column.default}"
        add(SET_DEFAULT, f"{alter} ALTER COLUMN {name} {change}")
    elif d.aspect == "identity":
        add(ALTER_COLUMN, f"{alter} ALTER COLUMN {name} DROP IDENTITY IF EXISTS")
        if column.identity:
            add(SET_DEFAULT, f"{alter} ALTER COLUMN {name} ADD {column.identity.upper()}")
    else:  # a generated column cannot be altered into another: rebuilt (its values are computed)
        add(DROP_COLUMN, f"{alter} DROP COLUMN {name}")
        add(CREATE_TABLE, f"{alter} ADD COLUMN {column_sql(d.name, column)}")


def _constraint(add: _Add, table: str, d: Difference) -> None:
    foreign = d.aspect == "foreign key"
    if d.found is not None:
        add(
            DROP_FK if foreign else DROP_CONSTRAINT,
            f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(d.name)}",
        )
    if d.expected is not None:
        phase = ADD_FK if foreign else ADD_CONSTRAINT
        add(phase, f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(d.name)} {d.expected}")
