"""Pass one of resource loading: one resource file -> a `Draft`, checked on its own.

Everything that can be checked without the other files is checked here (keys, types, expressions, the
columns a table's identities, indexes and checks name, clashes of names within the table); references
wait for pass two (`resource_links`). Attributes are read by `resource_columns`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path

from snapshift.engine.base.errors import ResourceError
from snapshift.engine.base.pglimits import MAX_COLUMNS
from snapshift.engine.resources.config import ProjectConfig, repo_hint
from snapshift.engine.resources.expression_columns import unknown_column
from snapshift.engine.resources.model import (
    Check,
    Column,
    Identity,
    Index,
    IndexField,
    Multitenancy,
    Statement,
    Table,
    default_sequence_name,
)
from snapshift.engine.resources.resource_columns import ColumnCache, read_columns
from snapshift.engine.resources.resource_draft import (
    IDENTIFIER,
    Draft,
    NameClaim,
    RefSpec,
    check_name,
    checked_sql,
)
from snapshift.engine.resources.tomlpos import Doc, KeyPath, TomlTable, did_you_mean, load_toml

_TOP_KEYS = frozenset(
    {"table", "repo", "schema", "multitenancy", "attributes", "identities", "indexes", "check_constraints",
     "statements"}
)  # fmt: skip
_IDENTITY_KEYS = frozenset({"keys", "where", "nulls_distinct", "all_tenants", "index_name"})
_INDEX_KEYS = frozenset(
    {"fields", "name", "unique", "using", "where", "include", "nulls_distinct", "concurrently", "all_tenants"}
)
_CHECK_KEYS = frozenset({"name", "check", "attributes"})
_STATEMENT_KEYS = frozenset({"name", "up", "down"})
_MULTITENANCY_KEYS = frozenset({"strategy", "attribute"})
INDEX_ORDERS = frozenset(  # the sort orders an index field may take (snapshots are held to them too)
    f"{direction}{nulls}".strip()
    for direction in ("ASC", "DESC", "")
    for nulls in ("", " NULLS FIRST", " NULLS LAST")
    if direction or nulls
)
BUILTIN_INDEX_METHODS = ("brin", "btree", "gin", "gist", "hash", "spgist")


def _check_index_method(doc: Doc, key: KeyPath, using: str) -> None:
    """An index method name; a near miss of a built-in one is a typo (extensions add others: bloom,
    rum, hnsw, so an unknown name that resembles none is let through for PostgreSQL to judge)."""
    if IDENTIFIER.fullmatch(using) is None:
        raise doc.error(key, f"'using' must be an index method name like btree or gin, not '{using}'")
    method = using.lower()
    close = difflib.get_close_matches(method, BUILTIN_INDEX_METHODS, n=1, cutoff=0.75)
    if method not in BUILTIN_INDEX_METHODS and close:
        raise doc.error(key, f"unknown index method '{using}' (did you mean '{close[0]}'?)")


_NON_WORD = re.compile(r"[^\w]")


def draft_file(config: ProjectConfig, path: Path, column_cache: ColumnCache | None = None) -> Draft:
    """Read and check one resource file; raises ResourceError naming the key and line. `column_cache`:
    the columns validated for other files, shared."""
    data, text = load_toml(path, ResourceError)
    doc = Doc(path, text, ResourceError)
    doc.check_keys(data, _TOP_KEYS, ())
    name = doc.required_string(data, "table", ())
    check_name(doc, ("table",), name, "table name")
    repo = doc.string(data, "repo", ())
    if repo is None:
        repo = config.default_repo.name
    elif config.repo(repo) is None:
        raise doc.error(("repo",), f"unknown repo '{repo}'{repo_hint(config, repo)}")
    schema = doc.string(data, "schema", ())
    if schema is not None:
        check_name(doc, ("schema",), schema, "schema name")
        schema = None if schema == "public" else schema
    multitenancy = _multitenancy(doc, data.get("multitenancy"))
    if multitenancy.strategy == "context" and schema is not None:
        raise doc.error(
            ("schema",), "a context-multitenant table lives in every tenant schema; drop 'schema'"
        )
    columns, references = read_columns(doc, name, data.get("attributes", {}), column_cache)
    if len(columns) > MAX_COLUMNS:
        raise doc.error(
            ("attributes",),
            f"table '{name}' has {len(columns)} columns; PostgreSQL allows at most {MAX_COLUMNS}",
        )
    by_name = {column.name: column for column in columns}
    tenant = multitenancy.attribute
    if tenant is not None and tenant not in by_name:
        raise doc.error(
            ("multitenancy", "attribute"), f"unknown attribute '{tenant}'{did_you_mean(tenant, by_name)}"
        )
    table = Table(
        name=name,
        repo=repo,
        schema=schema,
        multitenancy=multitenancy,
        columns=columns,
        identities=_identities(doc, name, data.get("identities", {}), by_name, tenant),
        indexes=_indexes(doc, name, doc.tables(data, "indexes", ()), by_name, tenant),
        checks=_checks(doc, name, doc.tables(data, "check_constraints", ()), by_name),
        statements=_statements(doc, doc.tables(data, "statements", ())),
        source=path,
    )
    primary_key = tuple(column.name for column in columns if column.primary_key)
    return Draft(
        doc, table, references, by_name, primary_key, _table_names(doc, table, primary_key, references)
    )


def _multitenancy(doc: Doc, value: object) -> Multitenancy:
    if value is None:
        return Multitenancy()
    key: KeyPath = ("multitenancy",)
    spec = doc.table(value, key)
    doc.check_keys(spec, _MULTITENANCY_KEYS, key)
    strategy = doc.required_string(spec, "strategy", key)
    attribute = doc.string(spec, "attribute", key)
    if strategy == "attribute":
        if attribute is None:
            raise doc.error(key, "strategy 'attribute' needs 'attribute' (the tenant column)")
        return Multitenancy("attribute", attribute)
    if strategy == "context":
        if attribute is not None:
            raise doc.error((*key, "attribute"), "'attribute' only applies to strategy 'attribute'")
        return Multitenancy("context")
    raise doc.error((*key, "strategy"), f"unknown strategy '{strategy}' (expected 'attribute' or 'context')")


def _expression(doc: Doc, spec: TomlTable, name: str, key: KeyPath) -> str | None:
    text = doc.string(spec, name, key)
    return None if text is None else checked_sql(doc, (*key, name), text.strip())


def _check_columns(
    doc: Doc, key: KeyPath, text: str | None, table: str, columns: Mapping[str, Column]
) -> None:
    """An expression names only its table's columns: a stale name (a renamed column) passes migrate, where
    PostgreSQL rewrites the expression, but fails every fresh build of the migrations."""
    missing = None if text is None else unknown_column(text, columns)
    if missing is not None:
        raise doc.error(
            key,
            f"the expression names column '{missing}' which table '{table}' does not have"
            f"{_column_hint(missing, columns)}",
        )


def _column_hint(name: str, columns: Mapping[str, Column]) -> str:
    """Did-you-mean, or how to write a column whose name has capitals (unquoted names fold to lowercase)."""
    for column in columns:
        if column.lower() == name and column != name:
            return f' (did you mean "{column}"? unquoted names fold to lowercase, so quote it)'
    return did_you_mean(name, columns)


def _with_tenant(keys: tuple[str, ...], tenant: str) -> tuple[str, ...]:
    """The tenant column first, once (AshPostgres: Enum.uniq([tenant | keys]))."""
    if keys and keys[0] == tenant:
        return keys
    return (tenant, *(name for name in keys if name != tenant))


def _column_list(
    doc: Doc, spec: TomlTable, name: str, key: KeyPath, columns: Mapping[str, Column]
) -> list[str]:
    names = doc.strings(spec, name, key) or []
    for position, column in enumerate(names):
        if column not in columns:
            raise doc.error(
                (*key, name, position), f"unknown attribute '{column}'{did_you_mean(column, columns)}"
            )
        if names.index(column) != position:
            raise doc.error((*key, name, position), f"attribute '{column}' is listed twice")
    return names


_IdentitySpec = tuple[tuple[str, ...], str | None, bool, bool, str | None]


def _identities(
    doc: Doc, table: str, value: object, columns: Mapping[str, Column], tenant: str | None
) -> tuple[Identity, ...]:
    identities: list[Identity] = []
    for name, raw in doc.table(value, ("identities",)).items():
        key: KeyPath = ("identities", name)
        keys, where, nulls_distinct, all_tenants, index_name = _identity_spec(doc, name, doc.table(raw, key))
        for position, column in enumerate(keys):
            if column not in columns:
                raise doc.error(
                    (*key, "keys", position), f"unknown attribute '{column}'{did_you_mean(column, columns)}"
                )
        _check_columns(doc, (*key, "where"), where, table, columns)
        if index_name is None:
            index_name = f"{table}_{name}_index"
            check_name(doc, key, index_name, "index name")
        if tenant is not None and not all_tenants:
            keys = _with_tenant(keys, tenant)
        identities.append(Identity(name, keys, index_name, where, nulls_distinct, all_tenants))
    if len(identities) > 1:
        identities.sort(key=lambda identity: identity.name)
    return tuple(identities)


def _identity_spec(doc: Doc, name: str, spec: TomlTable) -> _IdentitySpec:
    """What an identity says regardless of its table."""
    key: KeyPath = ("identities", name)
    doc.check_keys(spec, _IDENTITY_KEYS, key)
    doc.require(spec, "keys", key)
    keys = doc.strings(spec, "keys", key) or []
    if not keys:
        raise doc.error((*key, "keys"), "an identity needs at least one key")
    for position, column in enumerate(keys):
        if keys.index(column) != position:
            raise doc.error((*key, "keys", position), f"attribute '{column}' is listed twice")
    index_name = doc.string(spec, "index_name", key)
    if index_name is not None:
        check_name(doc, (*key, "index_name"), index_name, "index name")
    where = _expression(doc, spec, "where", key)
    nulls_distinct = doc.boolean(spec, "nulls_distinct", key, True)
    return tuple(keys), where, nulls_distinct, doc.boolean(spec, "all_tenants", key, False), index_name


def _indexes(
    doc: Doc, table: str, specs: list[TomlTable], columns: Mapping[str, Column], tenant: str | None
) -> tuple[Index, ...]:
    indexes: list[Index] = []
    for position, spec in enumerate(specs):
        key: KeyPath = ("indexes", position)
        doc.check_keys(spec, _INDEX_KEYS, key)
        doc.require(spec, "fields", key)
        raw_fields = doc.strings(spec, "fields", key) or []
        if not raw_fields:
            raise doc.error((*key, "fields"), "an index needs at least one field")
        fields = [
            _index_field(doc, (*key, "fields", n), text, table, columns) for n, text in enumerate(raw_fields)
        ]
        name = doc.string(spec, "name", key)
        if name is None:
            for n, field in enumerate(fields):
                if not field.is_column:
                    raise doc.error((*key, "fields", n), "an index with an expression field needs a 'name'")
            name = _NON_WORD.sub("_", "_".join([table, *(field.value for field in fields), "index"]))
        check_name(doc, (*key, "name") if "name" in spec else key, name, "index name")
        all_tenants = doc.boolean(spec, "all_tenants", key, False)
        if tenant is not None and not all_tenants and not (fields[0].is_column and fields[0].value == tenant):
            fields = [IndexField(tenant), *(f for f in fields if not (f.value == tenant and f.order is None))]
        using = doc.string(spec, "using", key)
        if using is not None:
            _check_index_method(doc, (*key, "using"), using)
        where = _expression(doc, spec, "where", key)
        _check_columns(doc, (*key, "where"), where, table, columns)
        indexes.append(
            Index(
                name=name,
                fields=tuple(fields),
                unique=doc.boolean(spec, "unique", key, False),
                using=using.lower() if using is not None else None,
                where=where,
                include=tuple(_column_list(doc, spec, "include", key, columns)),
                nulls_distinct=doc.boolean(spec, "nulls_distinct", key, True),
                concurrently=doc.boolean(spec, "concurrently", key, False),
                all_tenants=all_tenants,
            )
        )
    return tuple(indexes)


def _index_field(doc: Doc, key: KeyPath, text: str, table: str, columns: Mapping[str, Column]) -> IndexField:
    """A column, a column with a sort order ("inserted_at desc"), or a SQL expression."""
    if text in columns:
        return IndexField(text)
    parts = text.split(None, 1)
    if len(parts) == 2:
        order = " ".join(parts[1].upper().split())
        if order in INDEX_ORDERS:
            if parts[0] in columns:
                return IndexField(parts[0], True, order)
            if IDENTIFIER.fullmatch(parts[0]):
                raise doc.error(key, f"unknown attribute '{parts[0]}'{did_you_mean(parts[0], columns)}")
    stripped = text.strip()
    if IDENTIFIER.fullmatch(stripped):
        raise doc.error(key, f"unknown attribute '{stripped}'{did_you_mean(stripped, columns)}")
    _check_columns(doc, key, checked_sql(doc, key, stripped), table, columns)
    return IndexField(stripped, is_column=False)


def _checks(doc: Doc, table: str, specs: list[TomlTable], columns: Mapping[str, Column]) -> tuple[Check, ...]:
    checks: list[Check] = []
    seen: set[str] = set()
    for position, spec in enumerate(specs):
        key: KeyPath = ("check_constraints", position)
        doc.check_keys(spec, _CHECK_KEYS, key)
        name = doc.required_string(spec, "name", key)
        check_name(doc, (*key, "name"), name, "check constraint name")
        if name in seen:
            raise doc.error((*key, "name"), f"check constraint '{name}' is defined twice")
        seen.add(name)
        check = checked_sql(doc, (*key, "check"), doc.required_string(spec, "check", key).strip())
        _check_columns(doc, (*key, "check"), check, table, columns)
        attributes = tuple(_column_list(doc, spec, "attributes", key, columns))
        checks.append(Check(name, check, attributes))
    return tuple(checks)


def _statements(doc: Doc, specs: list[TomlTable]) -> tuple[Statement, ...]:
    statements: list[Statement] = []
    seen: set[str] = set()
    for position, spec in enumerate(specs):
        key: KeyPath = ("statements", position)
        doc.check_keys(spec, _STATEMENT_KEYS, key)
        name = doc.required_string(spec, "name", key)
        if name in seen:
            raise doc.error((*key, "name"), f"statement '{name}' is defined twice")
        seen.add(name)
        up = doc.required_string(spec, "up", key)
        statements.append(Statement(name, up, doc.required_string(spec, "down", key)))
    return tuple(statements)


def _table_names(
    doc: Doc, table: Table, primary_key: tuple[str, ...], references: list[RefSpec]
) -> list[NameClaim]:
    """The names PostgreSQL will hold for this table, checked for length and clashes within the table.

    Tables, indexes and sequences share one namespace per schema (checked across files in pass two);
    constraints (primary key, foreign keys, checks) share one per table.
    """
    relations: list[NameClaim] = [(table.name, "table", ("table",))]
    constraints: dict[str, tuple[str, KeyPath]] = {}
    if primary_key:
        pkey_key: KeyPath = ("attributes", primary_key[0])
        check_name(doc, pkey_key, table.pkey_name, "primary key name")
        relations.append((table.pkey_name, "primary key index", pkey_key))
        constraints[table.pkey_name] = ("primary key", pkey_key)
    for column in table.columns:
        if column.generated is not None:
            sequence = default_sequence_name(table.name, column.name)
            check_name(doc, ("attributes", column.name), sequence, "sequence name")
            relations.append((sequence, "sequence", ("attributes", column.name)))
    for spec in references:
        key: KeyPath = ("attributes", spec.column, "references")
        _claim(doc, constraints, (spec.name, "foreign key", key))
        if spec.with_index:
            relations.append((f"{table.name}_{spec.column}_index", "foreign key index", (*key, "index")))
    relations.extend(
        (identity.index_name, "identity index", ("identities", identity.name))
        for identity in table.identities
    )
    relations.extend((index.name, "index", ("indexes", n)) for n, index in enumerate(table.indexes))
    for n, check in enumerate(table.checks):
        _claim(doc, constraints, (check.name, "check constraint", ("check_constraints", n, "name")))
    if len(relations) > 1:
        seen: dict[str, tuple[str, KeyPath]] = {}
        for name in relations:
            _claim(doc, seen, name)
    return relations


def _claim(doc: Doc, seen: dict[str, tuple[str, KeyPath]], claim: NameClaim) -> None:
    name, what, key = claim
    other = seen.get(name)
    if other is not None:
        raise doc.error(key, f"{what} '{name}' clashes with the {other[0]} of the same name")
    seen[name] = (what, key)
