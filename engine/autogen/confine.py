"""Where snapshift may write: each repo's migrations, tenant migrations and snapshot folders, nothing else.

Names become paths (`engine.base.pathnames` keeps them inside), and a file in a pull request may hold a
symlink or a crafted recovery journal: so every path generate writes, renames or removes is checked
here, resolved (symlinks included), before anything is touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from snapshift.engine.resources.config import ProjectConfig, RepoConfig


def repo_folders(repos: Iterable[RepoConfig]) -> list[Path]:
    """The folders generate writes into, for `repos`."""
    return [path for r in repos for path in (r.migrations_path, r.tenant_migrations_path, r.snapshots_path)]


def project_folders(config: ProjectConfig) -> list[Path]:
    return repo_folders(config.repos)


class Confinement:
    """The check that paths lie inside some folders, resolved (symlinks included). Resolved folders are
    remembered: a generate checks thousands of files in a few folders, and `os.path.realpath` of each
    (an lstat per part of the path) would cost more than writing them."""

    def __init__(self, folders: Iterable[Path | str]) -> None:
        self._seen: dict[str, str] = {}
        self._roots = [self._resolved(os.path.join(os.getcwd(), folder)) for folder in folders]

    def contains(self, path: Path | str) -> bool:
        """Whether `path`, its folder resolved, lies inside one of the folders. The last part is not
        resolved: a rename replaces a symlink there, it does not write through it."""
        text = os.fspath(path)
        name = os.path.basename(text)
        if name in ("", ".", "..") or (os.altsep and os.altsep in name) or "\x00" in text:
            return False
        # no abspath: it would drop `x/..` by the text, where the file system follows `x` first if a symlink
        parent = self._resolved(
            os.path.dirname(text if os.path.isabs(text) else os.path.join(os.getcwd(), text))
        )
        return any(parent == root or parent.startswith(root.rstrip(os.sep) + os.sep) for root in self._roots)

    def _resolved(self, folder: str) -> str:
        known = self._seen.get(folder)
        if known is not None:
            return known
        head, leaf = os.path.split(folder)
        if head == folder or leaf in ("", ".", "..") or os.path.islink(folder):
            result = os.path.realpath(folder)
        else:  # not a symlink (maybe not there yet): its parent, resolved, and its name
            result = os.path.join(self._resolved(head), leaf)
        self._seen[folder] = result
        return result


def is_inside(path: Path | str, folders: Iterable[Path | str]) -> bool:
    """`Confinement(folders).contains(path)`, for a single check."""
    return Confinement(folders).contains(path)
