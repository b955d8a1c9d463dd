"""TOML files for config and resources: loading, line numbers for error messages, validated access.

The parser (rtoml, a Rust TOML 1.0 reader) gives no positions for values, so `find_line` rescans the text,
on the error path only, to say on which line a dotted key is defined; `Doc` uses it so that every
validation error names file, key and line.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import rtoml

from snapshift.engine.base.errors import InputError, Location
from snapshift.engine.base.fileread import read_bytes

KeyPath = tuple[str | int, ...]
TomlTable = dict[str, Any]
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # what format_key can leave unquoted

# --- errors and file loading -----------------------------------------------------------------------------

_DECODE_POSITION = re.compile(r" at line (\d+) column (\d+)$")


def parse_toml(text: str) -> TomlTable:
    """Parse TOML text; raises rtoml.TomlParsingError (a ValueError) naming line and column."""
    data: TomlTable = rtoml.loads(text)
    return data


def decode_error_position(error: ValueError) -> tuple[str, int | None, int | None]:
    """The parser's message without its position, and the line and column it names."""
    message = str(error)
    match = _DECODE_POSITION.search(message)
    if match is None:
        return message, None, None
    return message[: match.start()], int(match.group(1)), int(match.group(2))


def load_toml(path: Path, error_cls: type[InputError]) -> tuple[TomlTable, str]:
    """Read and parse a TOML file; unreadable or malformed files raise `error_cls` with file and line."""
    try:
        text = read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise error_cls(f"not UTF-8 text ({error.reason})", Location(path)) from None
    except OSError as error:
        raise error_cls(f"cannot read file: {error.strerror or error}", Location(path)) from None
    return parse_text(text, path, error_cls), text


MAX_NESTING = 80  # arrays and tables inside each other: the parser's limit; no file needs a tenth of it
_TOO_DEEP = f"values nested more than {MAX_NESTING} levels deep (arrays or tables inside each other)"


def parse_text(text: str, path: Path, error_cls: type[InputError]) -> TomlTable:
    """Parse TOML text that belongs to `path`; malformed TOML raises `error_cls` with file and line, and
    so does nesting deeper than MAX_NESTING, which the parser refuses (so nothing that walks the value
    later can recurse too deep)."""
    try:
        return parse_toml(text)
    except rtoml.TomlParsingError as error:
        reason, line, column = decode_error_position(error)
        if "recurs" in reason:  # the parser stops at its depth limit
            raise error_cls(_TOO_DEEP, Location(path, None, line)) from None
        where = f" (column {column})" if column is not None else ""
        raise error_cls(f"invalid TOML: {reason.strip()}{where}", Location(path, None, line)) from None


# --- key -> line -----------------------------------------------------------------------------------------

_SCAN = re.compile(
    r"\"\"\"(?:\\[\s\S]|[^\\])*?\"\"\"(?!\")|'''[\s\S]*?'''(?!')|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"
    r"|[A-Za-z0-9_+\-.:]+|#[^\n]*|\n|[^ \t\r]"
)
_Tokens = list[tuple[str, int]]


def find_line(text: str, key_path: Sequence[str | int]) -> int:
    """The 1-based line where `key_path` is defined, else the line of its nearest defined parent, else
    line 1 (a key missing from the top of the file belongs to the whole file)."""
    lines = key_lines(text)
    path = tuple(key_path)
    for size in range(len(path), 0, -1):
        line = lines.get(path[:size])
        if line is not None:
            return line
    return 1


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
                for size in range(1, len(parts) + 1):  # `a.b = 1` also defines table `a` here
                    found.setdefault(table + parts[:size], line)
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
        if not last:
            found.setdefault(path, line)  # `[a.b]` also defines table `a` here
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
        elif token and (token[0].isalnum() or token[0] in "_-."):  # `.b` in `"a".b`
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
            text = part if part and BARE_KEY.fullmatch(part) else json.dumps(part)
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


CLOSE_ENOUGH = 0.75  # difflib's ratio: 'stauts'/'status' 0.83 suggests, 'published_at'/'inserted_at' 0.61 not


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for a near miss (a typo, or a name cut short), else the valid choices."""
    options = sorted(choices)
    close = [
        match
        for match in difflib.get_close_matches(name, options, n=1, cutoff=0.6)
        if match.startswith(name) or name.startswith(match) or _ratio(name, match) >= CLOSE_ENOUGH
    ]
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
