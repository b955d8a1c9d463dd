"""TOML reading for config and resource files: fast parsing, and line numbers for error messages.

tomllib gives no positions, so `find_line` rescans the text to say on which line a dotted key is
defined. tomllib is also slow for the thousands of small, repetitive resource files a project has
(~0.4 ms each here), so `parse_toml` first tries a line-based reader that memoises each distinct line
and understands a strict subset of TOML; on anything else (dotted keys, multi-line strings, dates,
escapes beyond the simple ones, any error) it hands the whole text to tomllib, which stays the
authority. The fast reader SHARES parsed values between files: treat the returned data as read-only.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.errors import InputError, Location

KeyPath = tuple[str | int, ...]
TomlTable = dict[str, Any]

# --- fast reader -----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9_+\-.:]+|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|#[^\n]*|[^ \t]")
_HEADER = re.compile(
    r"[ \t]*(\[\[?)[ \t]*([A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*)[ \t]*(\]\]?)[ \t]*(?:#.*)?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # per line: TOML forbids these (tab is fine)
_BARE = re.compile(r"[A-Za-z0-9_-]+")
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
        if "\\" in token:
            raise _Fallback
        return token[1:-1]
    if first == "'":
        return token[1:-1]
    if _BARE.fullmatch(token) is None:
        raise _Fallback
    return token


def _value(tokens: list[str], index: int) -> tuple[Any, int]:
    token = tokens[index]
    first = token[0]
    if first == '"':
        if "\\" not in token:
            return token[1:-1], index + 1
        if _SIMPLE_ESCAPES.fullmatch(token, 1, len(token) - 1) is None:
            raise _Fallback
        return _JSON.decode(token), index + 1
    if first == "'":
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


# --- errors and file loading -----------------------------------------------------------------------------

_DECODE_LINE = re.compile(r"at line (\d+)")


def decode_error_line(error: tomllib.TOMLDecodeError, text: str) -> int | None:
    """The line tomllib reports in its message ("at line N", or the last line at end of document)."""
    line = getattr(error, "lineno", None)  # Python 3.14+ carries it; 3.11 only has it in the message
    if isinstance(line, int):
        return line
    message = str(error)
    match = _DECODE_LINE.search(message)
    if match is not None:
        return int(match.group(1))
    if "end of document" in message:
        return text.count("\n") + 1
    return None


def read_bytes(path: Path | str) -> bytes:
    """A whole file, read with plain os calls (a tenth of the overhead of Path.read_bytes)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, 1 << 20)
        if len(data) < 1 << 20:  # a short read of a regular file means end of file
            return data
        chunks = [data]
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_toml(path: Path, error_cls: type[InputError]) -> tuple[TomlTable, str]:
    """Read and parse a TOML file; unreadable or malformed files raise `error_cls` with file and line."""
    try:
        text = read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise error_cls(f"not UTF-8 text ({error.reason})", Location(path)) from None
    except OSError as error:
        raise error_cls(f"cannot read file: {error.strerror or error}", Location(path)) from None
    return parse_text(text, path, error_cls), text


def parse_text(text: str, path: Path, error_cls: type[InputError]) -> TomlTable:
    """Parse TOML text that belongs to `path`; malformed TOML raises `error_cls` with file and line."""
    try:
        return parse_toml(text)
    except tomllib.TOMLDecodeError as error:
        reason = _DECODE_LINE.sub("", str(error)).replace("(, column", "(column").replace(" ()", "")
        line = decode_error_line(error, text)
        raise error_cls(f"invalid TOML: {reason.strip()}", Location(path, None, line)) from None


# --- key -> line -----------------------------------------------------------------------------------------

_SCAN = re.compile(
    r"\"\"\"(?:\\[\s\S]|[^\\])*?\"\"\"(?!\")|'''[\s\S]*?'''(?!')|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"
    r"|[A-Za-z0-9_+\-.:]+|#[^\n]*|\n|[^ \t\r]"
)
_Tokens = list[tuple[str, int]]


def find_line(text: str, key_path: Sequence[str | int]) -> int | None:
    """The 1-based line where `key_path` is defined, else the line of its nearest defined parent."""
    lines = key_lines(text)
    path = tuple(key_path)
    for size in range(len(path), 0, -1):
        line = lines.get(path[:size])
        if line is not None:
            return line
    return None


@lru_cache(maxsize=16)
def key_lines(text: str) -> dict[KeyPath, int]:
    """Every key path defined in `text` (tables, keys, inline-table keys, array items) -> its line."""
    tokens: _Tokens = []
    line = 1
    for match in _SCAN.finditer(text):
        token = match.group()
        tokens.append((token, line))
        line += token.count("\n")
    tokens.append(("", line))
    found: dict[KeyPath, int] = {}
    array_counts: dict[KeyPath, int] = {}
    table: KeyPath = ()
    index = 0
    while index < len(tokens) - 1:
        token, line = tokens[index]
        if token == "\n" or token[0] == "#":
            index += 1
            continue
        if token == "[":
            table, index = _scan_header(tokens, index, found, array_counts)
        else:
            parts, index = _scan_key(tokens, index)
            if parts and tokens[index][0] == "=":
                found.setdefault(table + parts, line)
                index = _scan_value(tokens, index + 1, table + parts, found)
        while tokens[index][0] not in ("\n", ""):
            index += 1
    return found


def _scan_header(
    tokens: _Tokens, index: int, found: dict[KeyPath, int], array_counts: dict[KeyPath, int]
) -> tuple[KeyPath, int]:
    line = tokens[index][1]
    is_array = tokens[index + 1][0] == "["
    parts, index = _scan_key(tokens, index + (2 if is_array else 1))
    path: KeyPath = ()
    for position, part in enumerate(parts):
        path += (part,)
        last = position == len(parts) - 1
        if path in array_counts and not (last and is_array):
            path += (array_counts[path] - 1,)
    if is_array:
        count = array_counts.get(path, 0)
        array_counts[path] = count + 1
        found.setdefault(path, line)
        path += (count,)
    found.setdefault(path, line)
    return path, index


def _scan_key(tokens: _Tokens, index: int) -> tuple[tuple[str, ...], int]:
    parts: list[str] = []
    while True:
        token = tokens[index][0]
        if token[:1] in ('"', "'") and not token.startswith(('"""', "'''")):
            parts.append(_unquote(token))
        elif token == ".":
            pass
        elif token and (token[0].isalnum() or token[0] in "_-"):
            parts.extend(part for part in token.split(".") if part)
        else:
            return tuple(parts), index
        index += 1


def _unquote(token: str) -> str:
    if token[0] == '"' and "\\" in token:
        try:
            return str(json.loads(token))
        except ValueError:
            pass
    return token[1:-1]


def _scan_value(tokens: _Tokens, index: int, path: KeyPath, found: dict[KeyPath, int]) -> int:
    token = tokens[index][0]
    if token == "{":
        index += 1
        while tokens[index][0] not in ("}", "\n", ""):
            parts, index = _scan_key(tokens, index)
            if not parts or tokens[index][0] != "=":
                return index
            found.setdefault(path + parts, tokens[index][1])
            index = _scan_value(tokens, index + 1, path + parts, found)
            if tokens[index][0] == ",":
                index += 1
        return index + 1 if tokens[index][0] == "}" else index
    if token == "[":
        index += 1
        item = 0
        while True:
            while tokens[index][0] == "\n" or tokens[index][0].startswith("#"):
                index += 1
            token, line = tokens[index]
            if token in ("]", ""):
                return index + 1 if token == "]" else index
            found.setdefault((*path, item), line)
            after = _scan_value(tokens, index, (*path, item), found)
            item += 1
            while tokens[after][0] == "\n" or tokens[after][0].startswith("#"):
                after += 1
            if tokens[after][0] == ",":
                after += 1
            elif tokens[after][0] != "]" or after == index:
                return after
            index = after
    return index + 1 if token else index


# --- validated access ------------------------------------------------------------------------------------


def format_key(key_path: Sequence[str | int]) -> str:
    """A key path as users write it: attributes.id.type, indexes[0].fields[1]."""
    out = ""
    for part in key_path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if part and _BARE.fullmatch(part) else json.dumps(part)
            out += f".{text}" if out else text
    return out


def describe(value: object) -> str:
    """A TOML value as an error message mentions it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the float {value}"
    if isinstance(value, str):
        return f"the string {json.dumps(value[:40] + ('...' if len(value) > 40 else ''))}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for a near miss, else the list of valid choices."""
    options = sorted(choices)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (expected one of: {', '.join(options)})" if options else ""


class Doc:
    """One parsed file: its path and text, so that every validation error can name file, key and line."""

    __slots__ = ("error_cls", "path", "prefix", "text")

    def __init__(self, path: Path, text: str, error_cls: type[InputError], prefix: KeyPath = ()) -> None:
        self.path = path
        self.text = text
        self.error_cls = error_cls
        self.prefix = prefix  # e.g. ("tool", "snapshift") for pyproject.toml

    def error(self, key: KeyPath, message: str) -> InputError:
        full = self.prefix + key
        return self.error_cls(
            message, Location(self.path, format_key(full) or None, find_line(self.text, full))
        )

    def check_keys(self, table: Mapping[str, Any], allowed: frozenset[str], key: KeyPath) -> None:
        """Unknown keys are errors, with a did-you-mean hint."""
        if table.keys() <= allowed:
            return
        for name in table:
            if name not in allowed:
                raise self.error((*key, name), f"unknown key '{name}'{did_you_mean(name, allowed)}")

    def require(self, table: Mapping[str, Any], name: str, key: KeyPath) -> Any:
        """The value of a required key; its absence is reported at the key (on the parent's line)."""
        if name not in table:
            raise self.error((*key, name), f"missing required key '{name}'")
        return table[name]

    def wrong_type(self, key: KeyPath, expected: str, value: object) -> InputError:
        return self.error(key, f"'{format_key(key[-1:])}' must be {expected}, not {describe(value)}")

    def table(self, value: object, key: KeyPath) -> TomlTable:
        if type(value) is not dict:
            raise self.wrong_type(key, "a table", value)
        return value

    def string(self, table: Mapping[str, Any], name: str, key: KeyPath) -> str | None:
        value = table.get(name)
        if value is None or type(value) is str:
            return value
        raise self.wrong_type((*key, name), "a string", value)

    def required_string(self, table: Mapping[str, Any], name: str, key: KeyPath) -> str:
        value = self.require(table, name, key)
        if type(value) is not str:
            raise self.wrong_type((*key, name), "a string", value)
        if not value.strip():
            raise self.error((*key, name), f"'{name}' must not be empty")
        return value

    def boolean(self, table: Mapping[str, Any], name: str, key: KeyPath, default: bool) -> bool:
        value = table.get(name, default)
        if type(value) is not bool:
            raise self.wrong_type((*key, name), "true or false", value)
        return value

    def integer(self, table: Mapping[str, Any], name: str, key: KeyPath) -> int | None:
        value = table.get(name)
        if value is None or type(value) is int:
            return value
        raise self.wrong_type((*key, name), "an integer", value)

    def strings(self, table: Mapping[str, Any], name: str, key: KeyPath) -> list[str] | None:
        value = table.get(name)
        if value is None:
            return None
        if type(value) is not list:
            raise self.wrong_type((*key, name), "an array of strings", value)
        for position, item in enumerate(value):
            if type(item) is not str:
                raise self.wrong_type((*key, name, position), "a string", item)
        return value

    def tables(self, table: Mapping[str, Any], name: str, key: KeyPath) -> list[TomlTable]:
        value = table.get(name, [])
        if type(value) is not list:
            raise self.wrong_type((*key, name), f"an array of tables ([[{name}]])", value)
        for position, item in enumerate(value):
            if type(item) is not dict:
                raise self.wrong_type((*key, name, position), "a table", item)
        return value
