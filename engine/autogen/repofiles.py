"""What a plan reads of one repo's folders: the latest snapshot of every table, the extensions file and
the migration file names. Read once into plain data, so that planning itself reads nothing."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from snapshift.engine.autogen.snapshots import LatestFile, read_extensions, read_latest_files
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
