"""How a column default is written after `DEFAULT`: PostgreSQL takes only a restricted expression there.

Its grammar (`b_expr`) has no AND, OR, NOT, IN, LIKE, IS NULL or BETWEEN, so `DEFAULT NOT false` is a
syntax error while `DEFAULT (NOT false)` is fine. So a default that is a literal, a function call, a cast
or already parenthesized is written as it is (simple defaults render as they always did), anything else
goes in parentheses, and snapshots keep the user's text.
"""

from __future__ import annotations

from functools import lru_cache

from snapshift.engine.resources.types import _KEYWORDS, NILADIC, _Recogniser, _tokens, _Unknown


@lru_cache(maxsize=8192)
def needs_parentheses(text: str) -> bool:
    """Whether DEFAULT would not take `text` as it is. The common atoms are vouched for from the tokens,
    without loading sqlglot (a large import); sqlglot's parse decides everything else, and what it cannot
    parse goes in parentheses."""
    atomic = _atomic_by_tokens(text)
    if atomic is None:
        atomic = _atomic_by_sqlglot(text)
    return not atomic


def _atomic_by_tokens(text: str) -> bool | None:
    """True when `text` is one literal, call or parenthesized group, optionally cast; None when unsure."""
    try:
        tokens = _tokens(text)
        end = _atom_end(tokens, 0)
        parser = _Recogniser(tokens)
        parser.pos = end
        while parser.peek() == "::":
            parser.take()
            parser.type_name()
        return True if parser.peek() == "" and parser.pos == len(tokens) - 1 else None
    except (_Unknown, IndexError):
        return None


def _atom_end(tokens: list[str], pos: int) -> int:
    """The position after the atom starting at `pos`; _Unknown when it is not a plain atom."""
    token = tokens[pos]
    first = token[:1]
    if token in ("-", "+") and tokens[pos + 1][:1].isdigit():
        return pos + 2
    if first.isdigit() or first == "'" or token in ("true", "false", "null") or token in NILADIC:
        return pos + 1
    if token == "(":
        return _closing(tokens, pos) + 1
    if not (first.isalpha() or first == "_") or token in _KEYWORDS:
        raise _Unknown
    pos += 1
    while tokens[pos] == ".":
        part = tokens[pos + 1]
        if not (part[:1].isalpha() or part[:1] == "_") or part in _KEYWORDS:
            raise _Unknown
        pos += 2
    if tokens[pos] != "(":
        raise _Unknown
    return _closing(tokens, pos) + 1


def _closing(tokens: list[str], opening: int) -> int:
    """The position of the parenthesis closing the one at `opening`."""
    depth = 0
    for pos in range(opening, len(tokens)):
        if tokens[pos] == "(":
            depth += 1
        elif tokens[pos] == ")":
            depth -= 1
            if depth == 0:
                return pos
    raise _Unknown


def _atomic_by_sqlglot(text: str) -> bool:
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(f"SELECT {text}", dialect="postgres")
    except sqlglot.errors.SqlglotError:
        return False
    if not isinstance(tree, exp.Select) or len(tree.expressions) != 1:
        return False
    node = tree.expressions[0]
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return True
    if isinstance(node, exp.Literal | exp.Boolean | exp.Null | exp.Cast | exp.Paren):
        return True
    # function-call syntax; sqlglot also makes operators (->, ~, COLLATE, ...) Func nodes, which are not
    return isinstance(node, exp.Func) and not isinstance(node, exp.Binary | exp.Unary | exp.Predicate)
