"""What a diff takes (options) and gives (operations, questions, table fates), apart from the diff itself:
a plan that finds nothing changed is made without importing the differ and its operation classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from snapshift.engine.autogen.questions import Question
from snapshift.engine.resources.model import TableKey

if TYPE_CHECKING:
    from snapshift.engine.autogen.operations import Operation


@dataclass(frozen=True)
class DiffOptions:
    """The generate flags that change what the diff emits."""

    dont_drop_columns: bool = False
    concurrent_indexes: bool = False


@dataclass
class DiffResult:
    """Operations (initial order, unsorted), open questions, and what happened to each old table."""

    operations: list[Operation] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    changed: set[TableKey] = field(default_factory=set)  # new keys whose snapshot must be written
    dropped: set[TableKey] = field(default_factory=set)  # old keys dropped
    renamed: dict[TableKey, TableKey] = field(default_factory=dict)  # old key -> new key
    kept: set[TableKey] = field(default_factory=set)  # orphans the user chose to keep (opted out)
    renamed_columns: set[tuple[str, str]] = field(default_factory=set)  # (table, old column) renamed
