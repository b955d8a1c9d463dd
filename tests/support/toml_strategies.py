"""Hypothesis strategies for TOML documents shaped like config and resource files.

They feed the differential test of the fast reader against tomllib (tests/engine/resources/test_toml_reader.py). A
document is what a resource file looks like: pairs at the top, then `[tables]` and `[[arrays]]` of
tables with `key = value` lines (inline tables, arrays over several lines, comments), blank lines and odd
spacing. Most of it is valid and inside the fast reader's subset, so that its values get compared; now
and then a part is not: a repeated key or table, a value outside the subset (dotted keys, dates,
`1_000`, multi-line strings, `\\u` escapes), a string written without escaping, or one random edit of
the whole text (a character deleted, doubled or inserted). Those are tomllib's to accept or reject.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

KEYS = ("id", "type", "name", "size", "default", "keys", "where", "a", "b", "x-1", "_y", "1", "true")
ODD_KEYS = ('"a"', '"a b"', "'lit'", '""', '"é"', "'q\"k'", '"q\\"k"', "a.b", '"a".b', "a . b")
TABLE_PARTS = ("attributes", "identities", "options", "a", '"a"')
ARRAY_PATHS = ("indexes", "indexes", "checks", "a.b", "indexes.parts", "attributes.x")
NUMBERS = ("0", "-0", "+0", "+7", "123456789012345678901234567890", "-0.0", "+0.5", "1e3", "1E+2", "1e06")
ODD_NUMBERS = (
    *("00", "012", "1_000", "0x1F", "0o7", "0b1", "1e400", ".5", "5.", "1.e3", "inf", "-inf", "nan"),
    *("1979-05-27", "07:32:00", "1979-05-27T07:32:00Z", "True", "1 2", "--1"),
)
ODD_CHARACTERS = ('"', "'", "\\", "#", "=", "[", "]", "{", "}", ",", "\t", "é", "\n", "\b", "\x7f")
FILLER_LINES = ("", "  ", "# comment", "  # indented", "#", "# [no] = table")
EDIT_CHARACTERS = tuple("\"'[]{}=,#.\n \\")

_spaces = st.sampled_from(["", " ", " ", " ", "  ", "\t"])
_plain_text = st.text(st.sampled_from("abcxyz _-"), max_size=8)
_odd_text = st.text(st.sampled_from([*"abc ", *ODD_CHARACTERS]), max_size=8)


def _weighted(draw: st.DrawFn, weights: dict[str, int]) -> str:
    """One of the keys of `weights`, each as likely as its weight."""
    return draw(st.sampled_from([name for name, weight in weights.items() for _ in range(weight)]))


@st.composite
def toml_keys(draw: st.DrawFn) -> str:
    """Mostly a bare key; now and then a quoted or dotted one."""
    return draw(st.sampled_from(ODD_KEYS if draw(st.integers(0, 7)) == 0 else KEYS))


def _escaped(text: str) -> str:
    """A basic string: json's escapes are TOML's simple ones, plus \\uXXXX for other control characters."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


@st.composite
def strings(draw: st.DrawFn) -> str:
    """A string value: escaped, literal, written as is (maybe invalid), with \\u escapes, or multi-line."""
    text = draw(_odd_text if draw(st.integers(0, 3)) == 0 else _plain_text)
    style = _weighted(draw, {"basic": 5, "literal": 2, "raw": 1, "unicode": 1, "multiline": 1})
    if style == "basic":
        return _escaped(text)
    if style == "unicode":
        return json.dumps(text, ensure_ascii=True)
    if style == "literal":
        return f"'{text}'"
    if style == "raw":
        return f'"{text}"'
    return f'"""{_escaped(text)[1:-1]}"""'


@st.composite
def numbers(draw: st.DrawFn) -> str:
    """An integer or float the way people write them, or now and then a token TOML reads otherwise."""
    kind = _weighted(draw, {"int": 4, "float": 3, "listed": 2, "odd": 1})
    if kind == "int":
        return str(draw(st.integers(-(10**6), 10**6)))
    if kind == "float":
        return repr(draw(st.floats(allow_nan=False, allow_infinity=False)))
    return draw(st.sampled_from(NUMBERS if kind == "listed" else ODD_NUMBERS))


@st.composite
def values(draw: st.DrawFn, depth: int = 0) -> str:
    """A value: scalar, array (maybe over several lines, with comments) or inline table."""
    weights = {"string": 4, "number": 3, "bool": 1, "array": 2, "table": 2}
    kind = _weighted(draw, weights if depth < 2 else {"string": 1, "number": 1, "bool": 1})
    if kind == "string":
        return draw(strings())
    if kind == "number":
        return draw(numbers())
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "array":
        items = draw(st.lists(values(depth + 1), max_size=4))
        opening = draw(st.sampled_from(["[", "[", "[ ", "[\n  ", "[  # why\n  "]))
        separator = draw(st.sampled_from([", ", ", ", ",", " , ", ",\n  ", ",  # note\n  ", ",\n\n  "]))
        closings = ["]", "]", " ]", "\n]", "  # end\n]"] + ([",]", ", ]", ",\n]"] if items else [])
        closing = draw(st.sampled_from(closings))
        return opening + separator.join(items) + closing
    keys = draw(st.lists(toml_keys(), max_size=3, unique=True))
    space = draw(_spaces)
    equals = draw(st.sampled_from(["=", " = ", " =", "= "]))
    body = ", ".join(f"{key}{equals}{draw(values(depth + 1))}" for key in keys)
    trailing = "," if keys and draw(st.integers(0, 29)) == 0 else ""  # TOML 1.1, not tomllib's 1.0
    return "{" + space + body + trailing + space + "}"


@st.composite
def pairs(draw: st.DrawFn, key: str) -> str:
    """`key = value`, indented or not, maybe with a trailing comment."""
    indent = draw(st.sampled_from(["", "", "", "  ", "\t"]))
    equals = draw(st.sampled_from(["=", " = ", " = ", "  =  ", "\t=\t"]))
    comment = draw(st.sampled_from(["", "", "", " # note", "# x = 1", ' # "quoted"']))
    return f"{indent}{key}{equals}{draw(values())}{comment}"


@st.composite
def headers(draw: st.DrawFn) -> str:
    """`[a.b]` or `[[indexes]]`, with spaces around the brackets and dots, maybe with a comment."""
    dot = draw(st.sampled_from([".", ".", ".", " . "]))
    space = draw(_spaces)
    comment = draw(st.sampled_from(["", "", " # table", "#x"]))
    if draw(st.booleans()):
        path = draw(st.sampled_from(ARRAY_PATHS)).replace(".", dot)
        return f"[[{space}{path}{space}]]{comment}"
    path = dot.join(draw(st.lists(st.sampled_from(TABLE_PARTS), min_size=1, max_size=2)))
    return f"[{space}{path}{space}]{comment}"


@st.composite
def sections(draw: st.DrawFn, header: str | None) -> list[str]:
    """A header (none for the top of the file) and its pairs, comments and blank lines."""
    keys = draw(st.lists(toml_keys(), max_size=4, unique=True))
    if keys and draw(st.integers(0, 29)) == 0:
        keys.append(draw(st.sampled_from(keys)))  # a repeated key
    lines = [] if header is None else [header]
    for key in keys:
        lines.append(draw(pairs(key)))
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(FILLER_LINES)))
    return lines


@st.composite
def edited(draw: st.DrawFn, text: str) -> str:
    """`text` with one character deleted, doubled or inserted (most edits make it invalid)."""
    if not text:
        return draw(st.sampled_from(EDIT_CHARACTERS))
    position = draw(st.integers(0, len(text) - 1))
    edit = draw(st.sampled_from(["delete", "double", "insert"]))
    if edit == "delete":
        return text[:position] + text[position + 1 :]
    if edit == "double":
        return text[: position + 1] + text[position:]
    return text[:position] + draw(st.sampled_from(EDIT_CHARACTERS)) + text[position:]


@st.composite
def toml_documents(draw: st.DrawFn) -> str:
    """Top-level pairs and up to four sections; one document in five gets a random edit."""
    lines = draw(sections(None))
    for header in draw(st.lists(headers(), max_size=4)):
        lines += draw(sections(header))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "\n", "\n\n", ""]))
    if draw(st.integers(0, 4)) == 0:
        text = draw(edited(text))
    return text
