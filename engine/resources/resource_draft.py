"""What the two passes of resource loading share: the `Draft` one file becomes, and the name and SQL checks.

Pass one (`resource_file`, attributes in `resource_columns`) makes a draft of each file;
pass two (`resource_links`) resolves the drafts against each other. This module is where they meet,
so neither pass imports the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from snapshift.engine.base.pglimits import MAX_IDENTIFIER_BYTES
from snapshift.engine.resources.model import Column, Deferrable, MatchType, OnAction, Table
from snapshift.engine.resources.tomlpos import Doc, KeyPath
from snapshift.engine.resources.types import expression_error


class RefSpec(NamedTuple):
    """A `references` table validated on its own; resolved against the destination in pass two."""

    column: str  # the source column
    table: str
    target: str  # destination column
    schema: str | None
    explicit_schema: bool
    name: str
    on_delete: OnAction | None
    on_update: OnAction | None
    deferrable: Deferrable
    with_index: bool
    match_with: tuple[tuple[str, str], ...]
    match_type: MatchType | None


NameClaim = tuple[str, str, KeyPath]  # a name PostgreSQL will hold, what carries it, and the key that set it


@dataclass(slots=True)
class Draft:
    """One file after pass one: the table with its references still unresolved."""

    doc: Doc
    table: Table
    references: list[RefSpec]
    columns: dict[str, Column]  # by name, for lookups from other tables
    primary_key: tuple[str, ...]
    relations: list[NameClaim]  # names it takes in its schema's namespace of tables, indexes, sequences


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")  # a plain name: a column, an index method


def check_name(doc: Doc, key: KeyPath, name: str, what: str) -> None:
    """PostgreSQL silently truncates identifiers past 63 bytes, which would break every later diff."""
    problem = name_problem(name, what)
    if problem is not None:
        raise doc.error(key, problem)


def name_problem(name: str, what: str) -> str | None:
    """Why `name` cannot be a PostgreSQL identifier snapshift writes (`what` it names), or None."""
    if not name or "\x00" in name:
        return f"{what} must not be empty or contain NUL"
    if len(name) > MAX_IDENTIFIER_BYTES or (not name.isascii() and len(name.encode()) > MAX_IDENTIFIER_BYTES):
        return (
            f"{what} '{name}' is {len(name.encode())} bytes long; PostgreSQL truncates names to "
            f"{MAX_IDENTIFIER_BYTES} bytes (choose a shorter name)"
        )
    return None


def checked_sql(doc: Doc, key: KeyPath, text: str) -> str:
    """`text` if it parses as a SQL expression: a typo should point at its line, not fail in migrate."""
    problem = expression_error(text)
    if problem is not None:
        raise doc.error(key, f"{problem}: {text}")
    return text
