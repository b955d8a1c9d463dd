"""A project that evolves step by step: each step writes resources, generates, and returns the change.

`Scenario.roundtrip(change)` proves a change on a real database (tests.support.roundtrip.assert_roundtrip): up
builds what a fresh build of that step's resources builds, down restores the state before.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snapshift.engine.autogen.generate import Generation
from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.migrations import MigrationFile
from snapshift.engine.db.catalog import Catalog
from tests.support.harness import Workspace, catalog
from tests.support.roundtrip import NewDatabase, apply, assert_roundtrip, prepare, write_all


@dataclass(frozen=True)
class Change:
    """The migrations one generate wrote (public first, then tenant) and the resources it was run on."""

    migrations: list[MigrationFile]
    resources: dict[str, str]
    config: str | None
    tenant_folder: Path

    @property
    def public(self) -> list[MigrationFile]:
        return [m for m in self.migrations if m.path.parent != self.tenant_folder]

    @property
    def tenant(self) -> list[MigrationFile]:
        return [m for m in self.migrations if m.path.parent == self.tenant_folder]

    @property
    def up(self) -> list[str]:
        return [s.text for m in self.migrations for s in m.up]

    @property
    def down(self) -> list[str]:
        return [s.text for m in self.migrations for s in m.down]

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.migrations]

    def text(self) -> str:
        return "\n".join(m.path.read_text() for m in self.migrations)


class Scenario:
    """One project, one target database, any number of generate steps."""

    def __init__(self, root: Path, url: str, new_database: NewDatabase) -> None:
        self.root = root
        self.url = url
        self.new_database = new_database
        self.config: str | None = None
        self.ws = Workspace(root / "project")
        self.resources: dict[str, str] = {}
        self.fresh = 0

    def configure(self, config: str) -> None:
        self.config = textwrap.dedent(config)
        (self.ws.root / "snapshift.toml").write_text(self.config)

    def write(self, resources: Mapping[str, str]) -> None:
        self.resources = {name: textwrap.dedent(text) for name, text in resources.items()}
        write_all(self.ws, self.resources)

    def generate(
        self, resources: Mapping[str, str] | None = None, answers: Answers = Answers(), **options: Any
    ) -> Change:
        """Make the resource folder hold exactly `resources` (unchanged when None) and generate."""
        if resources is not None:
            self.write(resources)
        written = self.ws.generate(answers, **options)
        self.assert_settled()
        return Change(written, dict(self.resources), self.config, self.tenant_folder)

    def plan(
        self, resources: Mapping[str, str] | None = None, answers: Answers = Answers(), **options: Any
    ) -> Generation:
        if resources is not None:
            self.write(resources)
        return self.ws.plan(answers, **options)

    def assert_settled(self) -> None:
        """Generating again right away finds nothing: every snapshot the change implies was written."""
        again = self.ws.plan(Answers(no_renames=True))
        assert not again.files, "a second generate would write:\n" + "\n".join(
            f"{f.path.relative_to(self.ws.root)}:\n{f.text}" for f in again.files
        )

    @property
    def tenant_folder(self) -> Path:
        return self.ws.project().config.default_repo.tenant_migrations_path

    @property
    def snapshots(self) -> Path:
        return self.ws.project().config.default_repo.snapshots_path

    def files(self) -> dict[str, bytes]:
        """Every file of the project (resources, config, migrations, snapshots) by relative path."""
        return {
            str(p.relative_to(self.ws.root)): p.read_bytes()
            for p in sorted(self.ws.root.rglob("*"))
            if p.is_file()
        }

    def roundtrip(self, change: Change, *, tenants_first: bool = False) -> None:
        assert self.url, "this scenario has no database (use the `scenario` fixture)"
        assert change.migrations, "the change wrote no migration"
        self.fresh += 1
        assert_roundtrip(
            self.ws,
            self.url,
            change.migrations,
            change.resources,
            self.root / f"fresh{self.fresh}",
            self.new_database,
            change.config,
            tenants_first=tenants_first,
        )

    def apply(self) -> None:
        """Apply every migration of the project (tenant ones in the tenant schema)."""
        prepare(self.url)
        apply(self.url, self.ws)

    def catalog(self) -> Catalog:
        return catalog(self.url)


def table(name: str, attributes: str, extra: str = "", head: str = "") -> str:
    """A resource: `head` lines, the table name, `[attributes]` and then `extra` sections."""
    parts = [textwrap.dedent(head).strip(), f'table = "{name}"', "[attributes]"]
    parts += [textwrap.dedent(attributes).strip(), textwrap.dedent(extra).strip()]
    return "\n".join(p for p in parts if p) + "\n"


def find(statements: Sequence[str], fragment: str) -> int:
    """The position of the one statement containing `fragment` (fails when none or several do)."""
    hits = [i for i, s in enumerate(statements) if fragment in s]
    assert len(hits) == 1, f"expected one statement with {fragment!r}, found {len(hits)} in:\n" + "\n".join(
        statements
    )
    return hits[0]


def absent(statements: Sequence[str], fragment: str) -> None:
    found = [s for s in statements if fragment in s]
    assert not found, f"unexpected statement(s) with {fragment!r}: {found}"


def ordered(statements: Sequence[str], *fragments: str) -> None:
    """Each fragment is in exactly one statement, and those statements come in the order given."""
    positions = [find(statements, f) for f in fragments]
    assert positions == sorted(positions), f"wrong order {positions} for {fragments} in:\n" + "\n".join(
        statements
    )
