"""Questions generate may need answered (renames, drops), and the answers given as data.

The engine never prompts: the CLI asks on a terminal, the app in dialogs, scripts pass flags; all of
them end up as one `Answers` value that `diff` reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class ColumnRenameQuestion:
    """Columns disappeared from `table` while others appeared: renames or drop+add?"""

    table: str
    removed: tuple[str, ...]
    added: tuple[str, ...]

    def text(self) -> str:
        if len(self.removed) == 1 and len(self.added) == 1:
            return f"Are you renaming {self.table}.{self.removed[0]} to {self.table}.{self.added[0]}?"
        if len(self.removed) == 1:
            return (
                f"{self.table}: column {self.removed[0]} is gone and {', '.join(self.added)} are new; "
                f"was {self.removed[0]} renamed to one of them?"
            )
        gone = f"columns {', '.join(self.removed)} are gone"
        new = f"{', '.join(self.added)} {'is' if len(self.added) == 1 else 'are'} new"
        return f"{self.table}: {gone} and {new}; are any of them renames?"

    def flag_hint(self) -> str:
        return f"--rename {self.table}.{self.removed[0]}=NEW (or --no-renames)"


@dataclass(frozen=True)
class TableQuestion:
    """`table` has a snapshot but no resource: renamed or moved to a candidate, dropped, or kept?"""

    table: str
    candidates: tuple[str, ...] = ()

    def text(self) -> str:
        if self.candidates:
            return (
                f"Table {self.table} no longer has a resource; was it renamed or moved to "
                f"{' or '.join(self.candidates)}?"
            )
        return f"Table {self.table} no longer has a resource. Generate a migration to DROP this table?"

    def flag_hint(self) -> str:
        drop = f"--drop-table {self.table} or --keep-table {self.table}"
        if self.candidates:
            return f"--rename-table {self.table}={self.candidates[0]}, {drop}"
        return drop


Question = ColumnRenameQuestion | TableQuestion


@dataclass(frozen=True)
class Answers:
    """Answers to rename and drop questions. Column renames: table -> old column -> new column (None = no)."""

    column_renames: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    table_renames: Mapping[str, str] = field(default_factory=dict)
    drop_tables: frozenset[str] = frozenset()
    keep_tables: frozenset[str] = frozenset()
    no_renames: bool = False

    def with_column(self, table: str, old: str, new: str | None) -> Answers:
        merged = {t: dict(cols) for t, cols in self.column_renames.items()}
        merged.setdefault(table, {})[old] = new
        return replace(self, column_renames=merged)

    def with_table(self, table: str, *, rename_to: str | None = None, drop: bool | None = None) -> Answers:
        if rename_to is not None:
            return replace(self, table_renames={**self.table_renames, table: rename_to})
        if drop:
            return replace(self, drop_tables=self.drop_tables | {table})
        return replace(self, keep_tables=self.keep_tables | {table})
