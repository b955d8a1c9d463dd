"""The project as read from disk, immutable: the config, each resource file's draft (or its problems), and
each repo's snapshots and migration file names. `refresh` re-reads only what changed; `plan` reads and
writes nothing, so the app can re-plan on every save, on any thread, while files keep changing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from snapshift.engine.autogen.generate import GenerateOptions, Generation, plan_generation
from snapshift.engine.autogen.questions import Answers
from snapshift.engine.autogen.repofiles import RepoFiles, files_without, read_repo_files
from snapshift.engine.autogen.snapshots import (
    KnownSnapshots,
    LatestFile,
    read_latest_files,
    snapshot_entry,
    table_folders,
)
from snapshift.engine.base.errors import Cancelled, InputError, all_problems
from snapshift.engine.resources.config import ProjectConfig, RepoConfig, load_config
from snapshift.engine.resources.loading import resource_paths, sorted_tables
from snapshift.engine.resources.model import Table
from snapshift.engine.resources.resource_columns import ColumnCache
from snapshift.engine.resources.resource_draft import Draft
from snapshift.engine.resources.resource_file import draft_file
from snapshift.engine.resources.resource_links import ResolvedDrafts, resolve_drafts

CancelCheck = Callable[[], bool]  # true once the caller no longer wants the result


@dataclass(frozen=True)
class ResourceFile:
    """One resource file: its draft, or the problems that kept it from one and the last draft it gave."""

    path: Path
    draft: Draft | None
    problems: tuple[InputError, ...] = ()
    last_good: Draft | None = None

    @property
    def usable(self) -> Draft | None:
        """The draft a plan can use: the current one, else the last good one (the app's stale view)."""
        return self.draft or self.last_good


@dataclass(frozen=True)
class _Memo:
    """Work a state hands on to the states refreshed from it: tables resolved per draft, snapshots decoded
    per repo. Each entry says what it was computed from, so a stale entry is never used, only replaced."""

    resolved: ResolvedDrafts = field(default_factory=dict)
    snapshots: dict[str, KnownSnapshots] = field(default_factory=dict)
    columns: ColumnCache = field(default_factory=dict)

    def kept_for(self, resources: Mapping[Path, ResourceFile], repos: Mapping[str, RepoFiles]) -> _Memo:
        """The entries still about the given files: a long session keeps no dead drafts or snapshots."""
        drafts = {id(d) for entry in resources.values() for d in (entry.draft, entry.last_good) if d}
        resolved = {key: hit for key, hit in self.resolved.items() if key in drafts}
        snapshots = {}
        for name, files in repos.items():
            listed = {(entry[0], entry[2]) for entry in files.snapshots}
            known = self.snapshots.get(name, {})
            snapshots[name] = {key: hit for key, hit in known.items() if key in listed}
        return _Memo(resolved, snapshots, self.columns)


@dataclass(frozen=True)
class ProjectState:
    """Everything a plan reads, read once. Build it with `read_state`; never mutated."""

    config: ProjectConfig
    resources: Mapping[Path, ResourceFile]
    repos: Mapping[str, RepoFiles]
    repo_problems: Mapping[str, InputError] = field(default_factory=dict)  # unreadable snapshot files
    memo: _Memo = field(default_factory=_Memo, compare=False, repr=False)

    @property
    def problems(self) -> list[InputError]:
        """Every problem in the project's files: resource files, then the repos' snapshot files."""
        found = [problem for entry in self.resources.values() for problem in entry.problems]
        return found + list(self.repo_problems.values())

    def refresh(self, changed: Iterable[Path], cancel: CancelCheck | None = None) -> ProjectState:
        """A new state with the `changed` paths (files or folders; created, edited, deleted or renamed)
        read again. A change to the config reads everything again; other paths are ignored."""
        paths = {Path(os.path.abspath(path)) for path in changed}
        if self.config.config_path in paths:
            return read_state(load_config(self.config.config_path), cancel)
        resources = self._refreshed_resources(paths, cancel)
        repos, problems = dict(self.repos), dict(self.repo_problems)
        for repo in self.config.repos:
            if any(_within(str(path), str(folder)) for path in paths for folder in _repo_folders(repo)):
                _check(cancel)
                try:
                    repos[repo.name] = self._reread_repo(repo, paths)
                    problems.pop(repo.name, None)
                except InputError as problem:
                    problems[repo.name] = problem
        return ProjectState(self.config, resources, repos, problems, self.memo.kept_for(resources, repos))

    def without(
        self,
        excluded: Collection[Path],
        replaced: Mapping[Path, bytes] | None = None,
        repos: Collection[str] | None = None,
    ) -> ProjectState:
        """A new state as if the `excluded` migration and snapshot files did not exist and each `replaced`
        snapshot file held the given bytes, in the named repos (all by default): regen plans from it what
        generate will write once the untracked files are gone and git's versions of the tracked ones are
        back. Reads the snapshot folders those paths are in; writes nothing."""
        replaced = replaced or {}
        files, problems = dict(self.repos), dict(self.repo_problems)
        for repo in self.config.repos:
            if repos is not None and repo.name not in repos:
                continue
            try:
                files[repo.name] = files_without(repo, self.repos.get(repo.name), excluded, replaced)
                problems.pop(repo.name, None)
            except InputError as problem:
                problems[repo.name] = problem
        memo = self.memo.kept_for(self.resources, files)
        return ProjectState(self.config, self.resources, files, problems, memo)

    def _refreshed_resources(self, paths: set[Path], cancel: CancelCheck | None) -> dict[Path, ResourceFile]:
        resources = dict(self.resources)
        if all(path in resources and path.is_file() for path in paths):  # edits: no glob needed
            for path in paths:
                _check(cancel)
                resources[path] = _read_resource(self.config, path, resources[path], self.memo.columns)
            return resources
        if not any(self._may_be_resource(path) for path in paths):
            return resources
        changed = [str(path) for path in paths]
        fresh = {}
        for path in resource_paths(self.config):
            _check(cancel)
            before = resources.get(path)
            if before is None or any(_within(str(path), folder) for folder in changed):
                fresh[path] = _read_resource(self.config, path, before, self.memo.columns)
            else:
                fresh[path] = before
        return fresh

    def _may_be_resource(self, path: Path) -> bool:
        """Whether `path` is, or may hold, a resource file: a known one, or a .toml file or a folder in
        the project (a deleted path is no longer known to be either)."""
        if path in self.resources:
            return True
        if not _within(str(path), str(self.config.root)):
            return False
        return path.suffix == ".toml" or path.is_dir() or not path.exists()

    def _reread_repo(self, repo: RepoConfig, paths: set[Path]) -> RepoFiles:
        """Read again what `paths` touch of one repo: its changed table folders, listings, extensions."""
        old = self.repos.get(repo.name)
        if old is None:
            return read_repo_files(repo)
        return read_repo_files(repo, _refreshed_snapshots(repo.snapshots_path, old.snapshots, paths))


def read_state(
    config: ProjectConfig,
    cancel: CancelCheck | None = None,
    resources: Mapping[Path, ResourceFile] | None = None,
    snapshots: Mapping[str, list[LatestFile]] | None = None,
) -> ProjectState:
    """Read every input of a plan: each resource file (to a draft, or its problems), each repo's snapshots
    and migration listings; `resources` and `snapshots` (by repo) when they were read already."""
    memo = _Memo()
    if resources is None:
        resources = read_resources(config, resource_paths(config), cancel, memo.columns)
    repos: dict[str, RepoFiles] = {}
    problems: dict[str, InputError] = {}
    for repo in config.repos:
        _check(cancel)
        try:
            repos[repo.name] = read_repo_files(repo, (snapshots or {}).get(repo.name))
        except InputError as problem:
            problems[repo.name] = problem
    return ProjectState(config, resources, repos, problems, memo)


def read_resources(
    config: ProjectConfig,
    paths: Iterable[Path],
    cancel: CancelCheck | None = None,
    column_cache: ColumnCache | None = None,
) -> dict[Path, ResourceFile]:
    """Each resource file read on its own: a draft, or every problem found in it."""
    cache: ColumnCache = {} if column_cache is None else column_cache
    resources = {}
    for path in paths:
        _check(cancel)
        resources[path] = _read_resource(config, path, None, cache)
    return resources


def plan(
    state: ProjectState,
    answers: Answers = Answers(),
    options: GenerateOptions = GenerateOptions(),
    now: datetime | None = None,
    repos: Sequence[str] | None = None,
    cancel: CancelCheck | None = None,
    stale: bool = False,
) -> Generation:
    """What `generate` would write for `state`; reads and writes nothing. Problems in the project's files
    are raised all at once (InputProblems; a lone one as itself) unless `stale`: then a file with
    problems counts with its last good draft (the app keeps showing the last good plan). `cancel` is
    checked between phases."""
    if state.repo_problems or (not stale and state.problems):
        raise all_problems(state.problems)
    _check(cancel)
    tables = resolved_tables(state, stale)
    _check(cancel)
    return plan_generation(
        state.config, tables, answers, options, now, repos, state.repos, state.memo.snapshots
    )


def resolved_tables(state: ProjectState, stale: bool = False) -> list[Table]:
    """The state's tables with their references resolved, sorted by table key (then repo)."""
    drafts = [d for entry in state.resources.values() if (d := entry.usable if stale else entry.draft)]
    return sorted_tables(resolve_drafts(drafts, state.memo.resolved))


def _read_resource(
    config: ProjectConfig, path: Path, before: ResourceFile | None, column_cache: ColumnCache
) -> ResourceFile:
    try:
        return ResourceFile(path, draft_file(config, path, column_cache))
    except InputError as problem:
        return ResourceFile(path, None, (problem,), before.usable if before is not None else None)


def _check(cancel: CancelCheck | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled("plan cancelled")


def _within(path: str, folder: str) -> bool:
    """Whether `path` is `folder`, inside it, or one of the folders above it (moving those moves it)."""
    if len(path) > len(folder):
        return path.startswith(folder) and path[len(folder)] == os.sep
    return path == folder or (folder.startswith(path) and folder[len(path)] == os.sep)


def _repo_folders(repo: RepoConfig) -> tuple[Path, ...]:
    return (repo.snapshots_path, repo.migrations_path, repo.tenant_migrations_path)


def _refreshed_snapshots(
    root: Path, before: tuple[LatestFile, ...], paths: set[Path]
) -> tuple[LatestFile, ...]:
    """`before` with the table folders that `paths` touch read again; all of them when a path is not
    inside a known table folder (a new folder, the repo's folder itself, the extensions file)."""
    known = {entry[0]: entry for entry in before}
    changed = [str(path) for path in paths if _within(str(path), str(root))]
    touched = {folder for folder in known for path in changed if _within(path, folder)}
    if any(not any(_within(path, folder) for folder in known) for path in changed):
        return tuple(read_latest_files(root))
    if not touched:
        return before
    entries = [entry for folder, entry in known.items() if folder not in touched]
    entries += [snapshot_entry(folder, key) for folder, key in table_folders(root) if folder in touched]
    return tuple(sorted(entries, key=lambda entry: entry[0]))
