"""Pass one, per attribute: a resource file's `attributes` -> columns and unresolved `references`.

Apart from `resource_file` because attributes are most of every file and have their own rules.
"""

from __future__ import annotations

import math
from typing import Any

from snapshift.engine.resources.expression_columns import unknown_column
from snapshift.engine.resources.model import Column
from snapshift.engine.resources.resource_draft import IDENTIFIER, RefSpec, check_name, checked_sql
from snapshift.engine.resources.tomlpos import Doc, KeyPath, TomlTable, did_you_mean
from snapshift.engine.resources.types import ModifierError, canonical_type, check_modifiers, resolve_generated

_ATTRIBUTE_KEYS = frozenset(
    {"type", "allow_nil", "primary_key", "default", "generated", "size", "precision", "scale", "references"}
)
_REFERENCE_KEYS = frozenset(
    {"table", "column", "schema", "name", "on_delete", "on_update", "deferrable", "index", "match_with",
     "match_type"}
)  # fmt: skip
ON_DELETE_CHOICES = frozenset({"delete", "nilify", "restrict", "nothing"})
ON_UPDATE_CHOICES = frozenset({"update", "nilify", "restrict", "nothing"})


# Columns already validated, by their attribute's name and content: its keys, then each value's repr
# (`references` left out, resolved per table). The repr, not the value: Python's == is loose where the
# column is not (True == 1 == 1.0 and 0.0 == -0.0, each rendered as written), and a repr is hashable
# whatever the value. Projects repeat the same attribute lines across many files; a project state keeps
# one of these for all its reads.
ColumnCache = dict[tuple[str, ...], Column]
COLUMN_CACHE_LIMIT = 100_000


def read_columns(
    doc: Doc, table: str, value: object, cache: ColumnCache | None = None
) -> tuple[tuple[Column, ...], list[RefSpec]]:
    """The columns in file order, and their references as pass two needs them."""
    attributes = doc.table(value, ("attributes",))
    columns: list[Column] = []
    references: list[RefSpec] = []
    for name, spec in attributes.items():
        if type(spec) is not dict:
            raise doc.wrong_type(("attributes", name), 'a table like { type = "text" }', spec)
        columns.append(_column(doc, name, spec) if cache is None else _cached_column(doc, name, spec, cache))
        if "references" in spec:
            key: KeyPath = ("attributes", name, "references")
            references.append(_reference(doc, table, name, doc.table(spec["references"], key)))
    if references:
        names = {column.name for column in columns}
        for reference in references:
            for local, _ in reference.match_with:
                if local not in names:
                    key = ("attributes", reference.column, "references", "match_with", local)
                    raise doc.error(key, f"unknown attribute '{local}'{did_you_mean(local, names)}")
    return tuple(columns), references


def _cached_column(doc: Doc, name: str, spec: TomlTable, cache: ColumnCache) -> Column:
    content = spec if "references" not in spec else {k: v for k, v in spec.items() if k != "references"}
    key = (name, *content, *map(repr, content.values()))
    column = cache.get(key)
    if column is None:
        column = _column(doc, name, spec)
        if len(cache) >= COLUMN_CACHE_LIMIT:  # a long session's edits: start over rather than grow
            cache.clear()
        cache[key] = column
    return column


def _column(doc: Doc, name: str, spec: TomlTable) -> Column:
    key: KeyPath = ("attributes", name)
    check_name(doc, key, name, "attribute name")
    doc.check_keys(spec, _ATTRIBUTE_KEYS, key)
    type_text = doc.required_string(spec, "type", key)
    try:
        ctype = canonical_type(type_text)
    except ValueError as error:
        raise doc.error((*key, "type"), str(error)) from None
    primary_key = doc.boolean(spec, "primary_key", key, False)
    allow_nil = doc.boolean(spec, "allow_nil", key, True)
    default = _default(doc, spec.get("default"), (*key, "default"))
    size = _non_negative(doc, spec, "size", key)
    precision = _non_negative(doc, spec, "precision", key)
    scale = _non_negative(doc, spec, "scale", key)
    if precision is None and scale is None:
        precision = ctype.precision
    try:
        check_modifiers(ctype.name, size, precision, scale)
    except ModifierError as error:
        raise doc.error((*key, error.key), str(error)) from None
    flag = spec.get("generated")
    if flag is not None and type(flag) is not bool:
        raise doc.wrong_type((*key, "generated"), "true or false", flag)
    try:
        generated = resolve_generated(ctype, flag, default is not None)
    except ValueError as error:
        raise doc.error((*key, "generated" if "generated" in spec else "default"), str(error)) from None
    if primary_key or generated is not None:  # serial and identity columns are NOT NULL
        allow_nil = False
    return Column(name, ctype.name, allow_nil, primary_key, default, generated, size, precision, scale)


def _non_negative(doc: Doc, spec: TomlTable, name: str, key: KeyPath) -> int | None:
    value = doc.integer(spec, name, key)
    if value is not None and value < 0:
        raise doc.error((*key, name), f"'{name}' must not be negative")
    return value


def _default(doc: Doc, value: object, key: KeyPath) -> str | None:
    """TOML literals become SQL literals; a string is a SQL expression and must parse."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise doc.error(key, "a float default must be finite (write \"'infinity'\" for PostgreSQL's)")
        return repr(value)
    if not isinstance(value, str):
        raise doc.wrong_type(key, "an integer, float, boolean or SQL expression string", value)
    text = value.strip()
    if text.lower() == "null":
        return None
    checked = checked_sql(doc, key, text)
    column = unknown_column(checked, ())
    if column is not None:
        fix = (  # a bare word is mostly text whose SQL quotes were forgotten
            f"a text default needs SQL quotes inside the TOML string: default = \"'{text}'\""
            if IDENTIFIER.fullmatch(text)
            else "a value computed from other columns is a generated column or a trigger"
        )
        raise doc.error(
            key, f"default '{text}' names column '{column}': PostgreSQL allows no column in a DEFAULT ({fix})"
        )
    return checked


def _choice(doc: Doc, spec: TomlTable, name: str, key: KeyPath, choices: frozenset[str]) -> Any:
    value = doc.string(spec, name, key)
    if value is not None and value not in choices:
        raise doc.error((*key, name), f"'{name}' cannot be '{value}'{did_you_mean(value, choices)}")
    return value


def _reference(doc: Doc, table: str, column: str, spec: TomlTable) -> RefSpec:
    key: KeyPath = ("attributes", column, "references")
    doc.check_keys(spec, _REFERENCE_KEYS, key)
    target_table = doc.required_string(spec, "table", key)
    target = _or_default(doc.string(spec, "column", key), "id")
    schema = doc.string(spec, "schema", key)
    if schema is not None:
        check_name(doc, (*key, "schema"), schema, "schema name")
    name = _or_default(doc.string(spec, "name", key), f"{table}_{column}_fkey")
    check_name(doc, (*key, "name"), name, "foreign key name")
    deferrable = spec.get("deferrable", False)
    if type(deferrable) is not bool and deferrable != "initially":
        raise doc.wrong_type((*key, "deferrable"), 'true, false or "initially"', deferrable)
    index = doc.boolean(spec, "index", key, False)
    if index:
        check_name(doc, (*key, "index"), f"{table}_{column}_index", "index name")
    match_type = _choice(doc, spec, "match_type", key, frozenset({"simple", "partial", "full"}))
    if match_type == "partial":
        raise doc.error((*key, "match_type"), "PostgreSQL does not implement MATCH PARTIAL")
    return RefSpec(
        column=column,
        table=target_table,
        target=target,
        schema=None if schema == "public" else schema,
        explicit_schema=schema is not None,
        name=name,
        on_delete=_choice(doc, spec, "on_delete", key, ON_DELETE_CHOICES),
        on_update=_choice(doc, spec, "on_update", key, ON_UPDATE_CHOICES),
        deferrable=deferrable,
        with_index=index,
        match_with=_match_with(doc, spec.get("match_with"), (*key, "match_with")),
        match_type=match_type,
    )


def _or_default(value: str | None, default: str) -> str:
    return default if value is None else value


def _match_with(doc: Doc, value: object, key: KeyPath) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    pairs = doc.table(value, key)
    for local, remote in pairs.items():
        if type(remote) is not str:
            raise doc.wrong_type((*key, local), "a string (the destination column)", remote)
    return tuple(pairs.items())
