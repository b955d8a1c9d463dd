"""The columns a SQL expression names, so that an index, `where` or check naming a column its table lacks
(a renamed one, say) stops at generate instead of breaking every fresh build of the migrations.

sqlglot decides what is a column; a token scan first settles the everyday case (every word a known
column, a call, a type or a reserved word) without importing it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from snapshift.engine.resources.types import NILADIC

_TOKEN = re.compile(
    r"\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|('(?:[^']|'')*')|([A-Za-z_][A-Za-z0-9_$]*)"
    r"|(::|<=|>=|<>|!=|\|\||[-+*/%=<>(),.\[\]]))"
)
_WORD_GROUP = 3
_STRING = re.compile(r"'(?:[^']|'')*'")
# a word that is no call, no type after `::` and no part of a dotted name: what may name a column
_BARE_WORD = re.compile(r"(?<![:.\w$])[A-Za-z_][A-Za-z0-9_$]*(?![\w$]|\s*[(.])")
# Words PostgreSQL never reads as a column when unquoted (reserved, or a niladic function).
_NILADIC = NILADIC | {"system_user"}  # PostgreSQL 16's; DEFAULT's recogniser leaves it to sqlglot
_RESERVED = _NILADIC | frozenset(
    {"all", "and", "any", "array", "as", "case", "distinct", "else", "end", "false", "from", "ilike", "in",
     "is", "isnull", "like", "not", "notnull", "null", "or", "similar", "some", "then", "true", "when"}
)  # fmt: skip


def unknown_column(text: str, columns: Collection[str]) -> str | None:
    """The first column `text` names that is not in `columns`, as PostgreSQL folds names, else None.

    Only unqualified names count; an expression sqlglot cannot parse names nothing (PostgreSQL judges it).
    """
    if '"' not in text and all(
        w.lower() in columns or w.lower() in _RESERVED for w in _BARE_WORD.findall(_STRING.sub("''", text))
    ):
        return None  # every bare word a column or reserved: the everyday default or `where`, without a scan
    candidates = _candidate_words(text)
    if candidates is not None and all(name in columns for name in candidates):
        return None
    return next((name for name in _column_names(text) if name not in columns), None)


@lru_cache(maxsize=4096)
def _candidate_words(text: str) -> tuple[str, ...] | None:
    """Every word that might be a column reference, folded; None when the scan cannot vouch for `text`.

    A word is not a column when it is called, follows `::`, sits next to a dot or is reserved; anything
    else (quotes, `$`, multi-word type names) is only a candidate, and sqlglot settles it.
    """
    tokens = _tokens(text)
    if tokens is None:
        return None
    return tuple(
        word
        for position, (word, is_word) in enumerate(tokens)
        if is_word and word not in _RESERVED and not _is_name_part(tokens, position)
    )


def _is_name_part(tokens: list[tuple[str, bool]], position: int) -> bool:
    """A function's name, a type's name, or part of a dotted name."""
    before = tokens[position - 1][0] if position > 0 else ""
    after = tokens[position + 1][0] if position + 1 < len(tokens) else ""
    return after in ("(", ".") or before in ("::", ".")


def _tokens(text: str) -> list[tuple[str, bool]] | None:
    """(token, is a bare word) pairs, words folded to lowercase; None on anything the pattern lacks."""
    tokens: list[tuple[str, bool]] = []
    position, end = 0, len(text.rstrip())
    while position < end:
        match = _TOKEN.match(text, position)
        if match is None:
            return None
        is_word = match.lastindex == _WORD_GROUP
        token = match.group(match.lastindex or 0)
        tokens.append((token.lower() if is_word else token, is_word))
        position = match.end()
    return tokens


@lru_cache(maxsize=4096)
def _column_names(text: str) -> tuple[str, ...]:
    """The unqualified column names sqlglot finds in `text`, folded, in order; none when it cannot parse."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(f"SELECT {text}", dialect="postgres")
    except sqlglot.errors.SqlglotError:
        return ()
    names: list[str] = []
    for column in tree.find_all(exp.Column, bfs=False):
        identifier = column.this
        if column.table or not isinstance(identifier, exp.Identifier):
            continue
        name = identifier.name if identifier.quoted else _fold(identifier.name)
        if identifier.quoted or name not in _NILADIC:
            names.append(name)
    return tuple(names)


def _fold(name: str) -> str:
    """An unquoted name as PostgreSQL stores it: ASCII letters lowercased, the rest kept."""
    return "".join(char.lower() if char.isascii() else char for char in name)
