"""Prove a change on a real database: up gives what a fresh build gives, down gives the state before."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from engine.migrations import MigrationFile
from engine.migrator import Migrator
from engine.questions import Answers
from tests.harness import Workspace, catalog, connector, migrate

NewDatabase = Callable[[], str]


def write_all(ws: Workspace, resources: Mapping[str, str]) -> None:
    existing = {p.stem for p in (ws.root / "resources").glob("*.toml")}
    for name in existing - set(resources):
        ws.remove(name)
    for name, text in resources.items():
        ws.resource(name, text)


def fresh_catalog(
    root: Path, resources: Mapping[str, str], new_database: NewDatabase, config: str | None = None
) -> dict[str, object]:
    """The catalog of a database built in one step from `resources`."""
    ws = Workspace(root, config) if config else Workspace(root)
    write_all(ws, resources)
    ws.generate(Answers(no_renames=True))
    url = new_database()
    migrate(url, ws.migrations())
    return catalog(url)


def assert_roundtrip(
    ws: Workspace,
    url: str,
    change: list[MigrationFile],
    after: Mapping[str, str],
    scratch: Path,
    new_database: NewDatabase,
) -> None:
    """`change` is already generated in `ws`; everything before it is applied to `url` by this function."""
    earlier = [m for m in ws.migrations() if m not in change]
    migrate(url, earlier)
    before = catalog(url)
    migrate(url, ws.migrations())
    assert catalog(url) == fresh_catalog(scratch, after, new_database), (
        "up does not build what the resources describe"
    )
    versions = [m.version for m in change if not m.path.parent.name.startswith("tenant")]
    Migrator(connector(url), ws.migrations()).rollback(versions=versions)
    assert catalog(url) == before, "down does not restore the previous schema"
