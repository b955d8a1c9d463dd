"""A plan's reading of the snapshots, and the stat of every file it reads (for the clean cache), done
aside (`engine.aside`) while this process loads the resource files: on two cores a large cold
`generate --check` then takes about the longer of the two instead of their sum (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import cleancache
from engine.aside import Aside, worth_forking
from engine.config import ProjectConfig, RepoConfig
from engine.snapshots import LatestFile, read_latest_files

_Plain = tuple[dict[str, list[LatestFile]], dict[str, Any] | None]


@dataclass(frozen=True)
class Prefetched:
    """Every repo's latest snapshot files by repo name, and the fingerprint of what the plan reads."""

    snapshot_files: dict[str, list[LatestFile]]
    fingerprint: cleancache.Fingerprint | None


class Prefetch:
    """Snapshots and stats being read aside; `result()` waits for them. A context manager."""

    def __init__(self, aside: Aside[_Plain], since_ns: int) -> None:
        self._aside = aside
        self._since_ns = since_ns

    def result(self) -> Prefetched:
        files, data = self._aside.result()
        fingerprint = None if data is None else cleancache.Fingerprint(self._since_ns, data)
        return Prefetched(files, fingerprint)

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, *exc: object) -> None:
        self._aside.close()


def start(
    config: ProjectConfig, repos: Sequence[RepoConfig], resources: Sequence[Path], since_ns: int
) -> Prefetch | None:
    """Start reading `repos`' snapshots in a forked process; None when that would not pay (a small
    project, no snapshots yet) or is not safe (threads: the app), and the plan reads them itself.

    The fingerprint is taken only when the config came from its file (`read_ns`): otherwise the
    clean cache is never written.
    """
    if not worth_forking(len(resources)) or not any(repo.snapshots_path.is_dir() for repo in repos):
        return None

    def work() -> _Plain:
        files = {repo.name: read_latest_files(repo.snapshots_path, decode=True) for repo in repos}
        if not config.read_ns:
            return files, None
        listings = [[(folder, name) for folder, _, name, _, _ in files[repo.name]] for repo in repos]
        return files, cleancache.fingerprint(config, repos, resources, listings, since_ns).data

    return Prefetch(Aside(work), since_ns)
