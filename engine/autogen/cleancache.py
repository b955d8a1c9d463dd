"""Remember that a project was clean (its resources equal its latest snapshots), keyed by the stat of
every file a plan reads, so that `generate --check`, `generate` and `status` on an unchanged large
project answer without parsing anything: the way git's index skips files whose stat did not change.

The key holds the config file, every resource file the globs match, every snapshot folder with its
latest snapshot, the extensions files, and snapshift's own engine modules (a new version may diff
differently). Like black's cache, it lives in the user's cache folder ($XDG_CACHE_HOME/snapshift, one
file per project folder), so that no command writes into the project unasked; when it cannot be read or
written, snapshift just does the full plan.
"""

from __future__ import annotations

import contextlib
import os
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from snapshift.engine.autogen.snapshots import EXTENSIONS_FILE, TENANTS_DIR, snapshot_listing
from snapshift.engine.base.atomic import write_atomic
from snapshift.engine.base.fileread import read_bytes
from snapshift.engine.resources.config import ProjectConfig, RepoConfig
from snapshift.engine.resources.loading import resource_paths

FORMAT = 1
RACY_NS = 100_000_000
COARSE_RACY_NS = 2_000_000_000
STALE_AFTER_S = 30 * 24 * 3600  # a month unused: the project was moved or deleted
ENGINE_DIR = Path(__file__).resolve().parent.parent  # engine/: its code is part of what a plan depends on

Entry = list[int] | None


def _stat(path: str | Path) -> Entry:
    """(mtime, ctime, size, inode), None when missing: ctime changes on any write and cannot be set back
    by tools that restore mtimes."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]


@dataclass(frozen=True)
class Fingerprint:
    """Everything a plan of some repos reads, by path (relative to the project when inside), with its
    stat (None: missing); `since_ns` is when the plan began reading."""

    since_ns: int
    data: dict[str, Any]


Listing = Sequence[tuple[str, str | None]]  # snapshot folders with their latest file, as a plan read them


def _racy(entry: list[int], since_ns: int) -> bool:
    """Changed after `since_ns`, or so shortly before that a later change could keep its times: one
    clock tick here, 2 s for a file whose time is a whole second (FAT, SMB, HFS+ keep no more)."""
    mtime, ctime = entry[0], entry[1]
    window = COARSE_RACY_NS if mtime % 1_000_000_000 == 0 else RACY_NS
    return max(mtime, ctime) >= since_ns - window


def fingerprint(
    config: ProjectConfig,
    repos: Sequence[RepoConfig],
    resources: Sequence[Path],
    listings: Sequence[Listing],
    since_ns: int,
) -> Fingerprint:
    """The stat of the files a plan that began at `since_ns` read: `resources`, and per repo its
    snapshot folders with their latest snapshot (`listings`, in `repos` order)."""
    prefix = str(config.root) + os.sep
    entries: dict[str, Entry] = {}

    def add(path: str | Path) -> None:
        name = str(path)
        entries[name.removeprefix(prefix)] = _stat(name)

    add(config.config_path)
    for module in sorted(ENGINE_DIR.rglob("*.py")):
        add(module)
    for path in resources:
        add(path)
    for repo, listing in zip(repos, listings, strict=True):
        root = repo.snapshots_path
        for fixed in (root, root / TENANTS_DIR, root / EXTENSIONS_FILE):
            add(fixed)
        for folder, name in listing:
            add(folder)
            if name is not None:
                add(os.path.join(folder, name))
    return Fingerprint(since_ns, {"format": FORMAT, "repos": [r.name for r in repos], "entries": entries})


def take(config: ProjectConfig, repos: Sequence[RepoConfig]) -> Fingerprint:
    """The fingerprint of the files as they are now."""
    since = time.time_ns()
    listings = [snapshot_listing(repo.snapshots_path) for repo in repos]
    return fingerprint(config, repos, resource_paths(config), listings, since)


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "snapshift"


def cache_path(config: ProjectConfig, repos: Sequence[RepoConfig]) -> Path:
    """The cache file of one project folder and set of repos (`status` asks per repo, `generate` for
    all: each keeps its own)."""
    key = "\0".join([str(config.root), *sorted(r.name for r in repos)]).encode()
    # a name, not a guard (hashlib would cost every command OpenSSL's start-up): projects whose names
    # collide share a file and miss, since no two projects' files have the same inodes and times
    return cache_folder() / f"clean-{zlib.crc32(key):08x}{zlib.adler32(key):08x}.json"


def known_clean(config: ProjectConfig, repos: Sequence[RepoConfig]) -> bool:
    """Whether the files are exactly as they were when a plan last found the project clean."""
    path = cache_path(config, repos)
    try:
        cached = orjson.loads(read_bytes(path))
    except (OSError, ValueError):
        return False  # no cache (a fresh clone, CI): nothing to compare, so nothing to stat
    if cached != take(config, repos).data:
        return False
    with contextlib.suppress(OSError):
        os.utime(path)  # in use: not stale (see _prune)
    return True


def store(config: ProjectConfig, repos: Sequence[RepoConfig], clean: Fingerprint) -> bool:
    """Remember the fingerprint of a plan that found the project clean. False when a file changed after
    the plan began, or so shortly before that its times might not show a later change made in the same
    clock tick (it may not be what the plan read), or when the cache cannot be written."""
    for entry in clean.data["entries"].values():
        if entry is not None and _racy(entry, clean.since_ns):
            return False
    path = cache_path(config, repos)
    try:
        text = orjson.dumps(clean.data, option=orjson.OPT_SORT_KEYS).decode()
        write_atomic(path, text)
    except OSError:
        return False
    _prune(path)
    return True


def _prune(kept: Path) -> None:
    """Remove the cache files no command used for STALE_AFTER_S: those of projects moved or deleted,
    which nothing else would ever remove. An entry in use has its time refreshed at each hit."""
    cutoff = time.time() - STALE_AFTER_S
    with contextlib.suppress(OSError), os.scandir(kept.parent) as entries:
        for entry in entries:
            if entry.name.startswith("clean-") and entry.name.endswith(".json") and entry.path != str(kept):
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
