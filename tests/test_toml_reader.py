"""The fast TOML reader (engine.tomlfast) against tomllib, which stays the authority.

Examples check that the subset resource files use is read by the fast reader itself, not handed to
tomllib; the property test checks random documents shaped like resource files, valid or not.
Results are compared by type, repr and key order: `1 == 1.0 == True` in Python, and key order is column
order in a resource file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import event, example, given, settings

from engine.fileread import read_bytes
from engine.tomlfast import _Fallback, _fast_loads, parse_toml
from tests.toml_strategies import toml_documents

RESOURCE = """\
table = "t00700"

[attributes]
id = { type = "identity", primary_key = true }
parent_id = { type = "bigint", references = { table = "t00000", on_delete = "nilify" } }
slug = { type = "varchar", size = 80, allow_nil = false }
price = { type = "decimal", precision = 10, scale = 2, default = 0 }
ratio = { type = "float", default = 0.5 }
tags = { type = "text[]", default = "'{}'" }

[identities]
unique_slug = { keys = ["slug"] }

[[indexes]]
fields = ["name", "inserted_at desc"]
where = "active"

[[check_constraints]]
name = "t00700_price_positive"
check = "price >= 0"
attributes = ["price"]
"""

SUBSET = {
    "resource file": RESOURCE,
    "inline tables": 'a = {}\nb = {x=1,y={z="deep", w={}}}\nc = {  "q k" = true ,\'l\' = [1] }\n',
    "arrays": 'a = []\nb = [1, "two", 3.0, true, {}, []]\nc = [ 1 , 2 ,]\nd = ["x",]\n',
    "nested arrays": "a = [[1, 2], [], [[3]], [[], [[]]]]\nb = [{ x = [1, [2]] }]\n",
    "multi-line arrays": (
        'keys = [\n  "slug",  # why\n  "org_id",\n\n]\n'
        "nested = [\n  [1,\n   2],\n  # only a comment\n  []\n]\n"
        'inline = { keys = [\n  "a",\n  "b"\n] }\n'
        "after = 1\n"
    ),
    "arrays of tables": (
        '[[indexes]]\nfields = ["a"]\n[indexes.options]\nunique = true\n'
        "[[indexes]]\nfields = []\n[[indexes.parts]]\nx = 1\n[[indexes.parts]]\nx = 2\n"
    ),
    "tables": "[a.b.c]\nx = 1\n[a]\ny = 2\n[a.b]\nz = 3\n[ d . e ]\n[[ f ]]\n[f.g]\n",
    "comments": (
        "# top\n  # indented\n#\n[a] # after a header\nx = 1 # after a value\n"
        "y = \"not # a comment\"\nz = 'nor # this'  #but this is\n[[b]]#tight\nw = [1]#tight\n"
    ),
    "quoted keys": '"a b" = 1\n\'lit\' = 2\n"" = 3\n"é" = 4\n\'q"k\' = 5\n"1.2" = 6\n',
    "bare keys": "bare-key_9 = 1\n1 = 2\ntrue = 3\n_ = 4\n-- = 5\n",
    "integers": "a = 0\nb = -0\nc = +7\nd = -42\ne = 123456789012345678901234567890\n",
    "floats": "a = 1.5\nb = -0.0\nc = +0.25\nd = 1e3\ne = 1E-3\nf = 2.5e+10\ng = 1e06\nh = 1e400\n",
    "booleans": "a = true\nb = false\nc = [true, false]\n",
    "simple escapes": (
        'a = "tab\\there"\nb = "quote \\" and backslash \\\\"\nc = "\\b\\f\\n\\r"\n'
        'd = "raw\ttab"\ne = \'C:\\path\\no escape\'\nf = "\\\\"\ng = "é ü 字"\n'
    ),
    "odd spacing": "\ta=1\n  b\t=\t'x'  \n[  t  ]  \n c =[ 1 ,2 ]\n\n\n",
    "no final newline": "a = 1\n[t]\nb = [1,\n2]",
    "empty": "",
    "only comments and blanks": "# a\n\n  \n\t# b\n",
}


def typed(value: object) -> object:
    """`value` with each scalar as (type, repr) and each table as its items in order."""
    if type(value) is dict:
        return ("table", [(key, typed(item)) for key, item in value.items()])
    if type(value) is list:
        return ("array", [typed(item) for item in value])
    return (type(value).__name__, repr(value))


@pytest.mark.parametrize("text", SUBSET.values(), ids=SUBSET.keys())
def test_fast_reader_reads_the_subset_itself(text: str) -> None:
    assert typed(_fast_loads(text)) == typed(tomllib.loads(text))
    assert typed(parse_toml(text)) == typed(tomllib.loads(text))


# An unterminated string was once read as an empty one: the lone quote was taken for a whole string token.
UNTERMINATED = ['a = "\n', "a = '\n", 'a = ["]\n', 'a = ["\n]\n', '" = 1\n', "' = 1\n", 'a = { " = 1 }\n']


@pytest.mark.parametrize("text", UNTERMINATED)
def test_unterminated_strings_are_rejected(text: str) -> None:
    with pytest.raises(_Fallback):
        _fast_loads(text)
    with pytest.raises(tomllib.TOMLDecodeError):
        parse_toml(text)


@settings(max_examples=300, deadline=None)
@example('"a" = "\n')  # found by this test: the unterminated string was read as ""
@given(toml_documents())
def test_parse_toml_agrees_with_tomllib(text: str) -> None:
    """Whatever tomllib reads, parse_toml reads the same; whatever it rejects, parse_toml rejects."""
    try:
        _fast_loads(text)
    except _Fallback:
        event("handed to tomllib")
    else:
        event("read by the fast reader")
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        event("invalid TOML")
        with pytest.raises(tomllib.TOMLDecodeError):
            parse_toml(text)
        return
    assert typed(parse_toml(text)) == typed(expected)
    # Again: the first parse must not have changed values that the line cache shares between parses.
    assert typed(parse_toml(text)) == typed(expected)


@pytest.mark.parametrize("size", [0, 1, (1 << 16) - 1, 1 << 16, (1 << 16) + 1, 3 << 20])
def test_read_bytes_returns_whole_files_around_the_first_read(tmp_path: Path, size: int) -> None:
    data = bytes(index % 251 for index in range(size))
    path = tmp_path / "file"
    path.write_bytes(data)
    assert read_bytes(path) == data
