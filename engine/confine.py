"""Where snapshift may write: each repo's migrations, tenant migrations and snapshot folders, nothing else.

Names become paths (`engine.pathnames` keeps them inside), and a file in a pull request may hold a
symlink or a crafted recovery journal: so every path generate writes, renames or removes is checked
here, resolved (symlinks included), before anything is touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from engine.config import ProjectConfig, RepoConfig


def repo_folders(repos: Iterable[RepoConfig]) -> list[Path]:
    """The folders generate writes into, for `repos`."""
    return [path for r in repos for path in (r.migrations_path, r.tenant_migrations_path, r.snapshots_path)]


def project_folders(config: ProjectConfig) -> list[Path]:
    return repo_folders(config.repos)


def resolved(path: Path | str) -> str:
    return os.path.realpath(path)


def is_inside(path: Path | str, folders: Sequence[Path]) -> bool:
    """Whether `path`, its folder resolved (symlinks included), lies inside one of `folders` (resolved too).
    The last part is not resolved: a rename replaces a symlink there, it does not write through it."""
    name = os.path.basename(path)
    if name in ("", ".", "..") or os.sep in name or (os.altsep and os.altsep in name) or "\x00" in name:
        return False
    parent = resolved(os.path.dirname(os.path.abspath(path)))
    for folder in folders:
        root = resolved(folder)
        if parent == root or parent.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def is_plain_folder(path: Path | str) -> bool:
    """A folder that is not a symlink: removing what is inside stays inside."""
    return os.path.isdir(path) and not os.path.islink(path)
