"""Read what a database schema actually contains, in a normalised form that two databases can be compared by.

Used to prove that migrations build exactly what the resources describe: a database built step by step
must equal one built fresh. PostgreSQL renders every definition itself (format_type, pg_get_*def), so
equal schemas give equal values whatever SQL text created them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")

COLUMNS = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attnum
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname = ANY(%s)
ORDER BY 1, 2, a.attnum
"""

CONSTRAINTS = """
SELECT n.nspname, c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%s)
ORDER BY 1, 2, 3
"""

INDEXES = """
SELECT n.nspname, c.relname, i.relname, pg_get_indexdef(i.oid)
FROM pg_index x
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%s)
ORDER BY 1, 2, 3
"""

SEQUENCES = """
SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL)
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%s)
ORDER BY 1, 2
"""

SCHEMAS = """
SELECT nspname FROM pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg\\_%%'
ORDER BY 1
"""

TRIGGERS = """
SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid)
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND n.nspname = ANY(%s)
ORDER BY 1, 2, 3
"""


def schemas(conn: psycopg.Connection[Any]) -> list[str]:
    """Every user schema in the database."""
    return [row[0] for row in conn.execute(SCHEMAS).fetchall()]


def describe(
    conn: psycopg.Connection[Any],
    only: Sequence[str] | None = None,
    ignore_tables: Sequence[str] = ("schema_migrations",),
) -> dict[str, Any]:
    """Tables and sequences of the given schemas (default: all); columns by name, so order is not compared."""
    names = list(only) if only is not None else schemas(conn)
    tables: dict[str, dict[str, Any]] = {}

    def table(schema: str, name: str) -> dict[str, Any] | None:
        if name in ignore_tables:
            return None
        return tables.setdefault(
            f"{schema}.{name}", {"columns": {}, "constraints": {}, "indexes": {}, "triggers": {}}
        )

    for schema, rel, col, typ, notnull, default, identity, _ in conn.execute(COLUMNS, (names,)).fetchall():
        entry = table(schema, rel)
        if entry is not None:
            entry["columns"][col] = (typ, notnull, default, identity)
    for schema, rel, name, kind, definition in conn.execute(CONSTRAINTS, (names,)).fetchall():
        entry = table(schema, rel)
        if entry is not None:
            entry["constraints"][name] = (kind, definition)
    for schema, rel, name, definition in conn.execute(INDEXES, (names,)).fetchall():
        entry = table(schema, rel)
        if entry is not None:
            entry["indexes"][name] = definition
    for schema, rel, name, definition in conn.execute(TRIGGERS, (names,)).fetchall():
        entry = table(schema, rel)
        if entry is not None:
            entry["triggers"][name] = definition
    sequences = {
        f"{schema}.{name}": typ
        for schema, name, typ in conn.execute(SEQUENCES, (names,)).fetchall()
        if not name.startswith("schema_migrations")
    }
    return {"schemas": sorted(names), "tables": tables, "sequences": sequences}
