"""Canonical types, modifiers, generated-column rules, DDL type text and SQL expression checks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snapshift.engine.resources.model import Column
from snapshift.engine.resources.types import (
    CanonicalType,
    ModifierError,
    _recognised,
    _sqlglot_error,
    canonical_type,
    check_modifiers,
    expression_error,
    resolve_generated,
    serial_type,
    sql_type,
)
from tests.support.paths import REPO_ROOT

CANONICAL = [
    # PostgreSQL names map to themselves
    ("text", "text"),
    ("varchar", "varchar"),
    ("uuid", "uuid"),
    ("jsonb", "jsonb"),
    ("timestamptz", "timestamptz"),
    ("tstzrange", "tstzrange"),
    ("ltree", "ltree"),
    ("hstore", "hstore"),
    ("tstzmultirange", "tstzmultirange"),
    # PostgreSQL aliases
    ("decimal", "numeric"),
    ("int", "integer"),
    ("int4", "integer"),
    ("int8", "bigint"),
    ("int2", "smallint"),
    ("bool", "boolean"),
    ("double precision", "float8"),
    ("float4", "real"),
    ("character varying", "varchar"),
    ("character", "char"),
    ("timestamp with time zone", "timestamptz"),
    ("timestamp without time zone", "timestamp"),
    ("time with time zone", "timetz"),
    ("bit varying", "varbit"),
    # Ash names (SPEC 3)
    ("string", "text"),
    ("ci_string", "citext"),
    ("map", "jsonb"),
    ("binary", "bytea"),
    ("utc_datetime_usec", "timestamp"),
    ("naive_datetime_usec", "timestamp"),
    ("time_usec", "time"),
    ("float", "float8"),
    # spelling variations and arrays
    ("TEXT", "text"),
    ("  Double   Precision ", "float8"),
    ("text[]", "text[]"),
    ("string[]", "text[]"),
    ("int[][]", "integer[][]"),
    ("character varying []", "varchar[]"),
]


@pytest.mark.parametrize(("spelling", "canonical"), CANONICAL)
def test_canonical_type_names(spelling: str, canonical: str) -> None:
    assert canonical_type(spelling).name == canonical


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("utc_datetime", CanonicalType("timestamp", 0, 0, None)),
        ("naive_datetime", CanonicalType("timestamp", 0, 0, None)),
        ("bigserial", CanonicalType("bigint", 0, None, "serial")),
        ("serial", CanonicalType("integer", 0, None, "serial")),
        ("smallserial", CanonicalType("smallint", 0, None, "serial")),
        ("identity", CanonicalType("bigint", 0, None, "identity")),
        ("varchar[][]", CanonicalType("varchar", 2)),
    ],
)
def test_canonical_type_carries_implied_precision_and_generation(
    spelling: str, expected: CanonicalType
) -> None:
    assert canonical_type(spelling) == expected


@pytest.mark.parametrize(
    "spelling", ["strng", "varchar(80)", "numeric(10,2)", "serial[]", "identity[]", "", "[]"]
)
def test_unknown_or_malformed_types_are_rejected(spelling: str) -> None:
    with pytest.raises(ValueError, match="type"):
        canonical_type(spelling)


def test_parenthesised_type_hints_at_keys() -> None:
    with pytest.raises(ValueError, match="size = 80"):
        canonical_type("varchar(80)")


@pytest.mark.parametrize(
    ("type_name", "size", "precision", "scale"),
    [
        ("varchar", 80, None, None),
        ("char", 2, None, None),
        ("varbit", 8, None, None),
        ("varchar[]", 10, None, None),
        ("numeric", None, 10, 2),
        ("numeric", None, 10, None),
        ("numeric", None, 5, 5),
        ("timestamp", None, 0, None),
        ("timestamptz", None, 6, None),
        ("interval", None, 3, None),
        ("time", None, 0, None),
    ],
)
def test_modifiers_that_fit(
    type_name: str, size: int | None, precision: int | None, scale: int | None
) -> None:
    check_modifiers(type_name, size, precision, scale)


@pytest.mark.parametrize(
    ("type_name", "size", "precision", "scale", "key"),
    [
        ("text", 10, None, None, "size"),
        ("integer", 4, None, None, "size"),
        ("varchar", 0, None, None, "size"),
        ("text", None, 3, None, "precision"),
        ("timestamp", None, 7, None, "precision"),
        ("numeric", None, 0, None, "precision"),
        ("numeric", None, None, 2, "scale"),
        ("numeric", None, 4, 5, "scale"),
        ("float8", None, None, 1, "scale"),
    ],
)
def test_modifiers_that_do_not_fit(
    type_name: str, size: int | None, precision: int | None, scale: int | None, key: str
) -> None:
    with pytest.raises(ModifierError) as raised:
        check_modifiers(type_name, size, precision, scale)
    assert raised.value.key == key


def test_generated_integer_without_default_becomes_serial() -> None:
    assert resolve_generated(canonical_type("bigint"), True, has_default=False) == "serial"
    assert resolve_generated(canonical_type("smallint"), True, has_default=False) == "serial"


def test_generated_with_default_takes_value_from_default() -> None:
    assert resolve_generated(canonical_type("bigint"), True, has_default=True) is None
    assert resolve_generated(canonical_type("uuid"), True, has_default=True) is None


def test_generated_non_integer_without_default_is_an_error() -> None:
    with pytest.raises(ValueError, match="needs a default"):
        resolve_generated(canonical_type("uuid"), True, has_default=False)


def test_serial_and_identity_types_are_always_generated() -> None:
    assert resolve_generated(canonical_type("bigserial"), None, has_default=False) == "serial"
    assert resolve_generated(canonical_type("identity"), True, has_default=False) == "identity"
    with pytest.raises(ValueError, match="cannot have a default"):
        resolve_generated(canonical_type("identity"), None, has_default=True)
    with pytest.raises(ValueError, match="always generated"):
        resolve_generated(canonical_type("serial"), False, has_default=False)


def test_not_generated_is_none() -> None:
    assert resolve_generated(canonical_type("bigint"), None, has_default=False) is None
    assert resolve_generated(canonical_type("bigint"), False, has_default=False) is None


@pytest.mark.parametrize(
    ("column", "ddl"),
    [
        (Column("a", "varchar", size=80), "varchar(80)"),
        (Column("a", "char", size=2), "char(2)"),
        (Column("a", "numeric", precision=10, scale=2), "numeric(10,2)"),
        (Column("a", "numeric", precision=10), "numeric(10)"),
        (Column("a", "numeric"), "numeric"),
        (Column("a", "timestamp", precision=0), "timestamp(0)"),
        (Column("a", "text[]"), "text[]"),
        (Column("a", "varchar[]", size=80), "varchar(80)[]"),
        (Column("a", "numeric[][]", precision=4, scale=1), "numeric(4,1)[][]"),
        (Column("a", "bigint", generated="identity"), "bigint"),
        (Column("a", "float8"), "float8"),
    ],
)
def test_sql_type(column: Column, ddl: str) -> None:
    assert sql_type(column) == ddl


def test_serial_type() -> None:
    assert serial_type(Column("a", "bigint", generated="serial")) == "bigserial"
    assert serial_type(Column("a", "integer", generated="serial")) == "serial"
    assert serial_type(Column("a", "smallint", generated="serial")) == "smallserial"


VALID_EXPRESSIONS = [
    "0",
    "-1.5",
    "1e10",
    "'draft'",
    "'it''s'",
    "'{}'",
    "'{}'::text[]",
    "'x'::varchar(20)",
    "true",
    "NULL",
    "now()",
    "gen_random_uuid()",
    "pg_catalog.now()",
    "CURRENT_TIMESTAMP",
    "current_date",
    "price > 0",
    "price >= 0 AND price < 100",
    "archived = false",
    "deleted_at IS NULL",
    "deleted_at IS NOT NULL OR (a <> b)",
    "NOT archived",
    "lower(body)",
    "coalesce(a, b)",
    "length(title) BETWEEN 1 AND 10",
    "(now() AT TIME ZONE 'utc')",
    "status IN ('a', 'b')",
    "interval '1 day'",
    "ARRAY[1, 2]",
    "a || '-' || b",
    "char_length(slug) <= 80",
    "position('@' in email::text) > 1",
    "POSITION(a || 'x' IN lower(b)) = 0",
]


@pytest.mark.parametrize("text", VALID_EXPRESSIONS)
def test_valid_expressions(text: str) -> None:
    assert expression_error(text) is None


INVALID_EXPRESSIONS = [
    "",
    "   ",
    "now(",
    "price >",
    "a = = b",
    "'unterminated",
    "1 FROM t",
    "1; DROP TABLE x",
    "select 1",
    "a b c",
    "now() x",
    "position('a' in)",
    "position(a in b in c)",
]


@pytest.mark.parametrize("text", [t for t in VALID_EXPRESSIONS if _recognised(t)])
def test_recognised_expressions_are_valid_for_sqlglot_too(text: str) -> None:
    """The fast path answers as sqlglot would (position(a IN b) included)."""
    assert _sqlglot_error(text) is None


@pytest.mark.parametrize("text", INVALID_EXPRESSIONS)
def test_invalid_expressions(text: str) -> None:
    assert expression_error(text) is not None


def test_everyday_expressions_do_not_import_sqlglot() -> None:
    """sqlglot costs ~200 ms to import; common defaults and checks must not need it."""
    code = (
        "import sys\n"
        "from snapshift.engine.resources.types import expression_error\n"
        "for text in ['now()', 'price > 0', \"'{}'::text[]\", 'a IS NOT NULL AND b = 1', 'lower(x)',\n"
        "             \"position('@' in email::text) > 1\"]:\n"
        "    assert expression_error(text) is None, text\n"
        "print('sqlglot' in sys.modules)\n"
    )
    root = REPO_ROOT
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == "False"


# --- the fast recogniser never accepts what PostgreSQL's parser rejects ---------------------------------

_ATOMS = [
    "a",
    "price",
    "t.col",
    "0",
    "1.5",
    "1e3",
    "'x'",
    "'it''s'",
    "'{}'",
    "true",
    "null",
    "now()",
    "current_date",
]
_BINARY = ["=", "<>", "!=", "<", ">=", "+", "-", "*", "/", "%", "||", "AND", "OR"]
_SOUP = [
    *_ATOMS,
    *_BINARY,
    "NOT",
    "IS",
    "(",
    ")",
    ",",
    "::",
    "text",
    "int[]",
    "varchar(3)",
    ".",
    "lower",
    "[",
    "]",
    "position(",
    "IN",
]


@st.composite
def _sql(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 7 if depth < 3 else 0))
    if kind == 0:
        return draw(st.sampled_from(_ATOMS))
    if kind == 1:
        return f"{draw(_sql(depth + 1))} {draw(st.sampled_from(_BINARY))} {draw(_sql(depth + 1))}"
    if kind == 2:
        return f"NOT {draw(_sql(depth + 1))}"
    if kind == 3:
        return f"({draw(_sql(depth + 1))})"
    if kind == 4:
        return (
            f"{draw(_sql(depth + 1))} IS {draw(st.sampled_from(['NULL', 'NOT NULL', 'TRUE', 'NOT FALSE']))}"
        )
    if kind == 5:
        args = draw(st.lists(_sql(depth + 1), max_size=2))
        return f"{draw(st.sampled_from(['lower', 'coalesce', 'f', 's.f']))}({', '.join(args)})"
    if kind == 6:
        return f"position({draw(_sql(depth + 1))} IN {draw(_sql(depth + 1))})"
    return (
        f"{draw(_sql(depth + 1))}::{draw(st.sampled_from(['text', 'int[]', 'varchar(3)', 'numeric(4,1)']))}"
    )


_soup = st.lists(st.sampled_from(_SOUP), min_size=1, max_size=7).map(" ".join)


@pytest.fixture(scope="module")
def pg(pg_server_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        yield conn


def _parses_in_postgres(conn: psycopg.Connection[tuple[object, ...]], text: str) -> bool:
    """False only for a syntax error; unknown columns or type mismatches are not the recogniser's business."""
    try:
        conn.execute(f"SELECT {text}")
    except psycopg.errors.SyntaxError:
        return False
    except psycopg.Error:
        pass
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(_sql(), _soup))
def test_recogniser_accepts_only_valid_postgres(
    pg: psycopg.Connection[tuple[object, ...]], text: str
) -> None:
    if _recognised(text):
        assert _parses_in_postgres(pg, text), text


@pytest.mark.parametrize("text", VALID_EXPRESSIONS)
def test_valid_expressions_parse_in_postgres(pg: psycopg.Connection[tuple[object, ...]], text: str) -> None:
    assert _parses_in_postgres(pg, text)
