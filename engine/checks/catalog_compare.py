"""Compare two catalogs (engine.db.catalog) object by object: differences as data, worded for people.

A difference names the table as people know it (`posts`, `audit.events`, `tenants.documents`), the
object, the aspect that differs and both values; `None` on one side means the object is missing there.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from snapshift.engine.db.catalog import Catalog, ColumnShape, SchemaShape, SequenceShape, TableShape

Kind = Literal["schema", "extension", "table", "column", "constraint", "index", "trigger", "sequence"]
CONSTRAINT_KINDS = {"p": "primary key", "u": "unique constraint", "c": "check constraint", "f": "foreign key"}
SHORT_TYPES = (
    (re.compile(r"\bcharacter varying\b"), "varchar"),
    (re.compile(r"\b(timestamp|time)(\(\d+\))? without time zone\b"), r"\1\2"),
    (re.compile(r"\btimestamp(\(\d+\))? with time zone\b"), r"timestamptz\1"),
    (re.compile(r"\btime(\(\d+\))? with time zone\b"), r"timetz\1"),
)


@dataclass(frozen=True, order=True)
class Difference:
    """One object that differs: `found` is what the compared database has, `expected` what it should
    have (None: missing there / not expected at all). `table` is "" for schemas, extensions, sequences."""

    kind: Kind
    table: str
    name: str
    aspect: str
    found: str | None
    expected: str | None

    def is_kept_column(self, kept: Collection[tuple[str, str]]) -> bool:
        """A whole column found and not expected at all, one of `kept` ((table, column) as shown): a
        column generate --dont-drop-columns left in place on purpose."""
        return (
            self.kind == "column"
            and not self.aspect
            and self.expected is None
            and (self.table, self.name) in kept
        )

    @property
    def noun(self) -> str:
        """The object, e.g. `index posts_title_index on posts`, `column posts.title`."""
        if self.kind == "column":
            return f"column {self.table}.{self.name}"
        if self.kind == "table":
            return f"table {self.table}"
        if self.table and self.kind != "index":  # index names are unique in their schema
            return f"{self.aspect or self.kind} {self.name} on {self.table}"
        return f"{self.kind} {self.name}"

    def value(self, text: str | None) -> str:
        """One side of a changed object, e.g. `posts.title varchar(100)`."""
        subject = f"{self.table}.{self.name}" if self.kind == "column" else self.noun
        return f"{subject} {text}"

    def sentence(self, leaves: str, declared: str, undeclared: str) -> str:
        """`leaves` what was found, against `declared` (what should be there) or `undeclared`."""
        if self.found is None:
            return f"{leaves} no {self.noun}, {declared} one"
        if self.expected is None:
            return f"{leaves} {_article(self.noun)} {self.noun} that {undeclared}"
        return f"{leaves} {self.value(self.found)}, {declared} {self.expected}"

    def to_json(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "table": self.table or None,
            "name": self.name,
            "aspect": self.aspect or None,
            "found": self.found,
            "expected": self.expected,
        }


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def display_type(pg_type: str) -> str:
    """format_type's names, shortened the way people write them (`varchar(100)`, `timestamptz`)."""
    for long, short in SHORT_TYPES:
        pg_type = long.sub(short, pg_type)
    return pg_type


def compare_catalogs(
    found: Catalog, expected: Catalog, labels: Mapping[str, str] | None = None
) -> list[Difference]:
    """Every difference between two whole catalogs; `labels` maps a schema to the prefix its tables are
    shown with (default: `schema.`, none for public)."""
    labels = labels or {}
    differences = [
        Difference(
            "extension", "", name, "", _named(name, found.extensions), _named(name, expected.extensions)
        )
        for name in sorted(found.extensions ^ expected.extensions)
    ]
    for schema in sorted(set(found.schemas) | set(expected.schemas)):
        have, want = found.schemas.get(schema), expected.schemas.get(schema)
        if have is None or want is None:
            differences.append(Difference("schema", "", schema, "", _present(have), _present(want)))
        prefix = labels.get(schema, "" if schema == "public" else f"{schema}.")
        differences += compare_schemas(have or SchemaShape(), want or SchemaShape(), prefix)
    return differences


def _named(name: str, names: frozenset[str]) -> str | None:
    return name if name in names else None


def _present(shape: object | None) -> str | None:
    return None if shape is None else "present"


def compare_schemas(found: SchemaShape, expected: SchemaShape, prefix: str = "") -> list[Difference]:
    """The differences between two schemas' tables and sequences, tables shown as `prefix + name`."""
    differences: list[Difference] = []
    for name in sorted(set(found.tables) | set(expected.tables)):
        have, want = found.tables.get(name), expected.tables.get(name)
        label = prefix + name
        if have is None or want is None:
            differences.append(Difference("table", label, name, "", _present(have), _present(want)))
        elif have != want:  # most tables match: only a table that differs is looked at in detail
            differences += _table(label, have, want)
    for name in sorted(set(found.sequences) | set(expected.sequences)):
        seq_have, seq_want = found.sequences.get(name), expected.sequences.get(name)
        if seq_have != seq_want:
            shown = (_sequence(seq_have), _sequence(seq_want))
            differences.append(Difference("sequence", "", prefix + name, "", *shown))
    return differences


def _sequence(seq: SequenceShape | None) -> str | None:
    if seq is None:
        return None
    text = f"as {seq.type} start {seq.start} increment {seq.increment} from {seq.minimum} to {seq.maximum}"
    return text + (" cycle" if seq.cycle else "") + (f" owned by {seq.owner}" if seq.owner else "")


def _table(label: str, have: TableShape, want: TableShape) -> Iterator[Difference]:
    for name in sorted(set(have.columns) | set(want.columns)):
        yield from _column(label, name, have.columns.get(name), want.columns.get(name))
    for name in sorted(set(have.constraints) | set(want.constraints)):
        got, wanted = have.constraints.get(name), want.constraints.get(name)
        if got != wanted:
            kind = CONSTRAINT_KINDS.get((got or wanted).kind, "constraint")  # type: ignore[union-attr]
            shown = (got.definition if got else None, wanted.definition if wanted else None)
            yield Difference("constraint", label, name, kind, *shown)
    for name in sorted(set(have.indexes) | set(want.indexes)):
        index_got, index_wanted = have.indexes.get(name), want.indexes.get(name)
        if index_got != index_wanted:
            shown = (
                index_got.definition if index_got else None,
                index_wanted.definition if index_wanted else None,
            )
            yield Difference("index", label, name, "", *shown)
    for name in sorted(set(have.triggers) | set(want.triggers)):
        if have.triggers.get(name) != want.triggers.get(name):
            yield Difference("trigger", label, name, "", have.triggers.get(name), want.triggers.get(name))


def _column(
    label: str, name: str, have: ColumnShape | None, want: ColumnShape | None
) -> Iterator[Difference]:
    if have is None or want is None:
        yield Difference("column", label, name, "", _column_text(have), _column_text(want))
        return
    aspects = (
        ("type", display_type(have.type), display_type(want.type)),
        ("nullability", _nullability(have), _nullability(want)),
        ("default", _default(have), _default(want)),
        ("identity", have.identity or "no identity", want.identity or "no identity"),
        ("generated", _generated(have), _generated(want)),
    )
    for aspect, got, wanted in aspects:
        if got != wanted:
            yield Difference("column", label, name, aspect, got, wanted)


def _column_text(column: ColumnShape | None) -> str | None:
    if column is None:
        return None
    parts = [display_type(column.type), column.identity, _generated(column) if column.generated else ""]
    parts += ["" if column.default is None else _default(column), "not null" if column.not_null else ""]
    return " ".join(part for part in parts if part)


def _nullability(column: ColumnShape) -> str:
    return "not null" if column.not_null else "nullable"


def _default(column: ColumnShape) -> str:
    return "no default" if column.default is None else f"default {column.default}"


def _generated(column: ColumnShape) -> str:
    return f"generated always as ({column.generated}) stored" if column.generated else "not generated"
