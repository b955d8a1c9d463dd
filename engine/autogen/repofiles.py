"""What a plan reads of one repo's folders: the latest snapshot of every table, the extensions file and
the migration file names. Read once into plain data, so that planning itself reads nothing."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from snapshift.engine.autogen.snapshots import (
    EXTENSIONS_FILE,
    SNAPSHOT_NAME,
    TENANTS_DIR,
    LatestFile,
    folder_key,
    parse_extensions,
    read_extensions,
    read_latest_files,
)
from snapshift.engine.base.fileread import read_bytes
from snapshift.engine.resources.config import RepoConfig


@dataclass(frozen=True)
class RepoFiles:
    """One repo's snapshots (`LatestFile` entries, as bytes), installed extensions (None: no file yet) and
    the `.sql` file names of its migrations and tenant migrations folders, sorted."""

    snapshots: tuple[LatestFile, ...]
    extensions: tuple[str, ...] | None
    migrations: tuple[str, ...]
    tenant_migrations: tuple[str, ...]


def read_repo_files(repo: RepoConfig, snapshots: Sequence[LatestFile] | None = None) -> RepoFiles:
    """Read everything a plan needs of `repo`; `snapshots` when they were read already."""
    if snapshots is None:
        snapshots = read_latest_files(repo.snapshots_path)
    return RepoFiles(
        tuple(snapshots),
        read_extensions(repo.snapshots_path),
        sql_names(str(repo.migrations_path)),
        sql_names(str(repo.tenant_migrations_path)),
    )


def sql_names(folder: str) -> tuple[str, ...]:
    """The `.sql` file names in `folder`, sorted; none when it does not exist."""
    try:
        return tuple(sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".sql")))
    except (FileNotFoundError, NotADirectoryError):
        return ()


def files_without(
    repo: RepoConfig, files: RepoFiles | None, excluded: Collection[Path], replaced: Mapping[Path, bytes]
) -> RepoFiles:
    """`files` (None: read here) as if the `excluded` migration and snapshot files did not exist and each
    `replaced` snapshot file (present or not) held the given bytes: what regen plans from once it has moved
    the untracked files aside and put back git's version of the tracked ones. Reads the folders it
    touches; writes nothing."""
    root = repo.snapshots_path
    hidden = {path for path in excluded if path.is_relative_to(root)}
    if files is None:  # an extensions file about to go or be replaced is not read: it may be the problem
        skip = root / EXTENSIONS_FILE in hidden or root / EXTENSIONS_FILE in replaced
        files = RepoFiles(
            tuple(read_latest_files(root)),
            None if skip else read_extensions(root),
            sql_names(str(repo.migrations_path)),
            sql_names(str(repo.tenant_migrations_path)),
        )
    touched = {path.parent for path in (*hidden, *replaced) if folder_key(root, path.parent) is not None}
    entries = {entry[0]: entry for entry in files.snapshots}
    for folder in touched:
        entry = _entry_without(root, folder, hidden, replaced)
        if entry[2] is None and folder == root / TENANTS_DIR:  # the tenant tables' folder, not a table's
            entries.pop(str(folder), None)
        else:
            entries[str(folder)] = entry
    extensions = files.extensions
    if root / EXTENSIONS_FILE in replaced:
        extensions = parse_extensions(replaced[root / EXTENSIONS_FILE], root / EXTENSIONS_FILE)
    elif root / EXTENSIONS_FILE in hidden:
        extensions = None
    gone = {path.name for path in excluded if path.parent == repo.migrations_path}
    gone_tenant = {path.name for path in excluded if path.parent == repo.tenant_migrations_path}
    return replace(
        files,
        snapshots=tuple(entries[folder] for folder in sorted(entries)),
        extensions=extensions,
        migrations=tuple(name for name in files.migrations if name not in gone),
        tenant_migrations=tuple(name for name in files.tenant_migrations if name not in gone_tenant),
    )


def _entry_without(
    root: Path, folder: Path, hidden: Collection[Path], replaced: Mapping[Path, bytes]
) -> LatestFile:
    """One table folder's `LatestFile` with the `hidden` files left out and the `replaced` ones put in."""
    key = folder_key(root, folder)
    assert key is not None  # only table folders are touched
    try:
        names = {entry.name for entry in os.scandir(folder) if SNAPSHOT_NAME.match(entry.name)}
    except (FileNotFoundError, NotADirectoryError):
        names = set()
    names = {name for name in names if folder / name not in hidden}
    names |= {path.name for path in replaced if path.parent == folder and SNAPSHOT_NAME.match(path.name)}
    latest = max(names, default=None)
    content = None
    if latest is not None:
        path = folder / latest
        try:
            content = replaced[path] if path in replaced else read_bytes(path)
        except OSError:
            content = None  # load_state reads it again and reports the error
    return (str(folder), (key.schema, key.name, key.tenant), latest, content)
