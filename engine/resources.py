"""Resource files (SPEC 3) -> fully resolved `engine.model` tables.

Loading runs in two passes: each file is validated on its own (keys, types, expressions, columns it
names) into a draft, then the drafts are checked against each other (duplicate tables, references,
names that share a PostgreSQL namespace). Every error names the file, the key path and its line.
This runs on every save in the app, so the per-field work is dict lookups and cached checks.
"""

from __future__ import annotations

import gc
import glob
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from engine.config import ProjectConfig, repo_hint
from engine.errors import ResourceError
from engine.model import (
    MAX_IDENTIFIER_BYTES,
    Check,
    Column,
    Deferrable,
    Identity,
    Index,
    IndexField,
    MatchType,
    Multitenancy,
    OnAction,
    Reference,
    Statement,
    Table,
    default_sequence_name,
)
from engine.tomlpos import Doc, KeyPath, TomlTable, did_you_mean, load_toml
from engine.types import ModifierError, canonical_type, check_modifiers, expression_error, resolve_generated

_TOP_KEYS = frozenset(
    {"table", "repo", "schema", "multitenancy", "attributes", "identities", "indexes", "check_constraints",
     "statements"}
)  # fmt: skip
_ATTRIBUTE_KEYS = frozenset(
    {"type", "allow_nil", "primary_key", "default", "generated", "size", "precision", "scale", "references"}
)
_REFERENCE_KEYS = frozenset(
    {"table", "column", "schema", "name", "on_delete", "on_update", "deferrable", "index", "match_with",
     "match_type"}
)  # fmt: skip
_IDENTITY_KEYS = frozenset({"keys", "where", "nulls_distinct", "all_tenants", "index_name"})
_INDEX_KEYS = frozenset(
    {"fields", "name", "unique", "using", "where", "include", "nulls_distinct", "concurrently", "all_tenants"}
)
_CHECK_KEYS = frozenset({"name", "check", "attributes"})
_STATEMENT_KEYS = frozenset({"name", "up", "down"})
_MULTITENANCY_KEYS = frozenset({"strategy", "attribute"})
_ON_DELETE = frozenset({"delete", "nilify", "restrict", "nothing"})
_ON_UPDATE = frozenset({"update", "nilify", "restrict", "nothing"})
_ORDERS = frozenset(
    f"{direction}{nulls}".strip()
    for direction in ("ASC", "DESC", "")
    for nulls in ("", " NULLS FIRST", " NULLS LAST")
    if direction or nulls
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_NON_WORD = re.compile(r"[^\w]")
# Which source column types PostgreSQL accepts for a foreign key to a destination type (checked on PG 15).
_FK_SOURCES = {
    "smallint": {"integer", "bigint"},
    "integer": {"smallint", "bigint"},
    "bigint": {"smallint", "integer"},
    "numeric": {"smallint", "integer", "bigint"},
    "real": {"smallint", "integer", "bigint", "numeric", "float8"},
    "float8": {"smallint", "integer", "bigint", "numeric", "real"},
    "text": {"varchar", "char"},
    "varchar": {"text", "char"},
    "char": {"text", "varchar"},
    "timestamp": {"timestamptz", "date"},
    "timestamptz": {"timestamp", "date"},
    "date": {"timestamp", "timestamptz"},
    "uuid": set(),
}


class _RefSpec(NamedTuple):
    """A `references` table validated on its own; resolved against the destination in pass two."""

    column: str  # the source column
    table: str
    target: str  # destination column
    schema: str | None
    explicit_schema: bool
    name: str
    on_delete: OnAction | None
    on_update: OnAction | None
    deferrable: Deferrable
    with_index: bool
    match_with: tuple[tuple[str, str], ...]
    match_type: MatchType | None


_Name = tuple[str, str, KeyPath]  # a name PostgreSQL will hold, what carries it, and the key that set it


@dataclass(slots=True)
class _Draft:
    """One file after pass one: the table with its references still unresolved."""

    doc: Doc
    table: Table
    references: list[_RefSpec]
    columns: dict[str, Column]  # by name, for lookups from other tables
    primary_key: tuple[str, ...]
    relations: list[_Name]  # names this table takes in its schema's namespace of tables, indexes, sequences


def resource_paths(config: ProjectConfig) -> list[Path]:
    """The files the config's globs match, sorted, each once."""
    root = str(config.root)
    found: set[str] = set()
    for pattern in config.resource_globs:
        for match in glob.glob(pattern, root_dir=root, recursive=True):
            found.add(os.path.join(root, match))
    return [Path(name) for name in sorted(found) if os.path.isfile(name)]


def load_resources(config: ProjectConfig) -> list[Table]:
    """Every resource of the project, validated and resolved, sorted by table key (then repo)."""
    return load_resource_files(config, resource_paths(config))


def load_resource_files(config: ProjectConfig, paths: Iterable[Path]) -> list[Table]:
    """Load the given resource files as one project (references may only point among them)."""
    with _collector_paused():
        drafts = [_draft(config, path) for path in paths]
        tables = _resolve(drafts)
    # the order of Table.key.sort_key(), then the repo; spelled out to skip building TableKeys
    return sorted(
        tables, key=lambda t: (t.multitenancy.strategy == "context", t.schema or "public", t.name, t.repo)
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading allocates tens of thousands of acyclic objects; in a large process (the app) that would
    trigger full garbage collections that walk the whole heap. Nothing here creates cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- pass one: one file ----------------------------------------------------------------------------------


def _draft(config: ProjectConfig, path: Path) -> _Draft:
    data, text = load_toml(path, ResourceError)
    doc = Doc(path, text, ResourceError)
    doc.check_keys(data, _TOP_KEYS, ())
    name = doc.required_string(data, "table", ())
    _check_name(doc, ("table",), name, "table name")
    repo = doc.string(data, "repo", ())
    if repo is None:
        repo = config.default_repo.name
    elif config.repo(repo) is None:
        raise doc.error(("repo",), f"unknown repo '{repo}'{repo_hint(config, repo)}")
    schema = doc.string(data, "schema", ())
    if schema is not None:
        _check_name(doc, ("schema",), schema, "schema name")
        schema = None if schema == "public" else schema
    multitenancy = _multitenancy(doc, data.get("multitenancy"))
    if multitenancy.strategy == "context" and schema is not None:
        raise doc.error(
            ("schema",), "a context-multitenant table lives in every tenant schema; drop 'schema'"
        )
    columns, references = _columns(doc, name, data.get("attributes", {}))
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
        checks=_checks(doc, doc.tables(data, "check_constraints", ()), by_name),
        statements=_statements(doc, doc.tables(data, "statements", ())),
        source=path,
    )
    primary_key = tuple(column.name for column in columns if column.primary_key)
    return _Draft(
        doc, table, references, by_name, primary_key, _table_names(doc, table, primary_key, references)
    )


def _check_name(doc: Doc, key: KeyPath, name: str, what: str) -> None:
    """PostgreSQL silently truncates identifiers past 63 bytes, which would break every later diff."""
    if not name or "\x00" in name:
        raise doc.error(key, f"{what} must not be empty or contain NUL")
    if len(name) > MAX_IDENTIFIER_BYTES or (not name.isascii() and len(name.encode()) > MAX_IDENTIFIER_BYTES):
        raise doc.error(
            key,
            f"{what} '{name}' is {len(name.encode())} bytes long; PostgreSQL truncates names to "
            f"{MAX_IDENTIFIER_BYTES} bytes (choose a shorter name)",
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


def _columns(doc: Doc, table: str, value: object) -> tuple[tuple[Column, ...], list[_RefSpec]]:
    attributes = doc.table(value, ("attributes",))
    columns: list[Column] = []
    references: list[_RefSpec] = []
    for name, spec in attributes.items():
        if type(spec) is not dict:
            raise doc.wrong_type(("attributes", name), 'a table like { type = "text" }', spec)
        columns.append(_cached_column(doc, name, spec))
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


_ColumnKey = tuple[str, tuple[tuple[str, Any], ...], tuple[type, ...]]
_COLUMNS_BY_CONTENT: dict[_ColumnKey, Column] = {}
_COLUMNS_BY_SPEC: dict[int, tuple[TomlTable, Column]] = {}
_MEMO_LIMIT = 100_000


def _cached_column(doc: Doc, name: str, spec: TomlTable) -> Column:
    """Projects repeat the same attribute lines across many files; validate each distinct one once.

    The fast TOML reader hands out one (read-only) dict per distinct line, so most hits are found by
    identity; otherwise by content (without `references`, resolved per table), with the value types in
    the key because True == 1 == 1.0 in Python.
    """
    hit = _COLUMNS_BY_SPEC.get(id(spec))
    if hit is not None and hit[0] is spec and hit[1].name == name:
        return hit[1]
    items = tuple(item for item in spec.items() if item[0] != "references")
    try:
        content = (name, items, tuple([type(item[1]) for item in items]))
        column = _COLUMNS_BY_CONTENT.get(content)
    except TypeError:  # an unhashable (invalid) value: let _column report it
        return _column(doc, name, spec)
    if column is None:
        column = _column(doc, name, spec)
        if len(_COLUMNS_BY_CONTENT) < _MEMO_LIMIT:
            _COLUMNS_BY_CONTENT[content] = column
    if "references" not in spec and len(_COLUMNS_BY_SPEC) < _MEMO_LIMIT:
        _COLUMNS_BY_SPEC[id(spec)] = (spec, column)  # holding `spec` keeps its id from being reused
    return column


def _column(doc: Doc, name: str, spec: TomlTable) -> Column:
    key: KeyPath = ("attributes", name)
    _check_name(doc, key, name, "attribute name")
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
    return _sql(doc, key, text)


def _sql(doc: Doc, key: KeyPath, text: str) -> str:
    problem = expression_error(text)
    if problem is not None:
        raise doc.error(key, f"{problem}: {text}")
    return text


def _expression(doc: Doc, spec: TomlTable, name: str, key: KeyPath) -> str | None:
    text = doc.string(spec, name, key)
    return None if text is None else _sql(doc, (*key, name), text.strip())


def _choice(doc: Doc, spec: TomlTable, name: str, key: KeyPath, choices: frozenset[str]) -> Any:
    value = doc.string(spec, name, key)
    if value is not None and value not in choices:
        raise doc.error((*key, name), f"'{name}' cannot be '{value}'{did_you_mean(value, choices)}")
    return value


def _reference(doc: Doc, table: str, column: str, spec: TomlTable) -> _RefSpec:
    key: KeyPath = ("attributes", column, "references")
    doc.check_keys(spec, _REFERENCE_KEYS, key)
    target_table = doc.required_string(spec, "table", key)
    target = _or_default(doc.string(spec, "column", key), "id")
    schema = doc.string(spec, "schema", key)
    if schema is not None:
        _check_name(doc, (*key, "schema"), schema, "schema name")
    name = _or_default(doc.string(spec, "name", key), f"{table}_{column}_fkey")
    _check_name(doc, (*key, "name"), name, "foreign key name")
    deferrable = spec.get("deferrable", False)
    if type(deferrable) is not bool and deferrable != "initially":
        raise doc.wrong_type((*key, "deferrable"), 'true, false or "initially"', deferrable)
    index = doc.boolean(spec, "index", key, False)
    if index:
        _check_name(doc, (*key, "index"), f"{table}_{column}_index", "index name")
    match_type = _choice(doc, spec, "match_type", key, frozenset({"simple", "partial", "full"}))
    if match_type == "partial":
        raise doc.error((*key, "match_type"), "PostgreSQL does not implement MATCH PARTIAL")
    return _RefSpec(
        column=column,
        table=target_table,
        target=target,
        schema=None if schema == "public" else schema,
        explicit_schema=schema is not None,
        name=name,
        on_delete=_choice(doc, spec, "on_delete", key, _ON_DELETE),
        on_update=_choice(doc, spec, "on_update", key, _ON_UPDATE),
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


_IdentitySpec = tuple[TomlTable, tuple[str, ...], str | None, bool, bool, str | None]
_IDENTITY_SPECS: dict[tuple[int, str], _IdentitySpec] = {}


def _identities(
    doc: Doc, table: str, value: object, columns: Mapping[str, Column], tenant: str | None
) -> tuple[Identity, ...]:
    identities: list[Identity] = []
    for name, raw in doc.table(value, ("identities",)).items():
        key: KeyPath = ("identities", name)
        memo = _IDENTITY_SPECS.get((id(raw), name))
        if memo is None or memo[0] is not raw:
            memo = _identity_spec(doc, name, doc.table(raw, key))
        _, keys, where, nulls_distinct, all_tenants, index_name = memo
        for position, column in enumerate(keys):
            if column not in columns:
                raise doc.error(
                    (*key, "keys", position), f"unknown attribute '{column}'{did_you_mean(column, columns)}"
                )
        if index_name is None:
            index_name = f"{table}_{name}_index"
            _check_name(doc, key, index_name, "index name")
        if tenant is not None and not all_tenants:
            keys = _with_tenant(keys, tenant)
        identities.append(Identity(name, keys, index_name, where, nulls_distinct, all_tenants))
    if len(identities) > 1:
        identities.sort(key=lambda identity: identity.name)
    return tuple(identities)


def _identity_spec(doc: Doc, name: str, spec: TomlTable) -> _IdentitySpec:
    """What an identity says regardless of its table; memoised per (shared, read-only) spec."""
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
        _check_name(doc, (*key, "index_name"), index_name, "index name")
    where = _expression(doc, spec, "where", key)
    nulls_distinct = doc.boolean(spec, "nulls_distinct", key, True)
    memo = (
        spec,
        tuple(keys),
        where,
        nulls_distinct,
        doc.boolean(spec, "all_tenants", key, False),
        index_name,
    )
    if len(_IDENTITY_SPECS) < _MEMO_LIMIT:
        _IDENTITY_SPECS[(id(spec), name)] = memo  # holding `spec` keeps its id from being reused
    return memo


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
        fields = [_index_field(doc, (*key, "fields", n), text, columns) for n, text in enumerate(raw_fields)]
        name = doc.string(spec, "name", key)
        if name is None:
            for n, field in enumerate(fields):
                if not field.is_column:
                    raise doc.error((*key, "fields", n), "an index with an expression field needs a 'name'")
            name = _NON_WORD.sub("_", "_".join([table, *(field.value for field in fields), "index"]))
        _check_name(doc, (*key, "name") if "name" in spec else key, name, "index name")
        all_tenants = doc.boolean(spec, "all_tenants", key, False)
        if tenant is not None and not all_tenants and not (fields[0].is_column and fields[0].value == tenant):
            fields = [IndexField(tenant), *(f for f in fields if not (f.value == tenant and f.order is None))]
        using = doc.string(spec, "using", key)
        if using is not None and _IDENTIFIER.fullmatch(using) is None:
            raise doc.error(
                (*key, "using"), f"'using' must be an index method name like btree or gin, not '{using}'"
            )
        indexes.append(
            Index(
                name=name,
                fields=tuple(fields),
                unique=doc.boolean(spec, "unique", key, False),
                using=using.lower() if using is not None else None,
                where=_expression(doc, spec, "where", key),
                include=tuple(_column_list(doc, spec, "include", key, columns)),
                nulls_distinct=doc.boolean(spec, "nulls_distinct", key, True),
                concurrently=doc.boolean(spec, "concurrently", key, False),
                all_tenants=all_tenants,
            )
        )
    return tuple(indexes)


def _index_field(doc: Doc, key: KeyPath, text: str, columns: Mapping[str, Column]) -> IndexField:
    """A column, a column with a sort order ("inserted_at desc"), or a SQL expression."""
    if text in columns:
        return IndexField(text)
    parts = text.split(None, 1)
    if len(parts) == 2:
        order = " ".join(parts[1].upper().split())
        if order in _ORDERS:
            if parts[0] in columns:
                return IndexField(parts[0], True, order)
            if _IDENTIFIER.fullmatch(parts[0]):
                raise doc.error(key, f"unknown attribute '{parts[0]}'{did_you_mean(parts[0], columns)}")
    stripped = text.strip()
    if _IDENTIFIER.fullmatch(stripped):
        raise doc.error(key, f"unknown attribute '{stripped}'{did_you_mean(stripped, columns)}")
    return IndexField(_sql(doc, key, stripped), is_column=False)


def _checks(doc: Doc, specs: list[TomlTable], columns: Mapping[str, Column]) -> tuple[Check, ...]:
    checks: list[Check] = []
    seen: set[str] = set()
    for position, spec in enumerate(specs):
        key: KeyPath = ("check_constraints", position)
        doc.check_keys(spec, _CHECK_KEYS, key)
        name = doc.required_string(spec, "name", key)
        _check_name(doc, (*key, "name"), name, "check constraint name")
        if name in seen:
            raise doc.error((*key, "name"), f"check constraint '{name}' is defined twice")
        seen.add(name)
        check = _sql(doc, (*key, "check"), doc.required_string(spec, "check", key).strip())
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
    doc: Doc, table: Table, primary_key: tuple[str, ...], references: list[_RefSpec]
) -> list[_Name]:
    """The names PostgreSQL will hold for this table, checked for length and clashes within the table.

    Tables, indexes and sequences share one namespace per schema (checked across files in pass two);
    constraints (primary key, foreign keys, checks) share one per table.
    """
    relations: list[_Name] = [(table.name, "table", ("table",))]
    constraints: dict[str, tuple[str, KeyPath]] = {}
    if primary_key:
        pkey_key: KeyPath = ("attributes", primary_key[0])
        _check_name(doc, pkey_key, table.pkey_name, "primary key name")
        relations.append((table.pkey_name, "primary key index", pkey_key))
        constraints[table.pkey_name] = ("primary key", pkey_key)
    for column in table.columns:
        if column.generated is not None:
            sequence = default_sequence_name(table.name, column.name)
            _check_name(doc, ("attributes", column.name), sequence, "sequence name")
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


def _claim(doc: Doc, seen: dict[str, tuple[str, KeyPath]], claim: _Name) -> None:
    name, what, key = claim
    other = seen.get(name)
    if other is not None:
        raise doc.error(key, f"{what} '{name}' clashes with the {other[0]} of the same name")
    seen[name] = (what, key)


# --- pass two: across files ------------------------------------------------------------------------------


def _resolve(drafts: list[_Draft]) -> list[Table]:
    by_key: dict[tuple[str, str | None, str, bool], _Draft] = {}
    by_name: dict[str, list[_Draft]] = {}
    for draft in drafts:
        table = draft.table
        other = by_key.setdefault((table.repo, table.schema, table.name, table.is_tenant), draft)
        if other is not draft:
            raise draft.doc.error(
                ("table",), f"table '{table.key.display()}' is already defined in {other.doc.path}"
            )
        by_name.setdefault(table.name, []).append(draft)
    _check_namespaces(drafts)
    return [_with_references(draft, by_name) if draft.references else draft.table for draft in drafts]


def _check_namespaces(drafts: list[_Draft]) -> None:
    """Two tables of one schema must not claim the same table, index or sequence name."""
    spaces: dict[tuple[str, str | None, bool], dict[str, tuple[_Draft, _Name]]] = {}
    for draft in drafts:
        table = draft.table
        space = spaces.setdefault((table.repo, table.schema, table.is_tenant), {})
        for claim in draft.relations:
            other, first = space.setdefault(claim[0], (draft, claim))
            if other is not draft:
                name, what, key = claim
                message = f"{what} '{name}' clashes with the {first[1]} of the same name in {other.doc.path}"
                raise draft.doc.error(key, message)


def _with_references(draft: _Draft, by_name: Mapping[str, list[_Draft]]) -> Table:
    table = draft.table
    columns = list(table.columns)
    positions = {column.name: n for n, column in enumerate(columns)}
    for spec in draft.references:
        position = positions[spec.column]
        old = columns[position]
        columns[position] = Column(
            old.name, old.type, old.allow_nil, old.primary_key, old.default, old.generated, old.size,
            old.precision, old.scale, _resolve_reference(draft, spec, by_name),
        )  # fmt: skip
    return Table(
        table.name, table.repo, table.schema, table.multitenancy, tuple(columns), table.identities,
        table.indexes, table.checks, table.statements, table.source,
    )  # fmt: skip


def _resolve_reference(draft: _Draft, spec: _RefSpec, by_name: Mapping[str, list[_Draft]]) -> Reference:
    doc, source = draft.doc, draft.table
    key: KeyPath = ("attributes", spec.column, "references")
    found = _destination(draft, spec, by_name)
    destination = found.table
    target = found.columns.get(spec.target)
    if target is None:
        raise doc.error(
            (*key, "column"),
            f"table '{destination.key.display()}' has no attribute '{spec.target}'"
            + did_you_mean(spec.target, found.columns),
        )
    _check_fk_types(doc, (*key, "table"), draft.columns[spec.column], target)
    match_with = list(spec.match_with)
    for local, remote in match_with:
        remote_column = found.columns.get(remote)
        if remote_column is None:
            raise doc.error(
                (*key, "match_with", local), f"table '{destination.name}' has no attribute '{remote}'"
            )
        _check_fk_types(doc, (*key, "match_with", local), draft.columns[local], remote_column)
    match_type = spec.match_type
    src_tenant, dst_tenant = source.multitenancy.attribute, destination.multitenancy.attribute
    if src_tenant is not None and dst_tenant is not None and found.primary_key != (spec.target,):
        if spec.column != src_tenant and all(local != src_tenant for local, _ in match_with):
            match_with.append((src_tenant, dst_tenant))
        if match_type not in (None, "full"):
            raise doc.error(
                (*key, "match_type"),
                "a reference between attribute-multitenant tables to a non-primary-key column "
                "must be MATCH FULL",
            )
        match_type = "full"
    if match_with or found.primary_key != (spec.target,):
        _check_unique_target(doc, key, found, (spec.target, *(remote for _, remote in match_with)))
    with_index = spec.with_index
    return Reference(
        destination.name, spec.target, spec.name, destination.schema, spec.on_delete, spec.on_update,
        spec.deferrable, with_index, f"{source.name}_{spec.column}_index" if with_index else None,
        tuple(match_with), match_type, destination.multitenancy.strategy == "context",
    )  # fmt: skip


def _destination(draft: _Draft, spec: _RefSpec, by_name: Mapping[str, list[_Draft]]) -> _Draft:
    """The referenced table, in the same repo: explicit schema, else the same tenant, else public."""
    named = by_name.get(spec.table, ())
    source = draft.table
    if len(named) == 1 and not spec.explicit_schema:  # the usual case: one table of that name
        only = named[0].table
        if only.repo == source.repo and (not only.is_tenant or source.is_tenant):
            return named[0]
    doc = draft.doc
    key: KeyPath = ("attributes", spec.column, "references", "table")
    candidates = [other for other in named if other.table.repo == source.repo]
    if spec.explicit_schema:
        found = [c for c in candidates if not c.table.is_tenant and c.table.schema == spec.schema]
        if found:
            return found[0]
        raise doc.error(
            (*key[:-1], "schema"), f"no table '{spec.table}' in schema '{spec.schema or 'public'}'"
        )
    tenant = [c for c in candidates if c.table.is_tenant]
    shared = sorted((c for c in candidates if not c.table.is_tenant), key=lambda c: c.table.schema or "")
    if tenant and source.is_tenant:
        return tenant[0]
    if shared:
        if shared[0].table.schema is None or len(shared) == 1:
            return shared[0]
        schemas = ", ".join(c.table.schema or "public" for c in shared)
        raise doc.error(
            key, f"table '{spec.table}' exists in several schemas ({schemas}); set references.schema"
        )
    if tenant:
        raise doc.error(
            key,
            f"'{spec.table}' is a context-multitenant (per-tenant) table; "
            "a table outside the tenant schemas cannot reference it",
        )
    elsewhere = sorted({other.table.repo for other in named})
    if elsewhere:
        raise doc.error(
            key, f"table '{spec.table}' belongs to repo '{elsewhere[0]}'; references stay within a repo"
        )
    known = sorted({d.table.name for ds in by_name.values() for d in ds if d.table.repo == source.repo})
    raise doc.error(key, f"unknown table '{spec.table}'{did_you_mean(spec.table, known)}")


def _check_fk_types(doc: Doc, key: KeyPath, source: Column, target: Column) -> None:
    if source.type == target.type:
        return
    allowed = _FK_SOURCES.get(target.type)
    if allowed is not None and source.type in _FK_SOURCES and source.type not in allowed:
        raise doc.error(
            key,
            f"attribute '{source.name}' ({source.type}) cannot reference "
            f"'{target.name}' ({target.type}): PostgreSQL has no equality between these types",
        )


def _check_unique_target(doc: Doc, key: KeyPath, found: _Draft, columns: tuple[str, ...]) -> None:
    """PostgreSQL needs a primary key or a non-partial unique index on exactly the referenced columns."""
    destination = found.table
    wanted = frozenset(columns)
    if wanted == frozenset(found.primary_key):
        return
    for identity in destination.identities:
        if identity.where is None and wanted == frozenset(identity.keys):
            return
    for index in destination.indexes:
        plain = index.unique and index.where is None and all(field.is_column for field in index.fields)
        if plain and wanted == frozenset(field.value for field in index.fields):
            return
    listed = ", ".join(columns)
    raise doc.error(
        (*key, "column"),
        f"({listed}) of '{destination.key.display()}' is neither its primary key nor a unique identity; "
        "PostgreSQL can only reference unique columns",
    )
