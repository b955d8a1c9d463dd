"""Names as paths: the one place where a table's schema and name become a snapshot folder name, and back.

Any identifier PostgreSQL accepts (quotes, dots, slashes, spaces, unicode, up to 63 bytes; never NUL)
must give a folder right inside the repo's snapshot folder, and two tables never the same folder. So
each name is escaped reversibly (`encode_name`), and the `.` between a schema and a table name is never
part of either.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote_to_bytes

ORDINARY = re.compile(r"[A-Za-z0-9_-]+")
SCHEMA_SEPARATOR = "."
LONG_MARK = "~"  # never starts an escaped name: `~` itself is escaped (%7E)
MAX_ESCAPED = 120  # two names and the separator stay under NAME_MAX (255 bytes); base32 of 63 bytes is 101
_BASE32 = re.compile(r"[A-Z2-7]+")


def encode_name(name: str) -> str:
    """The folder-safe form of one identifier; `decode_name` reads it back (injective by construction).

    An ordinary name (ASCII letters, digits, `_`, `-`) is its own folder name, as it always was; any other
    character is written as `%XX`, the hex of its UTF-8 bytes (`a.b` -> `a%2Eb`, `..` -> `%2E%2E`). A
    name whose escaped form would be long is written as `~` and the base32 of its bytes instead, so that
    `<schema>.<table>` stays within a file system's 255 bytes."""
    if ORDINARY.fullmatch(name):
        return name
    escaped = "".join(
        char if ORDINARY.fullmatch(char) else "".join(f"%{byte:02X}" for byte in _utf8(char)) for char in name
    )
    if len(escaped) <= MAX_ESCAPED:
        return escaped
    return LONG_MARK + base64.b32encode(_utf8(name)).decode("ascii").rstrip("=")


def decode_name(text: str) -> str:
    """The identifier `encode_name` wrote as `text`. Lenient: a folder made by hand (or by an older
    snapshift, which kept every character) reads as its own name where it is not an escape."""
    if text.startswith(LONG_MARK) and _BASE32.fullmatch(text[1:]):
        padded = text[1:] + "=" * (-len(text[1:]) % 8)
        try:
            return base64.b32decode(padded).decode("utf-8", "surrogatepass")
        except (ValueError, UnicodeDecodeError):
            return text
    if "%" not in text:
        return text
    try:
        return unquote_to_bytes(text).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return text


def table_folder_name(schema: str | None, name: str) -> str:
    """`<table>` or `<schema>.<table>`, each part encoded."""
    table = encode_name(name)
    return table if schema is None else f"{encode_name(schema)}{SCHEMA_SEPARATOR}{table}"


def parse_table_folder_name(folder: str) -> tuple[str | None, str]:
    """(schema, table) from a folder name `table_folder_name` wrote: the first `.` separates them."""
    schema, dot, name = folder.partition(SCHEMA_SEPARATOR)
    if not dot:
        return None, decode_name(folder)
    return decode_name(schema), decode_name(name)


def clash_form(folder: str) -> str:
    """What a case-insensitive file system (macOS, Windows) sees: folders equal here are one folder there."""
    return folder.casefold()


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
