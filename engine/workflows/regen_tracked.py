"""Tracked snapshot files that regen puts back from git's index before it generates again (SPEC 7).

An untracked generate can change tracked snapshot files (it removes the folder of a table it dropped or
renamed, marks a kept table's latest snapshot, rewrites extensions.json), so regen restores those, to
generate from the committed state and leave committed files byte-identical. A change that is not one of
generate's own is the user's work, and regen refuses rather than overwrite it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snapshift.engine.autogen.snapshots import EXTENSIONS_FILE
from snapshift.engine.base import gitstate

KEPT_MARK = "drop_table_opted_out"  # what `--keep-table` adds to a table's latest snapshot


@dataclass(frozen=True)
class TrackedChanges:
    """Tracked snapshot files changed since git's index: those regen restores, and those it refuses."""

    restore: tuple[Path, ...] = ()
    refuse: tuple[Path, ...] = ()


def tracked_changes(root: Path, folders: Sequence[Path], purpose: str = "regen") -> TrackedChanges:
    """Sort the tracked files under `folders` that differ from the index by who could have changed them."""
    restore: list[Path] = []
    refuse: list[Path] = []
    for path in gitstate.changed_tracked(root, folders, purpose):
        (restore if _generate_change(root, path, purpose) else refuse).append(path)
    return TrackedChanges(tuple(restore), tuple(refuse))


def _generate_change(root: Path, path: Path, purpose: str) -> bool:
    """Whether the change is one generate makes: a removal, extensions.json, or a kept-table mark. A
    deleted tracked file loses nothing (git has it), so it is always restored."""
    if not path.exists() or path.name == EXTENSIONS_FILE:
        return True
    try:
        now = json.loads(path.read_bytes())
        before = json.loads(gitstate.index_bytes(root, path, purpose))
    except (OSError, ValueError):
        return False
    return bool(_without_mark(now) == _without_mark(before))


def _without_mark(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k not in (KEPT_MARK, "hash")}
    return data
