"""The TOML parser (rtoml) against tomllib: both TOML 1.0 readers must agree on what config and resource
files hold, so that replacing one by the other changes no project's meaning.

Results are compared by type, repr and key order: `1 == 1.0 == True` in Python, and key order is column
order in a resource file.
"""

from __future__ import annotations

import math
import re
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import event, example, given, settings

from snapshift.engine.base.errors import ResourceError
from snapshift.engine.base.fileread import read_bytes
from snapshift.engine.resources.tomlpos import parse_text, parse_toml
from tests.support.toml_strategies import toml_documents

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

DOCUMENTS = {
    "resource file": RESOURCE,
    "inline tables": 'a = {}\nb = {x=1,y={z="deep", w={}}}\nc = {  "q k" = true ,\'l\' = [1] }\n',
    "arrays": 'a = []\nb = [1, "two", 3.0, true, {}, []]\nc = [ 1 , 2 ,]\nd = ["x",]\n',
    "multi-line arrays": 'keys = [\n  "slug",  # why\n  "org_id",\n\n]\nafter = 1\n',
    "arrays of tables": '[[indexes]]\nfields = ["a"]\n[indexes.options]\nunique = true\n[[indexes]]\nfields = []\n',
    "dotted keys and tables": "[a.b.c]\nx = 1\n[a]\ny = 2\nd.e = 3\n",
    "quoted keys": '"a b" = 1\n\'lit\' = 2\n"" = 3\n"é" = 4\n',
    "escapes and multi-line strings": 'a = "tab\\there \\u00e9"\nb = """\nmulti\nline"""\nc = \'\'\'raw\\n\'\'\'\n',
    "numbers": "a = 0\nb = -0.0\nc = +7\nd = 1_000\ne = 0xff\nf = inf\ng = 1e3\n",
    "dates": "d = 1979-05-27\nt = 07:32:00\n",
    "CRLF": "a = 1\r\nb = 2\r\n",
    "empty": "",
}


INLINE_TRAILING_COMMA = re.compile(r",\s*}")


def typed(value: object) -> object:
    """`value` with each scalar as (type, repr) and each table as its items in order."""
    if type(value) is dict:
        return ("table", [(key, typed(item)) for key, item in value.items()])
    if type(value) is list:
        return ("array", [typed(item) for item in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    if isinstance(value, datetime):  # the same instant; the parsers name the UTC tzinfo differently
        return ("datetime", value.isoformat())
    return (type(value).__name__, repr(value))


@pytest.mark.parametrize("text", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_parser_reads_what_tomllib_reads(text: str) -> None:
    assert typed(parse_toml(text)) == typed(tomllib.loads(text))


INVALID = [
    'a = "\n',
    "a = '\n",
    'a = ["]\n',
    "a = 1\na = 2\n",
    "[a]\n[a]\n",
    "x = 1 2\n",
    "a = [1\n",
    '" = 1\n',
]


@pytest.mark.parametrize("text", INVALID)
def test_invalid_toml_is_an_error_with_its_line(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError):
        tomllib.loads(text)
    with pytest.raises(ResourceError) as raised:
        parse_text(text, tmp_path / "r.toml", ResourceError)
    assert str(raised.value).startswith(f"{tmp_path / 'r.toml'}:")
    assert raised.value.location is not None and raised.value.location.line is not None


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    text = "a = " + "[" * 600 + "]" * 600 + "\n"
    with pytest.raises(ResourceError, match="nested more than 80 levels deep"):
        parse_text(text, tmp_path / "r.toml", ResourceError)


@settings(max_examples=300, deadline=None)
@example('"a" = "\n')
@given(toml_documents())
def test_parse_toml_agrees_with_tomllib(text: str) -> None:
    """Whatever tomllib reads, parse_toml reads the same; whatever it rejects, parse_toml rejects."""
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        event("invalid TOML")
        try:
            parse_toml(text)
        except ValueError:
            return
        # TOML 1.1 allows a trailing comma in an inline table; the strategies draw one now and then
        assert INLINE_TRAILING_COMMA.search(text), f"accepted invalid TOML:\n{text}"
        return
    event("valid TOML")
    try:
        parsed = parse_toml(text)
    except ValueError as error:  # tomllib reads 1e400 as inf; rtoml calls the overflow an error
        assert "overflowed" in str(error) and "inf" in repr(expected), text
        return
    assert typed(parsed) == typed(expected)


@pytest.mark.parametrize("size", [0, 1, (1 << 16) - 1, 1 << 16, (1 << 16) + 1, 3 << 20])
def test_read_bytes_returns_whole_files_around_the_first_read(tmp_path: Path, size: int) -> None:
    data = bytes(index % 251 for index in range(size))
    path = tmp_path / "file"
    path.write_bytes(data)
    assert read_bytes(path) == data
