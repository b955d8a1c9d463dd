"""Resource files (SPEC 3) -> fully resolved `engine.model` tables.

Loading runs in two passes: each file is validated on its own (keys, types, expressions, columns it
names) into a draft (`engine.resource_file`), then the drafts are checked against each other (duplicate
tables, references, names that share a PostgreSQL namespace: `engine.resource_links`). Every error names
the file, the key path and its line.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from engine.config import ProjectConfig
from engine.model import Table
from engine.resource_file import draft_file
from engine.resource_links import resolve_drafts


def resource_paths(config: ProjectConfig) -> list[Path]:
    """The files the config's globs match, sorted, each once."""
    root = str(config.root)
    found: set[str] = set()
    for pattern in config.resource_globs:
        for match in glob.glob(pattern, root_dir=root, recursive=True):
            found.add(os.path.join(root, match))
    return [Path(name) for name in sorted(found) if os.path.isfile(name)]


def load_resources(config: ProjectConfig) -> list[Table]:
    """Every resource of the project, validated and resolved, sorted by table key (then repo)."""
    return load_resource_files(config, resource_paths(config))


def load_resource_files(config: ProjectConfig, paths: Iterable[Path]) -> list[Table]:
    """Load the given resource files as one project (references may only point among them)."""
    drafts = [draft_file(config, path) for path in paths]
    tables = resolve_drafts(drafts)
    # the order of Table.key.sort_key(), then the repo; spelled out to skip building TableKeys
    return sorted(
        tables, key=lambda t: (t.multitenancy.strategy == "context", t.schema or "public", t.name, t.repo)
    )
