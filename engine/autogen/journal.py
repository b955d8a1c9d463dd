"""generate's last step, journaled: while its files are renamed into place and the snapshots of dropped
tables removed, a file in the project root lists that work. A run killed outright in the middle (kill -9,
the OOM killer) is then finished by the next command that writes, at its start (`finish_interrupted`),
instead of leaving a migration without some of its snapshots (the next generate would write those changes
a second time)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from snapshift.engine.autogen.confine import Confinement
from snapshift.engine.base.atomic import (
    interrupts_deferred,
    is_temp_of,
    process_alive,
    sweep_stale_temps,
    write_atomic,
)
from snapshift.engine.base.errors import InputError, Location
from snapshift.engine.base.lazy import lazy_module
from snapshift.engine.base.relpath import RelativeTo
from snapshift.engine.resources.config import RepoConfig

if TYPE_CHECKING:
    from snapshift.engine.autogen import snapshots
else:
    snapshots = lazy_module("snapshift.engine.autogen.snapshots")

NAME = ".snapshift-pending.json"


def begin(root: Path, renames: Sequence[tuple[Path, Path]], removals: Sequence[Path]) -> None:
    """Record the last step before it starts: each temp file and its place, then folders to remove
    (paths relative to `root`, so that a moved project still finishes)."""
    relative = RelativeTo(root)
    record = {
        "pid": os.getpid(),
        "renames": [[relative(tmp), relative(path)] for tmp, path in renames],
        "removals": [relative(folder) for folder in removals],
    }
    # orjson: json.dumps with an indent runs the pure-Python encoder over thousands of paths
    write_atomic(root / NAME, orjson.dumps(record, option=orjson.OPT_INDENT_2).decode() + "\n")


def end(root: Path) -> None:
    (root / NAME).unlink(missing_ok=True)


def pending(root: Path) -> bool:
    return os.path.exists(root / NAME)


def check_pending(root: Path, folders: Sequence[Path]) -> bool:
    """Whether a killed generate's journal waits to be finished, changing nothing (for read-only
    commands); InputError naming the journal when it is unreadable or asks for anything but snapshift's
    own work."""
    path = root / NAME
    text = _read(path)
    if text is None:
        return False
    renames, removals, _ = _parse(path, text)
    _check(root, path, renames, removals, folders)
    return True


def finish_interrupted(root: Path, folders: Sequence[Path]) -> list[Path]:
    """Finish the last step of a generate that was killed in it: rename the temp files still there,
    remove the folders, drop the journal; the files put in place now. Nothing to do without a journal,
    or while the run that wrote it is still alive (it finishes its own work).

    The journal is a file in the project, which a pull request can bring: each entry is followed only
    when it renames one of snapshift's own temp files to the file it was made for, inside `folders` (the
    repos' migrations and snapshot folders, resolved), or empties a table folder inside one; anything else
    is InputError naming the journal, before anything is touched."""
    path = root / NAME
    text = _read(path)
    if text is None:
        return []
    renames, removals, pid = _parse(path, text)
    _check(root, path, renames, removals, folders)
    if pid != os.getpid() and process_alive(pid):
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


def sweep_stale(root: Path, repos: Sequence[RepoConfig], touched: Iterable[Path] = ()) -> list[Path]:
    """Remove the temp files a generate killed while it wrote them left behind (their process is gone),
    and a table folder left empty by that; the files removed. Run after `finish_interrupted`, which puts
    a killed generate's finished temp files in place first.

    Looked for in the project root (the journal's only), the repos' migrations and snapshot folders, and the
    `touched` table folders (those this generate writes); in every table folder only when some were
    found there: a killed run writes its migrations first, and listing thousands of folders on every
    generate to find nothing would cost more than the rest of a small one."""
    removed = sweep_stale_temps([root], NAME)  # the project root holds other people's files too
    folders = []
    for repo in repos:
        folders += [repo.migrations_path, repo.tenant_migrations_path, repo.snapshots_path]
        folders.append(repo.snapshots_path / snapshots.TENANTS_DIR)
    removed += sweep_stale_temps(folders)
    table_folders = list(touched)
    if removed:
        table_folders += [Path(f) for repo in repos for f, _ in snapshots.table_folders(repo.snapshots_path)]
    for folder in dict.fromkeys(table_folders):
        if folder.is_symlink():  # not ours to clean (and generate refuses to write through it)
            continue
        swept = sweep_stale_temps([folder])
        if swept:
            removed += swept
            with contextlib.suppress(OSError):  # only when nothing else is in it
                folder.rmdir()
    return removed


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from exc


def _check(
    root: Path,
    path: Path,
    renames: Sequence[tuple[str, str]],
    removals: Sequence[str],
    folders: Sequence[Path],
) -> None:
    confinement = Confinement(folders)
    for tmp, target in renames:
        source, place = os.path.join(root, tmp), os.path.join(root, target)
        if not (is_temp_of(source, place) and confinement.contains(place) and confinement.contains(source)):
            raise _refused(path, f"rename {tmp!r} to {target!r}")
        if os.path.lexists(source) and (os.path.islink(source) or not os.path.isfile(source)):
            raise _refused(path, f"rename {tmp!r}, which is not a plain file,")
    for folder in removals:
        place = os.path.join(root, folder)
        if not confinement.contains(place) or os.path.islink(place):
            raise _refused(path, f"remove the snapshots in {folder!r}")


def _refused(path: Path, what: str) -> InputError:
    reason = (
        f"this journal of an interrupted generate asks to {what}: snapshift only renames its own temp files "
        "into the repos' migrations and snapshot folders, so it changed nothing; check the newest migration "
        "and its snapshots, then delete the journal"
    )
    return InputError(reason, Location(path))


def _parse(path: Path, text: str) -> tuple[list[tuple[str, str]], list[str], int]:
    try:
        record = orjson.loads(text)  # a depth limit, where json's decoder would raise RecursionError
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
