"""Column defaults from a small SQL grammar, typed by family (issue 18 item 2, acceptance 2).

DEFAULT takes a restricted expression: NOT, IN, IS NULL, LIKE, BETWEEN, AND/OR and comparisons only in
parentheses; literals, casts and function calls as written. The grammar draws all of them, nested (CASE,
COALESCE, arithmetic, concatenation, casts of casts), so snapshift must parenthesize exactly where
PostgreSQL needs it, in CREATE TABLE, ADD COLUMN and SET DEFAULT, up and down, and keep the user's text
so that generating again finds nothing to do.

Values stay small enough for every type of their family (smallint, numeric(3, 1), varchar(8)): integer
literals 0-4, at most two levels of arithmetic, text of at most 8 characters (only literals are
concatenated).
"""

from __future__ import annotations

from hypothesis import strategies as st

FAMILIES = ("int", "num", "float", "text", "bool")


class Sql(str):
    """A default drawn from the grammar: SQL text that knows the type family it evaluates to."""

    family: str

    def __new__(cls, text: str, family: str) -> Sql:
        made = super().__new__(cls, text)
        made.family = family
        return made

    def __repr__(self) -> str:
        return f"Sql({str(self)!r}, {self.family!r})"


def _int(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(("0", "1", "2", "3", "4", "-1", "'3'::integer", "CAST('2' AS smallint)"))
    if depth == 0:
        return leaf
    sub = _int(depth - 1)
    return st.one_of(
        leaf,
        st.builds("{} + {}".format, sub, sub),
        st.builds("{} * {}".format, sub, sub),
        st.builds("({} - {})".format, sub, sub),
        st.builds("abs({})".format, sub),
        st.builds("greatest({}, {})".format, sub, sub),
        st.builds("({})::integer".format, sub),
        st.builds("length({})".format, _text(depth - 1)),
        st.builds("COALESCE(NULL, {})".format, sub),
        st.builds("CASE WHEN {} THEN {} ELSE {} END".format, _bool(depth - 1), sub, sub),
    )


def _num(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(("0", "1.5", "2.25", "'0.5'::numeric"))
    if depth == 0:
        return leaf
    sub = _num(depth - 1)
    return st.one_of(
        leaf,
        st.builds("{} + {}".format, sub, sub),
        st.builds("({} - {})".format, sub, sub),
        st.builds("round({}, 1)".format, sub),
        st.builds("({})::numeric".format, _int(0)),
    )


def _float(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(("0.5", "1", "'2.5'::float8", "pi()"))
    if depth == 0:
        return leaf
    sub = _float(depth - 1)
    return st.one_of(leaf, st.builds("{} * {}".format, sub, sub), st.builds("sqrt({})".format, st.just("4")))


def _text(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(("''", "'a'", "'xy'", "'a%'", "'it''s'", "'2'::text"))
    if depth == 0:
        return leaf
    sub = _text(depth - 1)
    return st.one_of(
        leaf,
        st.builds("{} || {}".format, leaf, leaf),
        st.builds("lower({})".format, sub),
        st.builds("upper({})".format, sub),
        st.builds("COALESCE(NULL, {})".format, sub),
        st.builds("({})::text".format, _int(0)),
        st.builds("CASE WHEN {} THEN {} ELSE {} END".format, _bool(depth - 1), sub, sub),
    )


def _bool(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(("true", "false", "'t'::boolean", "NULL IS NULL"))
    if depth == 0:
        return leaf
    sub = _bool(depth - 1)
    num, text = _int(depth - 1), _text(depth - 1)
    return st.one_of(
        leaf,
        st.builds("NOT {}".format, sub),
        st.builds("{} IN ({}, {})".format, num, num, num),
        st.builds("{} NOT IN ({})".format, text, text),
        st.builds("{} IS NULL".format, text),
        st.builds("{} IS NOT NULL".format, num),
        st.builds("{} LIKE 'a%'".format, text),
        st.builds("{} BETWEEN {} AND {}".format, num, num, num),
        st.builds("{} AND {}".format, sub, sub),
        st.builds("{} OR {}".format, sub, sub),
        st.builds("{} = {}".format, num, num),
        st.builds("{} < {}".format, num, num),
        st.builds("({})".format, sub),
    )


GRAMMAR = {"int": _int, "num": _num, "float": _float, "text": _text, "bool": _bool}


@st.composite
def grammar_defaults(draw: st.DrawFn, family: str) -> Sql:
    """A default of the family, one or two levels deep."""
    return Sql(draw(GRAMMAR[family](draw(st.integers(1, 2)))), family)
