"""generate's last step, journaled: while its files are renamed into place and the snapshots of dropped
tables removed, a file in the project root lists that work. A run killed outright in the middle (kill -9,
the OOM killer) is then finished by the next plan, instead of leaving a migration without some of its
snapshots (the next generate would write those changes a second time)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.atomic import interrupts_deferred, write_atomic
from engine.errors import InputError, Location
from engine.lazy import lazy_module

if TYPE_CHECKING:
    from engine import snapshots
else:
    snapshots = lazy_module("engine.snapshots")

NAME = ".snapshift-pending.json"


def begin(root: Path, renames: Sequence[tuple[Path, Path]], removals: Sequence[Path]) -> None:
    """Record the last step before it starts: each temp file and its place, then folders to remove
    (paths relative to `root`, so that a moved project still finishes)."""
    record = {
        "pid": os.getpid(),
        "renames": [[os.path.relpath(tmp, root), os.path.relpath(path, root)] for tmp, path in renames],
        "removals": [os.path.relpath(folder, root) for folder in removals],
    }
    write_atomic(root / NAME, json.dumps(record, indent=1) + "\n")


def end(root: Path) -> None:
    (root / NAME).unlink(missing_ok=True)


def pending(root: Path) -> bool:
    return os.path.exists(root / NAME)


def finish_interrupted(root: Path) -> list[Path]:
    """Finish the last step of a generate that was killed in it: rename the temp files still there,
    remove the folders, drop the journal; the files put in place now. Nothing to do without a journal,
    or while the run that wrote it is still alive (it finishes its own work)."""
    path = root / NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from exc
    renames, removals, pid = _parse(path, text)
    if pid != os.getpid() and _alive(pid):
        return []
    placed = []
    with interrupts_deferred():
        for tmp, target in renames:
            try:
                os.replace(root / tmp, root / target)
            except FileNotFoundError:  # renamed before the run was killed
                continue
            placed.append(root / target)
        for folder in removals:
            snapshots.remove_table_snapshots(root / folder)
        end(root)
    return placed


def _parse(path: Path, text: str) -> tuple[list[tuple[str, str]], list[str], int]:
    try:
        record = json.loads(text)
        renames = [(str(tmp), str(target)) for tmp, target in record["renames"]]
        return renames, [str(folder) for folder in record["removals"]], int(record["pid"])
    except (ValueError, TypeError, KeyError) as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: Exception) -> InputError:
    reason = (
        "this journal of an interrupted generate cannot be read "
        f"({type(exc).__name__}: {exc}); check the newest migration and its snapshots, then delete it"
    )
    return InputError(reason, Location(path))


def _alive(pid: int) -> bool:
    if pid <= 0:  # kill(0) or kill(-n) would ask about a whole process group
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except (OverflowError, ValueError):
        return False
    return True
