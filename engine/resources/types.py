"""Canonical PostgreSQL types and the SQL fragments resource files carry (defaults, predicates).

Resources may spell a type the PostgreSQL way (`int4`, `character varying`), the Ash way (`string`,
`utc_datetime`) or canonically; everything downstream (snapshots, diff, render) sees one spelling, so a
mere respelling never shows up as a change. Lookups are plain dicts because loading runs on every save.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from snapshift.engine.resources.model import Column, Generated


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Canonical base types: PostgreSQL's own short DDL names.
BASE_TYPES = _words(
    """
    text varchar char bigint integer smallint boolean uuid numeric real float8 date time timetz timestamp
    timestamptz interval jsonb json bytea citext inet cidr macaddr macaddr8 money tsvector tsquery xml
    int4range int8range numrange tsrange tstzrange daterange bit varbit point line lseg box path polygon
    circle ltree oid jsonpath pg_lsn hstore int4multirange int8multirange nummultirange tsmultirange
    tstzmultirange datemultirange regclass name
    """
)

INTEGER_TYPES = frozenset({"bigint", "integer", "smallint"})
SIZED_TYPES = frozenset({"varchar", "char", "bit", "varbit"})  # take `size`
TIME_TYPES = frozenset({"time", "timetz", "timestamp", "timestamptz", "interval"})  # take precision 0..6
MAX_SIZE = 10_485_760  # PostgreSQL's limit for varchar(n) / char(n)

_Alias = tuple[str, int | None, Generated | None]  # canonical base, implied precision, implied generation

_ALIASES: dict[str, _Alias] = {
    # PostgreSQL spellings
    "decimal": ("numeric", None, None),
    "int": ("integer", None, None),
    "int4": ("integer", None, None),
    "int8": ("bigint", None, None),
    "int2": ("smallint", None, None),
    "bool": ("boolean", None, None),
    "double precision": ("float8", None, None),
    "float4": ("real", None, None),
    "character varying": ("varchar", None, None),
    "character": ("char", None, None),
    "bit varying": ("varbit", None, None),
    "timestamp with time zone": ("timestamptz", None, None),
    "timestamp without time zone": ("timestamp", None, None),
    "time with time zone": ("timetz", None, None),
    "time without time zone": ("time", None, None),
    "bigserial": ("bigint", None, "serial"),
    "serial8": ("bigint", None, "serial"),
    "serial": ("integer", None, "serial"),
    "serial4": ("integer", None, "serial"),
    "smallserial": ("smallint", None, "serial"),
    "serial2": ("smallint", None, "serial"),
    # Ash names (SPEC 3)
    "string": ("text", None, None),
    "ci_string": ("citext", None, None),
    "map": ("jsonb", None, None),
    "binary": ("bytea", None, None),
    "utc_datetime": ("timestamp", 0, None),
    "utc_datetime_usec": ("timestamp", None, None),
    "naive_datetime": ("timestamp", 0, None),
    "naive_datetime_usec": ("timestamp", None, None),
    "time_usec": ("time", None, None),
    "float": ("float8", None, None),
    "identity": ("bigint", None, "identity"),
}


@dataclass(frozen=True)
class CanonicalType:
    """A resolved column type: element `base`, array depth, and what the spelling implied."""

    base: str
    array_depth: int = 0
    precision: int | None = None  # implied precision (utc_datetime -> 0) when the column gives none
    generated: Generated | None = None  # implied by serial types and `identity`

    @property
    def name(self) -> str:
        """The canonical type string stored in the model, e.g. "varchar[]"."""
        return self.base + "[]" * self.array_depth


_CANONICAL: dict[str, CanonicalType] = {}


def canonical_type(name: str) -> CanonicalType:
    """Resolve any accepted spelling to its canonical type; ValueError names an unknown type."""
    found = _CANONICAL.get(name)
    if found is None:
        found = _resolve(name)
        _CANONICAL[name] = found
    return found


def _resolve(name: str) -> CanonicalType:
    key = " ".join(name.lower().split())
    depth = 0
    while key.endswith("[]"):
        key = key[:-2].rstrip()
        depth += 1
    if "(" in key:
        raise ValueError(
            f"unknown type '{name}': give size, precision and scale as keys (type = \"varchar\", size = 80)"
        )
    if key in BASE_TYPES:
        return CanonicalType(key, depth)
    alias = _ALIASES.get(key)
    if alias is None:
        raise ValueError(f"unknown type '{name}'")
    base, precision, generated = alias
    if generated is not None and depth:
        raise ValueError(f"type '{name}': an array cannot be {generated}")
    return CanonicalType(base, depth, precision, generated)


def element_type(type_name: str) -> str:
    """The element type of a canonical (possibly array) type: "varchar[][]" -> "varchar"."""
    cut = type_name.find("[")
    return type_name if cut < 0 else type_name[:cut]


class ModifierError(ValueError):
    """A size/precision/scale that the type does not take; `key` names the offending key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def check_modifiers(type_name: str, size: int | None, precision: int | None, scale: int | None) -> None:
    """Raise ModifierError when size/precision/scale do not fit the canonical `type_name`."""
    base = element_type(type_name)
    if size is not None:
        if base not in SIZED_TYPES:
            raise ModifierError(
                "size", f"size applies only to varchar, char, bit and varbit, not {type_name}"
            )
        if not 1 <= size <= MAX_SIZE:
            raise ModifierError("size", f"size must be between 1 and {MAX_SIZE}")
    if precision is not None:
        if base == "numeric":
            if not 1 <= precision <= 1000:
                raise ModifierError("precision", "precision of numeric must be between 1 and 1000")
        elif base in TIME_TYPES:
            if not 0 <= precision <= 6:
                raise ModifierError("precision", f"precision of {base} must be between 0 and 6")
        else:
            raise ModifierError(
                "precision",
                f"precision applies only to numeric and time/timestamp/interval types, not {type_name}",
            )
    if scale is not None:
        if base != "numeric":
            raise ModifierError("scale", f"scale applies only to numeric, not {type_name}")
        if precision is None:
            raise ModifierError("scale", "scale needs precision")
        if not 0 <= scale <= precision:
            raise ModifierError("scale", f"scale must be between 0 and precision ({precision})")


def resolve_generated(ctype: CanonicalType, generated: bool | None, has_default: bool) -> Generated | None:
    """Apply the `generated` rules: integers without a default become serial; otherwise a default is needed.

    With a default, the value comes from the default and the column is not marked generated.
    """
    if ctype.generated is not None:
        if generated is False:
            raise ValueError(f"a {ctype.generated} column is always generated; drop generated = false")
        if has_default:
            raise ValueError(f"a {ctype.generated} column cannot have a default")
        return ctype.generated
    if not generated or has_default:
        return None
    if ctype.array_depth == 0 and ctype.base in INTEGER_TYPES:
        return "serial"
    raise ValueError(
        f"generated = true on a {ctype.name} column needs a default (only integers become serial)"
    )


def sql_type(column: Column) -> str:
    """The DDL type text of a column: varchar(80), numeric(10,2), timestamp(0), text[], varchar(80)[].

    Serial and identity columns render as their integer type; see `serial_type` for CREATE TABLE.
    """
    type_name = column.type
    if column.size is not None:
        modifier = f"({column.size})"
    elif column.precision is not None:
        modifier = f"({column.precision})" if column.scale is None else f"({column.precision},{column.scale})"
    else:
        return type_name
    cut = type_name.find("[")
    if cut < 0:
        return type_name + modifier
    return type_name[:cut] + modifier + type_name[cut:]


_SERIAL_NAMES = {"bigint": "bigserial", "integer": "serial", "smallint": "smallserial"}


def serial_type(column: Column) -> str:
    """The pseudo-type that creates a serial column (bigserial/serial/smallserial)."""
    return _SERIAL_NAMES[column.type]


# --- SQL expressions -------------------------------------------------------------------------------------
#
# Defaults, `where` predicates, checks and index expressions must parse as PostgreSQL. sqlglot decides,
# but it is a large import and slow per parse, so a small recursive-descent recogniser accepts
# the everyday forms (literals, columns, calls, casts, comparisons, AND/OR/NOT, IS NULL) first. It only
# ever says "valid" or "don't know"; everything it does not know goes to sqlglot.

_SQL_TOKEN = re.compile(
    r"\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|('(?:[^']|'')*')|([A-Za-z_][A-Za-z0-9_$]*)"
    r"|(::|<=|>=|<>|!=|\|\||[-+*/%=<>(),.\[\]]))"
)
_COMPARISON = frozenset({"=", "<>", "!=", "<", ">", "<=", ">="})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "||"})
NILADIC = frozenset(
    {
        "current_date",
        "current_timestamp",
        "current_time",
        "localtimestamp",
        "localtime",
        "current_user",
        "session_user",
        "user",
        "current_role",
        "current_catalog",
        "current_schema",
    }
)
# Keywords the recogniser leaves to sqlglot: reserved words and ones with special expression syntax.
_KEYWORDS = NILADIC | _words(
    """
    all analyse analyze and any array as asc asymmetric both case cast check collate column constraint
    create default deferrable desc distinct do else end except fetch for foreign from grant group having
    in initially intersect into lateral leading limit not null offset on only or order placing primary
    references returning select some symmetric system_user table then to trailing union unique using
    variadic when where window with true false is isnull notnull like ilike similar between overlaps
    authorization binary collation concurrently cross freeze full inner join left natural outer right
    tablesample verbose exists extract position substring trim overlay coalesce nullif greatest least
    interval row values at zone escape time timestamp bit char character varchar national nchar precision
    double bigint boolean dec decimal float int integer numeric real smallint none normalize grouping inout
    out setof treat
    """
)


class _Unknown(Exception):
    """The recogniser cannot vouch for the text; ask sqlglot."""


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos, end = 0, len(text)
    while True:
        match = _SQL_TOKEN.match(text, pos)
        if match is None:
            if text[pos:].strip():
                raise _Unknown
            out.append("")
            return out
        token = match.group(match.lastindex or 0)
        out.append(token.lower() if match.lastindex == 3 else token)
        pos = match.end()
        if pos >= end:
            out.append("")
            return out


class _Recogniser:
    """Recursive descent over a small PostgreSQL expression grammar; raises _Unknown outside it."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str:
        return self.tokens[self.pos]

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.pos]
        if expected is not None and token != expected:
            raise _Unknown
        self.pos += 1
        return token

    def expression(self) -> None:
        self.conjunction()
        while self.peek() == "or":
            self.take()
            self.conjunction()

    def conjunction(self) -> None:
        self.negation()
        while self.peek() == "and":
            self.take()
            self.negation()

    def negation(self) -> None:
        if self.peek() == "not":
            self.take()
            self.negation()
            return
        self.comparison()

    def comparison(self) -> None:
        self.arithmetic()
        token = self.peek()
        if token in _COMPARISON:
            self.take()
            self.arithmetic()
        elif token == "is":
            self.take()
            if self.peek() == "not":
                self.take()
            if self.take() not in ("null", "true", "false"):
                raise _Unknown

    def arithmetic(self) -> None:
        self.unary()
        while self.peek() in _ARITHMETIC:
            self.take()
            self.unary()

    def unary(self) -> None:
        if self.peek() in ("-", "+"):
            self.take()
        self.primary()
        while self.peek() == "::":
            self.take()
            self.type_name()

    def type_name(self) -> None:
        name = self.take()
        if not name[:1].isalpha() or name in ("and", "or", "not", "is", "null"):
            raise _Unknown
        if self.peek() == "(":
            self.take()
            self.number()
            if self.peek() == ",":
                self.take()
                self.number()
            self.take(")")
        while self.peek() == "[":
            self.take()
            self.take("]")

    def number(self) -> None:
        if not self.take().isdigit():
            raise _Unknown

    def primary(self) -> None:
        token = self.take()
        first = token[:1]
        if first.isdigit() or first == "'" or token in ("true", "false", "null") or token in NILADIC:
            return
        if token == "(":
            self.expression()
            self.take(")")
            return
        if token == "position" and self.peek() == "(":  # position(substring IN string): b_exprs
            self.take()
            self.arithmetic()
            self.take("in")
            self.arithmetic()
            self.take(")")
            return
        if not (first.isalpha() or first == "_") or token in _KEYWORDS:
            raise _Unknown
        while self.peek() == ".":
            self.take()
            part = self.take()
            if not (part[:1].isalpha() or part[:1] == "_") or part in _KEYWORDS:
                raise _Unknown
        if self.peek() == "(":
            self.take()
            if self.peek() != ")":
                self.expression()
                while self.peek() == ",":
                    self.take()
                    self.expression()
            self.take(")")


def _recognised(text: str) -> bool:
    try:
        parser = _Recogniser(_tokens(text))
        parser.expression()
        return parser.peek() == "" and parser.pos == len(parser.tokens) - 1
    except (_Unknown, IndexError):
        return False


@lru_cache(maxsize=8192)
def expression_error(text: str) -> str | None:
    """None when `text` parses as one PostgreSQL value expression, else sqlglot's reason."""
    if not text.strip():
        return "empty SQL expression"
    if _recognised(text):
        return None
    return _sqlglot_error(text)


def _plain_reason(error: Exception) -> str:
    """sqlglot's reason in the user's words: its parser's class names never reach them."""
    details = getattr(error, "errors", None) or [{}]
    description = str(details[0].get("description") or str(error).split(". Line ")[0])
    near = str(details[0].get("highlight") or "").strip()
    if description.startswith("Required keyword"):
        return f"something is missing after '{near}'" if near else "it is incomplete"
    if description.startswith("Expecting )"):
        return "a closing ')' is missing"
    if description.startswith("Invalid expression / Unexpected token"):
        return f"unexpected '{near}'" if near else "an unexpected word or symbol"
    if description.startswith("Error tokenizing"):
        return "a quote is not closed, or a character is not SQL"
    if "<class" in description or "sqlglot" in description:
        return "it does not parse"
    return description[:1].lower() + description[1:]


def _sqlglot_error(text: str) -> str | None:
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(f"SELECT {text}", dialect="postgres")
    except sqlglot.errors.SqlglotError as error:
        return f"not a valid PostgreSQL expression: {_plain_reason(error)}"
    extra = [key for key, value in tree.args.items() if value and key != "expressions"]
    if not isinstance(tree, exp.Select) or len(tree.expressions) != 1 or extra:
        return "not a single PostgreSQL expression"
    if isinstance(tree.expressions[0], exp.Alias):
        return "not a single PostgreSQL expression (stray words after it)"
    return None
