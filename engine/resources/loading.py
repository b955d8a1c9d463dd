"""Resource files (SPEC 3) -> fully resolved `engine.resources.model` tables.

Loading runs in two passes: each file is validated on its own (keys, types, expressions, columns it
names) into a draft (`resource_file`), then the drafts are checked against each other (duplicate
tables, references, names that share a PostgreSQL namespace: `resource_links`). Every error names
the file, the key path and its line.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from snapshift.engine.base.errors import ConfigError, Location
from snapshift.engine.resources.config import ProjectConfig, RepoConfig, outside_project
from snapshift.engine.resources.model import Table
from snapshift.engine.resources.resource_file import draft_file
from snapshift.engine.resources.resource_links import resolve_drafts


def resource_paths(config: ProjectConfig) -> list[Path]:
    """The files the config's globs match, sorted, each once. ConfigError when one is, or lies in, a
    symbolic link that leads outside the project: a pull request must not make snapshift read there."""
    root = str(config.root)
    found: set[str] = set()
    for pattern in config.resource_globs:
        for match in glob.glob(pattern, root_dir=root, recursive=True):
            found.add(os.path.join(root, match))
    paths = [name for name in sorted(found) if os.path.isfile(name)]
    _check_inside(config, paths)
    return [Path(name) for name in paths]


def _check_inside(config: ProjectConfig, paths: list[str]) -> None:
    """Each path's folder resolved once (a project has few), and the file itself when it is a link."""
    folders: dict[str, str | None] = {}
    for name in paths:
        folder = os.path.dirname(name)
        if folder not in folders:
            folders[folder] = outside_project(config.root, folder)
        problem = folders[folder] or (outside_project(config.root, name) if os.path.islink(name) else None)
        if problem is not None:
            raise ConfigError(
                f"resource file {os.path.relpath(name, config.root)} {problem}",
                Location(config.config_path, "resources"),
            )


def unmatched_globs(config: ProjectConfig) -> list[str]:
    """The config's resource globs that match no file (a typo, or a folder not made yet)."""
    root = str(config.root)
    return [
        pattern
        for pattern in config.resource_globs
        if not any(
            os.path.isfile(os.path.join(root, m)) for m in glob.iglob(pattern, root_dir=root, recursive=True)
        )  # iglob: the first file found is enough
    ]


def require_resources(config: ProjectConfig, paths: list[Path]) -> None:
    """ConfigError (exit 2) when the config names resource globs, none of them matches a file, and no
    repo has a snapshot or a migration either: nothing was ever generated, so a glob must be wrong.
    (Otherwise no resources is a way to drop the last tables: generate asks before each drop.)"""
    if config.resource_globs and not paths and not any(_has_history(r) for r in config.repos):
        shown = ", ".join(f'"{g}"' for g in config.resource_globs)
        raise ConfigError(
            f"no resource file matches resources = [{shown}] (globs are relative to {config.root})",
            Location(config.config_path, "resources"),
        )


def _has_history(repo: RepoConfig) -> bool:
    """Whether the repo has a table snapshot folder or a migration file."""
    folders = (repo.snapshots_path, repo.migrations_path, repo.tenant_migrations_path)
    for folder in folders:
        try:
            if any(entry.is_dir() or entry.name.endswith(".sql") for entry in os.scandir(folder)):
                return True
        except OSError:
            continue
    return False


def load_resources(config: ProjectConfig) -> list[Table]:
    """Every resource of the project, validated and resolved, sorted by table key (then repo)."""
    return load_resource_files(config, resource_paths(config))


def load_resource_files(config: ProjectConfig, paths: Iterable[Path]) -> list[Table]:
    """Load the given resource files as one project (references may only point among them)."""
    drafts = [draft_file(config, path) for path in paths]
    return sorted_tables(resolve_drafts(drafts))


def sorted_tables(tables: Iterable[Table]) -> list[Table]:
    """Tables by key (Table.key.sort_key(), spelled out to skip building TableKeys), then by repo."""
    return sorted(
        tables, key=lambda t: (t.multitenancy.strategy == "context", t.schema or "public", t.name, t.repo)
    )
