"""A fast reader for the strict subset of TOML that config and resource files use; tomllib decides the rest.

tomllib is slow for the thousands of small, repetitive resource files a project has (~0.4 ms each here),
so `parse_toml` first tries a line-based reader that memoises each distinct line and understands a strict
subset of TOML; on anything else (dotted keys, multi-line strings, dates, escapes beyond the simple ones,
any error) it hands the whole text to tomllib, which stays the authority. The fast reader SHARES parsed
values between files: treat the returned data as read-only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from engine.lazy import lazy_module

if TYPE_CHECKING:
    import tomllib as tomllib  # re-exported: tomlpos handles its errors
else:  # only for text the fast reader hands over, and for its errors
    tomllib = lazy_module("tomllib")

TomlTable = dict[str, Any]

# A quote that does not close on its line is a token of its own (the last alternative): an unterminated
# string, which _key and _value hand to tomllib.
_TOKEN = re.compile(r"[A-Za-z0-9_+\-.:]+|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|#[^\n]*|[^ \t]")
_HEADER = re.compile(
    r"[ \t]*(\[\[?)[ \t]*([A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*)[ \t]*(\]\]?)[ \t]*(?:#.*)?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # per line: TOML forbids these (tab is fine)
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # also tells format_key what needs quotes
_SIMPLE_PAIR = re.compile(r"[ \t]*([A-Za-z0-9_-]+)[ \t]*=[ \t]*\"([^\"\\\\]*)\"[ \t]*(?:#.*)?")
_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_SIMPLE_ESCAPES = re.compile(r"(?:[^\\]|\\[btnfr\"\\])*")
_JSON = json.JSONDecoder(strict=False)
_END = "\x00"  # end-of-line sentinel token; NUL never reaches the tokenizer
_LINE_CACHE: dict[str, tuple[int, Any, Any]] = {}
_LINE_CACHE_LIMIT = 200_000
_BLANK, _PAIR, _TABLE, _ARRAY_TABLE = 0, 1, 2, 3


class _Fallback(Exception):
    """The fast reader does not handle this text; tomllib decides."""


class _Incomplete(Exception):
    """A value (an array) continues on the next line."""


def parse_toml(text: str) -> TomlTable:
    """Parse TOML text; raises tomllib.TOMLDecodeError. The result may share objects: do not mutate it."""
    try:
        return _fast_loads(text)
    except _Fallback:
        return tomllib.loads(text)


def _fast_loads(text: str) -> TomlTable:
    root: TomlTable = {}
    current = root
    implicit: set[int] = set()  # tables created by a dotted header prefix; a header may still define them
    defined: set[int] = set()  # tables opened by a header
    arrays: set[int] = set()  # arrays of tables
    lines = iter(text.split("\n"))
    cache = _LINE_CACHE
    for line in lines:
        entry = cache.get(line)
        if entry is None:
            try:
                entry = _parse_line(line)
            except _Incomplete:
                entry = _parse_continued(lines, line)
            else:
                if len(cache) < _LINE_CACHE_LIMIT:
                    cache[line] = entry
        kind, key, value = entry
        if kind == _PAIR:
            if key in current:
                raise _Fallback
            current[key] = value
        elif kind == _TABLE:
            current = _open_table(root, key, implicit, defined, arrays)
        elif kind == _ARRAY_TABLE:
            current = _open_array_table(root, key, implicit, defined, arrays)
    return root


def _walk(
    root: TomlTable, parts: tuple[str, ...], implicit: set[int], defined: set[int], arrays: set[int]
) -> TomlTable:
    node = root
    for part in parts:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
            implicit.add(id(child))
        elif type(child) is list:
            if id(child) not in arrays:
                raise _Fallback
            child = child[-1]
        elif type(child) is not dict or (id(child) not in implicit and id(child) not in defined):
            raise _Fallback
        node = child
    return node


def _open_table(
    root: TomlTable, parts: tuple[str, ...], implicit: set[int], defined: set[int], arrays: set[int]
) -> TomlTable:
    node = _walk(root, parts[:-1], implicit, defined, arrays)
    existing = node.get(parts[-1])
    if existing is None:
        table: TomlTable = {}
        node[parts[-1]] = table
    elif type(existing) is dict and id(existing) in implicit and id(existing) not in defined:
        table = existing
    else:
        raise _Fallback
    defined.add(id(table))
    return table


def _open_array_table(
    root: TomlTable, parts: tuple[str, ...], implicit: set[int], defined: set[int], arrays: set[int]
) -> TomlTable:
    node = _walk(root, parts[:-1], implicit, defined, arrays)
    existing = node.get(parts[-1])
    if existing is None:
        existing = node[parts[-1]] = []
        arrays.add(id(existing))
    elif type(existing) is not list or id(existing) not in arrays:
        raise _Fallback
    table: TomlTable = {}
    existing.append(table)
    defined.add(id(table))
    return table


def _parse_line(line: str) -> tuple[int, Any, Any]:
    if '"""' in line or "'''" in line or _CONTROL.search(line) is not None:
        raise _Fallback
    stripped = line.lstrip(" \t")
    if not stripped or stripped[0] == "#":
        return (_BLANK, None, None)
    if stripped[0] == "[":
        match = _HEADER.fullmatch(line)
        if match is None or len(match.group(1)) != len(match.group(3)):
            raise _Fallback
        parts = tuple(part.strip(" \t") for part in match.group(2).split("."))
        return (_ARRAY_TABLE if len(match.group(1)) == 2 else _TABLE, parts, None)
    simple = _SIMPLE_PAIR.fullmatch(line)
    if simple is not None:  # key = "text": the most common line that differs between files
        return (_PAIR, simple.group(1), simple.group(2))
    tokens = _TOKEN.findall(line)
    tokens.append(_END)
    return _parse_pair(tokens)


def _parse_pair(tokens: list[str]) -> tuple[int, Any, Any]:
    key = _key(tokens[0])
    if tokens[1] != "=":
        raise _Fallback
    value, index = _value(tokens, 2)
    if tokens[index][0] == "#":
        index += 1
    if tokens[index] != _END:
        raise _Fallback
    return (_PAIR, key, value)


def _parse_continued(lines: Iterator[str], first: str) -> tuple[int, Any, Any]:
    """A key whose array spans lines: join lines until the value closes (not memoised)."""
    text = first
    for count, line in enumerate(lines):
        if count > 10_000 or '"""' in line or "'''" in line or _CONTROL.search(line) is not None:
            break
        text += "\n" + line
        tokens = _TOKEN.findall(text)
        tokens.append(_END)
        try:
            return _parse_pair(tokens)
        except _Incomplete:
            continue
    raise _Fallback


def _key(token: str) -> str:
    first = token[0]
    if first == '"':
        if "\\" in token or len(token) == 1:
            raise _Fallback
        return token[1:-1]
    if first == "'":
        if len(token) == 1:
            raise _Fallback
        return token[1:-1]
    if BARE_KEY.fullmatch(token) is None:
        raise _Fallback
    return token


def _value(tokens: list[str], index: int) -> tuple[Any, int]:
    token = tokens[index]
    first = token[0]
    if first == '"':
        if len(token) == 1:
            raise _Fallback
        if "\\" not in token:
            return token[1:-1], index + 1
        if _SIMPLE_ESCAPES.fullmatch(token, 1, len(token) - 1) is None:
            raise _Fallback
        return _JSON.decode(token), index + 1
    if first == "'":
        if len(token) == 1:
            raise _Fallback
        return token[1:-1], index + 1
    if first == "{":
        return _inline_table(tokens, index + 1)
    if first == "[":
        return _array(tokens, index + 1)
    if token == "true":
        return True, index + 1
    if token == "false":
        return False, index + 1
    if _INT.fullmatch(token) is not None:
        return int(token), index + 1
    if token == _END:
        raise _Incomplete
    if _FLOAT.fullmatch(token) is not None:
        return float(token), index + 1
    raise _Fallback


def _inline_table(tokens: list[str], index: int) -> tuple[TomlTable, int]:
    table: TomlTable = {}
    if tokens[index] == "}":
        return table, index + 1
    while True:
        if tokens[index] == _END:
            raise _Incomplete
        key = _key(tokens[index])
        if key in table or tokens[index + 1] != "=":
            raise _Fallback
        table[key], index = _value(tokens, index + 2)
        token = tokens[index]
        if token == "}":
            return table, index + 1
        if token != ",":
            raise _Incomplete if token == _END else _Fallback
        index += 1


def _array(tokens: list[str], index: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while True:
        token = tokens[index]
        while token == "\n" or token[0] == "#":
            index += 1
            token = tokens[index]
        if token == "]":
            return items, index + 1
        value, index = _value(tokens, index)
        items.append(value)
        token = tokens[index]
        while token == "\n" or token[0] == "#":
            index += 1
            token = tokens[index]
        if token == ",":
            index += 1
        elif token == "]":
            return items, index + 1
        else:
            raise _Incomplete if token == _END else _Fallback
