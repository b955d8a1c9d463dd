"""Hypothesis strategies for the property test: random valid resource sets, and edits of them.

A `World` is a small model of a resource folder (tables, columns, keys, identities, indexes, checks,
foreign keys) that renders to TOML (SPEC 3). Draws may produce combinations that are not valid (a
foreign key whose target is gone, an index on a dropped column, a gin index on text); `repair` then
removes or adjusts exactly those parts, so every world a strategy returns is valid by construction.
Names come from small disjoint pools, so derived names (indexes, sequences, constraints) cannot clash.

Statements are modelled as one shape whose effect the catalog shows: an index on one column, created by
SQL that names the table and column as they are (so a rename changes the statement, as a user must).
Tables and columns remember where they came from in A (`origin`), so a rename step (tests/rename_edits)
can be answered as a rename (tests/histories).

Out of scope on purpose: context multitenancy (its migrations run in a separate stream, after the
public one, so cross-stream orders are the migrator's concern, not the diff's).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, TypeAlias

from hypothesis import strategies as st

from tests.support.default_grammar import GRAMMAR, Sql, grammar_defaults

Value: TypeAlias = int | float | bool | str
Generated = Literal["serial", "identity"]
TableKey: TypeAlias = tuple[str | None, str]  # (schema, table)

TABLE_NAMES = ("posts", "authors", "tags", "items", "orgs", "notes", "user", "Mixed")
SCHEMAS = (None, None, None, "blog", "Ops")
COLUMN_NAMES = ("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "name", "Weird", "select")
FK_NAMES = ("f1", "f2", "f3", "f4", "f5", "f6")
TENANT = "org_id"
IDENTITY_NAMES = ("uq1", "uq2", "uq3")
CHECK_NAMES = ("ck1", "ck2", "ck3")
STATEMENT_NAMES = ("st1", "st2")
ORDERS = ("DESC", "ASC NULLS FIRST", "DESC NULLS LAST")
SIMPLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
RESERVED = frozenset({"select", "user", "order", "table"})


# --- types ------------------------------------------------------------------------------------------------
# A family groups types that accept the same defaults and expressions; an expression written for a
# family stays in the resources while its column's type stays in that family.

FAMILY = {
    "smallint": "int", "integer": "int", "bigint": "int", "numeric": "num", "real": "float",
    "float8": "float", "text": "text", "varchar": "text", "boolean": "bool", "uuid": "uuid",
    "timestamp": "time", "timestamptz": "time", "date": "time", "jsonb": "json", "text[]": "tarray",
    "integer[]": "iarray", "inet": "inet", "interval": "interval", "bytea": "bytea",
}  # fmt: skip
SPELLINGS = {
    "smallint": ("smallint", "int2"), "integer": ("integer", "int", "int4"), "bigint": ("bigint", "int8"),
    "numeric": ("numeric", "decimal"), "real": ("real", "float4"),
    "float8": ("float8", "float", "double precision"), "boolean": ("boolean", "bool"),
    "text": ("text", "string"), "varchar": ("varchar", "character varying"), "uuid": ("uuid",),
    "timestamp": ("timestamp", "utc_datetime_usec", "timestamp without time zone"),
    "timestamptz": ("timestamptz", "timestamp with time zone"), "date": ("date",),
    "jsonb": ("jsonb", "map"), "text[]": ("text[]",), "integer[]": ("integer[]", "int[]"),
    "inet": ("inet",), "interval": ("interval",), "bytea": ("bytea", "binary"),
}  # fmt: skip
SERIAL_SPELLINGS = {"smallint": "smallserial", "integer": "serial", "bigint": "bigserial"}
# Besides literals, a small grammar of expressions DEFAULT takes only in parentheses (NOT, IN, IS NULL,
# LIKE, BETWEEN, AND/OR, arithmetic) and of ones it takes as written (casts, calls).
DEFAULTS: dict[str, tuple[Value, ...]] = {
    "int": (0, 42, -1, "1 + 2 * 3", "abs(-3)", "'7'::integer", "(4 - 1)"), "num": (0, 1.5, "1.5 * 2"),
    "float": (0.5, 0), "text": ("'draft'", "''", "'a' || 'b'", "lower('X')", "'x'::text"),
    "bool": (True, False, "NOT false", "1 IN (1, 2)", "'' IS NULL", "'a' LIKE 'a%'", "true AND NOT false",
             "2 BETWEEN 1 AND 3", "false OR 1 = 1"),
    "uuid": ("gen_random_uuid()",), "time": ("now()", "CURRENT_TIMESTAMP", "CURRENT_DATE"),
    "json": ("'{}'", "'[]'"), "tarray": ("'{}'",), "iarray": ("'{}'",), "inet": ("'127.0.0.1'",),
    "interval": ("'1 day'",), "bytea": (),
}  # fmt: skip
CHECKS = {
    "int": ("{c} > 0", "{c} >= -5 AND {c} < 1000"), "num": ("{c} > 0",), "float": ("{c} <> 13",),
    "text": ("length({c}) < 200", "{c} <> ''"), "bool": ("{c} OR {c} IS NULL",),
    "time": ("{c} > '2000-01-01'",),
    "json": ("jsonb_typeof({c}) = 'object'",),
    "tarray": ("cardinality({c}) < 10",), "iarray": ("cardinality({c}) < 10",),
}  # fmt: skip
INDEX_EXPRESSIONS = {
    "text": ("lower({c})", "length({c})"), "int": ("{c} + 1", "abs({c})"), "json": ("{c} -> 'k'",)
}  # fmt: skip
WHERES = {
    "int": ("{c} > 0",), "text": ("{c} <> ''",), "bool": ("{c} = false", "NOT {c}"), "time": ("{c} > '2000-01-01'",)
}  # fmt: skip
# Castable on an empty table with `USING c::new`; varchar sizes and numeric precision only grow.
CASTS = {
    "smallint": ("integer", "bigint"), "integer": ("smallint", "bigint", "numeric"),
    "bigint": ("integer", "smallint"), "text": ("varchar", "jsonb"), "varchar": ("text", "varchar"),
    "numeric": ("numeric",), "real": ("float8",), "float8": ("real",), "timestamp": ("timestamptz", "date"),
    "timestamptz": ("timestamp", "date"), "date": ("timestamp", "timestamptz"), "jsonb": ("text",),
}  # fmt: skip
PK_FAMILIES = frozenset({"int", "text", "uuid"})
BRIN_FAMILIES = frozenset({"int", "num", "float", "text", "uuid", "time"})
GIN_FAMILIES = frozenset({"json", "tarray", "iarray"})


@dataclass(frozen=True)
class SqlType:
    name: str  # canonical
    size: int | None = None
    precision: int | None = None
    scale: int | None = None

    @property
    def family(self) -> str:
        return FAMILY[self.name]


@dataclass(frozen=True)
class Expr:
    """SQL over one column, valid while that column keeps the family it was written for."""

    template: str
    column: str
    family: str

    def sql(self) -> str:
        return self.template.format(c=sql_name(self.column))


@dataclass(frozen=True)
class Ref:
    table: TableKey
    column: str
    match_with: tuple[tuple[str, str], ...] = ()
    on_delete: str | None = None
    on_update: str | None = None
    deferrable: bool | str = False
    index: bool = False
    named: bool = False
    explicit_schema: bool = False
    match_type: str | None = None


@dataclass(frozen=True)
class Col:
    name: str
    type: SqlType
    spelling: str
    allow_nil: bool = True
    primary_key: bool = False
    default: Value | None = None
    generated: Generated | None = None
    ref: Ref | None = None
    origin: str | None = None  # its name in A, when it was there


@dataclass(frozen=True)
class Identity:
    name: str
    keys: tuple[str, ...]
    where: Expr | None = None
    nulls_distinct: bool = True
    all_tenants: bool = False


@dataclass(frozen=True)
class Field:
    column: str | None = None  # a column (with an optional sort order) or an expression
    order: str | None = None
    expr: Expr | None = None


@dataclass(frozen=True)
class Index:
    fields: tuple[Field, ...]
    name: str | None = None
    unique: bool = False
    using: str | None = None
    where: Expr | None = None
    include: tuple[str, ...] = ()
    nulls_distinct: bool = True
    concurrently: bool = False
    all_tenants: bool = False


@dataclass(frozen=True)
class Check:
    name: str
    expr: Expr


@dataclass(frozen=True)
class Stmt:
    """A custom statement: up creates an index on `column` named after the table, down drops it."""

    name: str
    column: str


@dataclass(frozen=True)
class Table:
    name: str
    schema: str | None = None
    tenant: str | None = None  # attribute multitenancy: the tenant column
    columns: tuple[Col, ...] = ()
    identities: tuple[Identity, ...] = ()
    indexes: tuple[Index, ...] = ()
    checks: tuple[Check, ...] = ()
    statements: tuple[Stmt, ...] = ()
    origin: TableKey | None = None  # its key in A, when it was there

    @property
    def key(self) -> TableKey:
        return (self.schema, self.name)

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def col(self, name: str | None) -> Col | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def pk(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.primary_key)


World: TypeAlias = tuple[Table, ...]


def sql_name(name: str) -> str:
    return (
        name if SIMPLE_NAME.fullmatch(name) and name not in RESERVED else '"' + name.replace('"', '""') + '"'
    )


# --- rendering --------------------------------------------------------------------------------------------


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    assert isinstance(value, list | tuple)
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def column_spec(table: Table, col: Col) -> dict[str, object]:
    spec: dict[str, object] = {"type": col.spelling}
    if col.generated == "identity":
        spec["type"] = "identity"
    elif col.generated == "serial" and col.spelling not in SERIAL_SPELLINGS.values():
        spec["generated"] = True
    implied_zero = col.spelling in ("utc_datetime", "naive_datetime")
    if col.type.size is not None:
        spec["size"] = col.type.size
    if col.type.precision is not None and not implied_zero:
        spec["precision"] = col.type.precision
    if col.type.scale is not None:
        spec["scale"] = col.type.scale
    if col.primary_key:
        spec["primary_key"] = True
    if not col.allow_nil and not col.primary_key and col.generated is None:
        spec["allow_nil"] = False
    if col.default is not None:
        spec["default"] = col.default
    if col.ref is not None:
        spec["references"] = reference_spec(table, col, col.ref)
    return spec


def reference_spec(table: Table, col: Col, ref: Ref) -> dict[str, object]:
    spec: dict[str, object] = {"table": ref.table[1], "column": ref.column}
    if ref.explicit_schema:
        spec["schema"] = ref.table[0] or "public"
    if ref.named:
        spec["name"] = f"{table.name}_{col.name}_fk"
    options = {"on_delete": ref.on_delete, "on_update": ref.on_update, "match_type": ref.match_type}
    spec.update({k: v for k, v in options.items() if v is not None})
    if ref.deferrable is not False:
        spec["deferrable"] = ref.deferrable
    if ref.index:
        spec["index"] = True
    if ref.match_with:
        spec["match_with"] = dict(ref.match_with)
    return spec


def field_text(field: Field) -> str:
    if field.expr is not None:
        return field.expr.sql()
    assert field.column is not None
    return f"{field.column} {field.order}" if field.order else field.column


def render(table: Table) -> str:
    lines = [f"table = {json.dumps(table.name)}"]
    if table.schema:
        lines.append(f"schema = {json.dumps(table.schema)}")
    if table.tenant:
        lines.append(f'multitenancy = {{ strategy = "attribute", attribute = {json.dumps(table.tenant)} }}')
    lines.append("[attributes]")
    lines += [f"{toml_key(c.name)} = {toml_value(column_spec(table, c))}" for c in table.columns]
    if table.identities:
        lines.append("[identities]")
    for identity in table.identities:
        spec: dict[str, object] = {"keys": identity.keys}
        if identity.where is not None:
            spec["where"] = identity.where.sql()
        if not identity.nulls_distinct:
            spec["nulls_distinct"] = False
        if identity.all_tenants:
            spec["all_tenants"] = True
        lines.append(f"{identity.name} = {toml_value(spec)}")
    for index in table.indexes:
        lines += ["[[indexes]]", f"fields = {toml_value([field_text(f) for f in index.fields])}"]
        options = {"name": index.name, "using": index.using, "where": index.where and index.where.sql()}
        flags = {"unique": index.unique, "concurrently": index.concurrently, "all_tenants": index.all_tenants}
        lines += [f"{k} = {toml_value(v)}" for k, v in options.items() if v is not None]
        lines += [f"{k} = true" for k, v in flags.items() if v]
        if index.include:
            lines.append(f"include = {toml_value(index.include)}")
        if not index.nulls_distinct:
            lines.append("nulls_distinct = false")
    for check in table.checks:
        lines += ["[[check_constraints]]", f"name = {json.dumps(check.name)}"]
        lines += [
            f"check = {json.dumps(check.expr.sql())}",
            f"attributes = {toml_value([check.expr.column])}",
        ]
    for statement in table.statements:
        up, down = statement_sql(table, statement)
        lines += ["[[statements]]", f"name = {json.dumps(statement.name)}"]
        lines += [f"up = {json.dumps(up)}", f"down = {json.dumps(down)}"]
    return "\n".join(lines) + "\n"


def statement_index(table: Table, statement: Stmt) -> str:
    return f"{table.name}_{statement.name}"


def statement_sql(table: Table, statement: Stmt) -> tuple[str, str]:
    """(up, down) naming the table, its schema and the column as they are now."""
    prefix = f"{sql_name(table.schema)}." if table.schema else ""
    index = sql_name(statement_index(table, statement))
    up = f"CREATE INDEX {index} ON {prefix}{sql_name(table.name)} ({sql_name(statement.column)})"
    return up, f"DROP INDEX {prefix}{index}"


def resources(world: World) -> dict[str, str]:
    """Resource file stem -> TOML text."""
    return {re.sub(r"\W", "_", t.display): render(t) for t in world}


# --- repair: keep every world valid -----------------------------------------------------------------------


def repair(world: World) -> World:
    """Drop or adjust whatever an edit left invalid; a valid world comes back unchanged."""
    world = tuple(_repair_table(t) for t in world)
    world = tuple(replace(t, columns=tuple(_repair_ref(t, c, world) for c in t.columns)) for t in world)
    return _dedupe_index_names(world)


def _valid(table: Table, expr: Expr | None) -> bool:
    col = table.col(expr.column) if expr is not None else None
    return col is not None and expr is not None and expr.family in ("*", col.type.family)


def repair_column(col: Col) -> Col:
    family = col.type.family
    generated = col.generated
    if generated is not None and (family != "int" or (generated == "identity" and col.type.name != "bigint")):
        generated = None
    spellings = SPELLINGS[col.type.name]
    if col.type.name == "timestamp" and col.type.precision == 0:
        spellings += ("utc_datetime", "naive_datetime")
    if generated == "serial":
        spellings += (SERIAL_SPELLINGS[col.type.name],)
    spelling = col.spelling if col.spelling in spellings else spellings[0]
    primary_key = col.primary_key and family in PK_FAMILIES
    # By type as well as value: True == 1 == 1.0 in Python, but TOML keeps them apart.
    known = any(type(v) is type(col.default) and v == col.default for v in DEFAULTS[family]) or (
        isinstance(col.default, Sql) and col.default.family == family
    )
    default = col.default if known and generated is None else None
    allow_nil = col.allow_nil and not primary_key and generated is None
    return replace(
        col,
        spelling=spelling,
        primary_key=primary_key,
        default=default,
        generated=generated,
        allow_nil=allow_nil,
    )


def _repair_table(table: Table) -> Table:
    table = replace(table, columns=tuple(repair_column(c) for c in table.columns))
    tenant = table.tenant if table.col(table.tenant) is not None else None
    table = replace(table, tenant=tenant)
    names = {c.name for c in table.columns}
    identities = []
    for identity in table.identities:
        keys = tuple(dict.fromkeys(k for k in identity.keys if k in names))
        where = identity.where if _valid(table, identity.where) else None
        if keys:
            identities.append(
                replace(
                    identity, keys=keys, where=where, all_tenants=identity.all_tenants and tenant is not None
                )
            )
    indexes = [i for i in (_repair_index(table, index) for index in table.indexes) if i is not None]
    checks = tuple(c for c in table.checks if _valid(table, c.expr))
    statements = tuple(s for s in table.statements if s.column in names)
    return replace(
        table, identities=tuple(identities), indexes=tuple(indexes), checks=checks, statements=statements
    )


def _repair_index(table: Table, index: Index) -> Index | None:
    fields: list[Field] = []
    for f in index.fields:
        fresh_column = f.column is not None and all(g.column != f.column for g in fields)
        if _valid(table, f.expr) or (fresh_column and table.col(f.column) is not None):
            fields.append(f)
    if not fields:
        return None
    all_tenants = index.all_tenants and table.tenant is not None
    effective = fields
    if table.tenant and not all_tenants and fields[0].column != table.tenant:
        # As the loader does: the tenant column first, dropping a plain (unordered) repeat of it.
        effective = [Field(table.tenant), *(f for f in fields if f != Field(table.tenant))]
    using = index.using if _method_fits(table, index, effective) else None
    columns = {f.column for f in effective}
    include = tuple(
        c for c in index.include if using in (None, "btree") and table.col(c) and c not in columns
    )
    return replace(
        index,
        fields=tuple(fields),
        using=using,
        include=tuple(dict.fromkeys(include)),
        where=index.where if _valid(table, index.where) else None,
        nulls_distinct=index.nulls_distinct or not index.unique,
        all_tenants=all_tenants,
    )


def _method_fits(table: Table, index: Index, effective: list[Field]) -> bool:
    """hash, gin and brin take no sort order, no uniqueness, no INCLUDE, and only some types."""
    if index.using in (None, "btree"):
        return True
    if index.unique or index.include or any(f.order or f.expr for f in effective):
        return False
    families = {col.type.family for f in effective if (col := table.col(f.column)) is not None}
    if index.using == "hash":
        return len(effective) == 1
    return families <= (GIN_FAMILIES if index.using == "gin" else BRIN_FAMILIES)


def fk_compatible(local: Col, remote: Col) -> bool:
    return local.type.family == remote.type.family and local.type.family in PK_FAMILIES


def _repair_ref(table: Table, col: Col, world: World) -> Col:
    ref = col.ref
    if ref is None:
        return col
    target = next((t for t in world if t.key == ref.table), None)
    pairs = ((col.name, ref.column), *ref.match_with)
    locals_ = [table.col(local) for local, _ in pairs]
    ok = (
        target is not None
        and len(target.pk) == len(pairs)
        and {remote for _, remote in pairs} == set(target.pk)
        and len({local for local, _ in pairs}) == len(pairs)
        and all(
            c is not None and (r := target.col(remote)) is not None and fk_compatible(c, r)
            for c, (_, remote) in zip(locals_, pairs, strict=True)
        )
        # Between two attribute-multitenant tables a composite key would need the tenant pair too.
        and not (table.tenant and target.tenant and len(pairs) > 1)
        and not (target.key == table.key and {lc for lc, _ in pairs} & set(target.pk))
    )
    return col if ok else replace(col, ref=None)


def relation_names(table: Table) -> list[str]:
    """The names a table claims in its schema's relation namespace, besides its custom indexes."""
    names = [table.name, f"{table.name}_pkey"]
    names += [f"{table.name}_{c.name}_seq" for c in table.columns if c.generated]
    names += [f"{table.name}_{c.name}_index" for c in table.columns if c.ref and c.ref.index]
    names += [statement_index(table, s) for s in table.statements]
    return names + [f"{table.name}_{i.name}_index" for i in table.identities]


def default_index_name(table: Table, index: Index) -> str | None:
    if any(f.expr is not None for f in index.fields):
        return None
    return re.sub(r"[^\w]", "_", "_".join([table.name, *(f.column or "" for f in index.fields), "index"]))


def _dedupe_index_names(world: World) -> World:
    taken: dict[str | None, set[str]] = {}
    for table in world:
        taken.setdefault(table.schema, set()).update(relation_names(table))
    out = []
    for table in world:
        names = taken[table.schema]
        indexes = []
        for index in table.indexes:
            name = index.name or default_index_name(table, index)
            if name is None or name in names:
                stem = re.sub(r"\W", "_", table.name)
                name = next(f"{stem}_ix{n}" for n in range(100) if f"{stem}_ix{n}" not in names)
                index = replace(index, name=name)
            names.add(name)
            indexes.append(index)
        out.append(replace(table, indexes=tuple(indexes)))
    return tuple(out)


def defaults(family: str) -> st.SearchStrategy[Value]:
    """A default for a column of the family: a literal or expression of DEFAULTS, or one of the grammar
    (tests/default_grammar) where it has the family."""
    pool = st.sampled_from(DEFAULTS[family])
    return pool | grammar_defaults(family) if family in GRAMMAR else pool


# --- strategies: a world ----------------------------------------------------------------------------------

TYPES = tuple(SPELLINGS)
PK_TYPES = ("bigint", "integer", "uuid", "text", "varchar", "smallint")
ON_DELETE = (None, "delete", "nilify", "restrict", "nothing")
ON_UPDATE = (None, "update", "nilify", "restrict", "nothing")
METHODS = (None, "btree", "hash", "gin", "brin")
DEFERRABLE: tuple[bool | str, ...] = (False, True, "initially")


def unused(pool: tuple[str, ...], taken: object) -> st.SearchStrategy[str | None]:
    free = [name for name in pool if name not in taken]  # type: ignore[operator]
    return st.sampled_from(free) if free else st.none()


@st.composite
def sql_types(draw: st.DrawFn, names: tuple[str, ...] = TYPES) -> SqlType:
    name = draw(st.sampled_from(names))
    if name == "varchar":
        return SqlType(name, size=draw(st.sampled_from((8, 20, 64))))
    if name == "numeric" and draw(st.booleans()):
        precision = draw(st.integers(3, 12))
        return SqlType(name, precision=precision, scale=draw(st.none() | st.integers(0, precision - 2)))
    if name in ("timestamp", "timestamptz") and draw(st.booleans()):
        return SqlType(name, precision=draw(st.integers(0, 6)))
    return SqlType(name)


@st.composite
def spellings(draw: st.DrawFn, col: Col) -> str:
    """Any accepted spelling of the column's type: respelling must never look like a change."""
    options = SPELLINGS[col.type.name]
    if col.type.name == "timestamp" and col.type.precision == 0:
        options += ("utc_datetime", "naive_datetime")
    if col.generated == "serial":
        options += (SERIAL_SPELLINGS[col.type.name],)
    return draw(st.sampled_from(options))


@st.composite
def columns(draw: st.DrawFn, name: str, types: tuple[str, ...] = TYPES, pk: bool = False) -> Col:
    sql_type = draw(sql_types(types))
    generated: Generated | None = None
    if sql_type.family == "int" and draw(st.integers(0, 2)) == 0:
        generated = "identity" if sql_type.name == "bigint" and draw(st.booleans()) else "serial"
    pool = DEFAULTS[sql_type.family]
    default = None if generated or not pool else draw(st.none() | defaults(sql_type.family))
    col = Col(name, sql_type, "", draw(st.booleans()), pk, default, generated)
    return replace(col, spelling=draw(spellings(col)))


@st.composite
def exprs(
    draw: st.DrawFn, table: Table, templates: dict[str, tuple[str, ...]], anything: bool
) -> Expr | None:
    """An expression over one column; `anything` also allows `IS NOT NULL`, valid for every type."""
    options = [(t, c.name, c.type.family) for c in table.columns for t in templates.get(c.type.family, ())]
    if anything:
        options += [("{c} IS NOT NULL", c.name, "*") for c in table.columns]
    if not options:
        return None
    return Expr(*draw(st.sampled_from(options)))


@st.composite
def identities(draw: st.DrawFn, table: Table, name: str) -> Identity:
    names = [c.name for c in table.columns]
    keys = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
    where = draw(st.none() | exprs(table, WHERES, True))
    return Identity(name, tuple(keys), where, draw(st.booleans()), draw(st.booleans()))


@st.composite
def fields(draw: st.DrawFn, table: Table) -> Field:
    col = draw(st.sampled_from(table.columns))
    kind = draw(st.sampled_from(("column", "order", "expression")))
    if kind == "order":
        return Field(col.name, draw(st.sampled_from(ORDERS)))
    expr = draw(exprs(table, INDEX_EXPRESSIONS, False)) if kind == "expression" else None
    return Field(expr=expr) if expr is not None else Field(col.name)


@st.composite
def indexes(draw: st.DrawFn, table: Table) -> Index:
    stem = re.sub(r"\W", "_", table.name)
    using = draw(st.sampled_from(METHODS))
    gin = [Field(c.name) for c in table.columns if c.type.family in GIN_FAMILIES]
    if using == "gin" and gin:  # gin only fits a few types: index those columns, in no order
        chosen = draw(st.lists(st.sampled_from(gin), min_size=1, max_size=2, unique=True))
    else:
        chosen = draw(st.lists(fields(table), min_size=1, max_size=1 if using == "hash" else 3))
    return Index(
        fields=tuple(chosen),
        name=draw(st.none() | st.sampled_from([f"{stem}_ix{n}" for n in range(3)])),
        unique=draw(st.booleans()) if using in (None, "btree") else False,
        using=using,
        where=draw(st.none() | exprs(table, WHERES, True)),
        include=tuple(draw(st.lists(st.sampled_from([c.name for c in table.columns]), max_size=1)))
        if using in (None, "btree")
        else (),
        nulls_distinct=draw(st.booleans()),
        concurrently=draw(st.integers(0, 5)) == 0,
        all_tenants=draw(st.booleans()),
    )


@st.composite
def checks(draw: st.DrawFn, table: Table, name: str) -> Check | None:
    expr = draw(exprs(table, CHECKS, True))
    return None if expr is None else Check(name, expr)


@st.composite
def tables(draw: st.DrawFn, name: str, schema: str | None) -> Table:
    keys = draw(st.sampled_from(((), ("id",), ("id",), ("id",), ("k1", "k2"))))
    cols = [draw(columns(k, PK_TYPES, pk=True)) for k in keys]
    for col_name in draw(st.lists(st.sampled_from(COLUMN_NAMES), min_size=1, max_size=4, unique=True)):
        cols.append(draw(columns(col_name)))
    tenant = None
    if draw(st.integers(0, 3)) == 0:
        tenant = TENANT
        cols.insert(draw(st.integers(0, len(cols))), Col(TENANT, SqlType("uuid"), "uuid", False))
    table = _repair_table(Table(name, schema, tenant, tuple(cols)))
    for _ in range(draw(st.integers(0, 2))):
        table = draw(edit_identity_of(table, "add"))
    for _ in range(draw(st.integers(0, 2))):
        table = _repair_table(replace(table, indexes=(*table.indexes, draw(indexes(table)))))
    for _ in range(draw(st.integers(0, 2))):
        table = draw(edit_check_of(table, "add"))
    if draw(st.integers(0, 2)) == 0:
        table = draw(edit_statement_of(table, "add"))
    return table


@st.composite
def references(
    draw: st.DrawFn, target: TableKey, column: str, match_with: tuple[tuple[str, str], ...]
) -> Ref:
    return Ref(
        target,
        column,
        match_with,
        on_delete=draw(st.sampled_from(ON_DELETE)),
        on_update=draw(st.sampled_from(ON_UPDATE)),
        deferrable=draw(st.sampled_from(DEFERRABLE)),
        index=draw(st.booleans()),
        named=draw(st.booleans()),
        explicit_schema=draw(st.booleans()),
        match_type=draw(st.sampled_from((None, "simple", "full"))),
    )


@st.composite
def add_foreign_key(draw: st.DrawFn, world: World, source: int) -> World:
    """New columns in `source` referencing the primary key of a table (itself included)."""
    targets = [t for t in world if t.pk]
    if not targets:
        return world
    target = draw(st.sampled_from(targets))
    table = world[source]
    taken = {c.name for c in table.columns}
    new_cols = []
    for remote in target.pk:
        name = draw(unused(FK_NAMES, taken))
        if name is None:
            return world
        taken.add(name)
        remote_col = target.col(remote)
        assert remote_col is not None
        sql_type = remote_col.type
        spelling = SPELLINGS[sql_type.name][0]
        new_cols.append(Col(name, sql_type, spelling, draw(st.booleans()), draw(st.integers(0, 4)) == 0))
    pairs = tuple((c.name, r) for c, r in zip(new_cols[1:], target.pk[1:], strict=True))
    ref = draw(references(target.key, target.pk[0], pairs))
    new_cols[0] = replace(new_cols[0], ref=ref)
    return _with(world, source, replace(table, columns=(*table.columns, *new_cols)))


def _with(world: World, position: int, table: Table) -> World:
    return (*world[:position], table, *world[position + 1 :])


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """Resource set A: one to four tables, some with foreign keys between them."""
    names = draw(st.lists(st.sampled_from(TABLE_NAMES), min_size=1, max_size=4, unique=True))
    world = repair(tuple(draw(tables(name, draw(st.sampled_from(SCHEMAS)))) for name in names))
    for source in range(len(world)):
        for _ in range(draw(st.integers(0, 2))):
            world = repair(draw(add_foreign_key(world, source)))
    return tuple(
        replace(t, origin=t.key, columns=tuple(replace(c, origin=c.name) for c in t.columns)) for t in world
    )


def taken_names(names: object, origins: object) -> set[str]:
    """Names in use, and names that were in A: reusing one would pair with the old object by name."""
    return {n for n in (*names, *origins) if n is not None}  # type: ignore[misc]


# --- strategies: edits of a world -------------------------------------------------------------------------


def _pick(draw: st.DrawFn, world: World) -> int | None:
    return draw(st.integers(0, len(world) - 1)) if world else None


def _replace_column(table: Table, name: str, new: Col | None) -> Table:
    cols = tuple(new if c.name == name else c for c in table.columns if new is not None or c.name != name)
    return replace(table, columns=cols)  # type: ignore[arg-type]


@st.composite
def casts(draw: st.DrawFn, old: SqlType) -> SqlType | None:
    """A type `old` converts to on an empty table; None when the column has no such change."""
    targets = CASTS.get(old.name)
    if not targets:
        return None
    name = draw(st.sampled_from(targets))
    if name == "varchar":
        grow = draw(st.integers(1, 50))
        return SqlType(name, size=old.size + grow if old.size else draw(st.sampled_from((8, 20, 64))))
    if name == "numeric" and old.name == "numeric":
        if old.precision is None:
            return None
        grow = draw(st.integers(1, 4))
        scale = None if old.scale is None else old.scale + draw(st.integers(0, grow))
        return SqlType(name, precision=old.precision + grow, scale=scale)
    if name in ("timestamp", "timestamptz") and old.name in ("timestamp", "timestamptz"):
        return SqlType(name, precision=old.precision)
    return SqlType(name)


@st.composite
def altered(draw: st.DrawFn, col: Col) -> Col:
    kind = draw(st.sampled_from(("type", "type", "nullability", "default", "generated", "spelling")))
    pool = DEFAULTS[col.type.family]
    if kind == "type":
        new_type = draw(casts(col.type))
        if new_type is not None:
            new_pool = DEFAULTS[new_type.family]
            default = draw(st.none() | defaults(new_type.family)) if new_pool and not col.generated else None
            generated = col.generated if new_type.family == "int" else None
            col = replace(col, type=new_type, default=default, generated=generated)
            return replace(col, spelling=draw(spellings(repair_column(col))))
    if kind == "default" and pool:
        return replace(col, default=draw(st.none() | defaults(col.type.family)), generated=None)
    if kind == "generated" and col.type.family == "int":
        options: tuple[Generated | None, ...] = (None, "serial", "identity")
        allowed = [
            g for g in options if g != col.generated and (g != "identity" or col.type.name == "bigint")
        ]
        generated = draw(st.sampled_from(allowed))
        default = None if generated or not pool else draw(st.none() | defaults(col.type.family))
        col = replace(col, generated=generated, default=default)
        return replace(col, spelling=draw(spellings(col)))
    if kind == "spelling":
        return replace(col, spelling=draw(spellings(col)))
    return replace(col, allow_nil=not col.allow_nil)


@st.composite
def alter_column(draw: st.DrawFn, world: World) -> World:
    i = _pick(draw, world)
    if i is None:
        return world
    col = draw(st.sampled_from(world[i].columns))
    return _with(world, i, _replace_column(world[i], col.name, draw(altered(col))))


@st.composite
def add_column(draw: st.DrawFn, world: World) -> World:
    """A new column; NOT NULL only with a default or a generator, as a user adding to a live table must."""
    i = _pick(draw, world)
    if i is None:
        return world
    table = world[i]
    name = draw(
        unused(COLUMN_NAMES, taken_names((c.name for c in table.columns), (c.origin for c in table.columns)))
    )
    if name is None:
        return world
    col = draw(columns(name))
    if draw(st.integers(0, 3)) == 0:  # a new primary-key column
        col = draw(columns(name, PK_TYPES, pk=True))
        if col.type.family == "int" and not col.generated:
            col = replace(col, generated="serial", default=None)
    pool = DEFAULTS[col.type.family]
    if not (col.allow_nil and not col.primary_key) and col.default is None and col.generated is None:
        col = replace(col, default=draw(defaults(col.type.family))) if pool else replace(col, allow_nil=True)
    return _with(world, i, replace(table, columns=(*table.columns, col)))


@st.composite
def drop_column(draw: st.DrawFn, world: World) -> World:
    i = _pick(draw, world)
    if i is None or len(world[i].columns) < 2:
        return world
    col = draw(st.sampled_from(world[i].columns))
    return _with(world, i, _replace_column(world[i], col.name, None))


@st.composite
def change_primary_key(draw: st.DrawFn, world: World) -> World:
    i = _pick(draw, world)
    if i is None:
        return world
    table = world[i]
    eligible = [c.name for c in table.columns if c.type.family in PK_FAMILIES]
    new_pk = draw(st.lists(st.sampled_from(eligible), max_size=2, unique=True)) if eligible else []
    cols = []
    for c in table.columns:
        allow_nil = c.allow_nil if c.primary_key == (c.name in new_pk) else draw(st.booleans())
        cols.append(replace(c, primary_key=c.name in new_pk, allow_nil=allow_nil))
    return _with(world, i, replace(table, columns=tuple(cols)))


Kind = Literal["add", "drop", "modify"]
KINDS: tuple[Kind, ...] = ("add", "drop", "modify")


@st.composite
def edit_identity_of(draw: st.DrawFn, table: Table, kind: Kind) -> Table:
    current = table.identities
    if kind == "add":
        name = draw(unused(IDENTITY_NAMES, {i.name for i in current}))
        new = () if name is None else (draw(identities(table, name)),)
        return _repair_table(replace(table, identities=(*current, *new)))
    if not current:
        return table
    n = draw(st.integers(0, len(current) - 1))
    new = () if kind == "drop" else (draw(identities(table, current[n].name)),)
    return _repair_table(replace(table, identities=(*current[:n], *new, *current[n + 1 :])))


@st.composite
def edit_index_of(draw: st.DrawFn, table: Table, kind: Kind) -> Table:
    current = table.indexes
    if kind == "add" or not current:
        return replace(table, indexes=(*current, draw(indexes(table))))
    n = draw(st.integers(0, len(current) - 1))
    new = () if kind == "drop" else (replace(draw(indexes(table)), name=current[n].name),)
    return replace(table, indexes=(*current[:n], *new, *current[n + 1 :]))


@st.composite
def edit_check_of(draw: st.DrawFn, table: Table, kind: Kind) -> Table:
    current = table.checks
    if kind == "add" or not current:
        name = draw(unused(CHECK_NAMES, {c.name for c in current}))
        new = None if name is None else draw(checks(table, name))
        return table if new is None else replace(table, checks=(*current, new))
    n = draw(st.integers(0, len(current) - 1))
    changed = None if kind == "drop" else draw(checks(table, current[n].name))
    return replace(table, checks=(*current[:n], *([changed] if changed else []), *current[n + 1 :]))


@st.composite
def edit_statement_of(draw: st.DrawFn, table: Table, kind: Kind) -> Table:
    current = table.statements
    column = draw(st.sampled_from([c.name for c in table.columns]))
    if kind == "add" or not current:
        name = draw(unused(STATEMENT_NAMES, {s.name for s in current}))
        return table if name is None else replace(table, statements=(*current, Stmt(name, column)))
    n = draw(st.integers(0, len(current) - 1))
    changed = () if kind == "drop" else (Stmt(current[n].name, column),)
    return replace(table, statements=(*current[:n], *changed, *current[n + 1 :]))


def _table_edit(
    edit: Callable[[Table, Kind], st.SearchStrategy[Table]],
) -> Callable[[World], st.SearchStrategy[World]]:
    @st.composite
    def run(draw: st.DrawFn, world: World) -> World:
        i = _pick(draw, world)
        if i is None:
            return world
        return _with(world, i, draw(edit(world[i], draw(st.sampled_from(KINDS)))))

    return run


edit_identity = _table_edit(edit_identity_of)
edit_index = _table_edit(edit_index_of)
edit_check = _table_edit(edit_check_of)
edit_statement = _table_edit(edit_statement_of)


@st.composite
def edit_foreign_key(draw: st.DrawFn, world: World) -> World:
    i = _pick(draw, world)
    if i is None:
        return world
    table = world[i]
    with_ref = [c for c in table.columns if c.ref is not None]
    kind = draw(st.sampled_from(KINDS))
    if kind == "add" or not with_ref:
        return draw(add_foreign_key(world, i))
    col = draw(st.sampled_from(with_ref))
    assert col.ref is not None
    ref = None if kind == "drop" else draw(references(col.ref.table, col.ref.column, col.ref.match_with))
    return _with(world, i, _replace_column(table, col.name, replace(col, ref=ref)))


@st.composite
def add_table(draw: st.DrawFn, world: World) -> World:
    name = draw(
        unused(TABLE_NAMES, taken_names((t.name for t in world), (t.origin[1] for t in world if t.origin)))
    )
    if name is None:
        return world
    world = (*world, draw(tables(name, draw(st.sampled_from(SCHEMAS)))))
    return draw(add_foreign_key(world, len(world) - 1)) if draw(st.booleans()) else world


@st.composite
def drop_table(draw: st.DrawFn, world: World) -> World:
    i = _pick(draw, world)
    return world if i is None else (*world[:i], *world[i + 1 :])


@st.composite
def move_table(draw: st.DrawFn, world: World) -> World:
    """Another schema: without a rename answer, a drop of the old table and a create of the new one."""
    i = _pick(draw, world)
    if i is None:
        return world
    old = world[i]
    schema = draw(st.sampled_from([s for s in dict.fromkeys(SCHEMAS) if s != old.schema]))
    moved = _with(world, i, replace(old, schema=schema, origin=None))

    def follow(col: Col) -> Col:
        if col.ref is None or col.ref.table != old.key:
            return col
        return replace(col, ref=replace(col.ref, table=(schema, old.name)))

    return tuple(replace(t, columns=tuple(follow(c) for c in t.columns)) for t in moved)


@st.composite
def toggle_tenant(draw: st.DrawFn, world: World) -> World:
    i = _pick(draw, world)
    if i is None:
        return world
    table = world[i]
    if table.tenant is not None:
        return _with(world, i, replace(table, tenant=None))
    if table.col(TENANT) is None:
        col = Col(TENANT, SqlType("uuid"), "uuid", False, default="gen_random_uuid()")
        table = replace(table, columns=(*table.columns, col))
    return _with(world, i, replace(table, tenant=TENANT))


# Repeats weight the edits most likely to interact: type changes, drops, checks and foreign keys.
EDITS = (
    alter_column, alter_column, alter_column, add_column, drop_column, change_primary_key, edit_identity,
    edit_index, edit_check, edit_check, edit_foreign_key, edit_foreign_key, add_table, drop_table, drop_table,
    move_table, toggle_tenant, edit_statement,
)  # fmt: skip
