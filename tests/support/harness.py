"""A throwaway snapshift project for tests: write resources, generate, apply, compare catalogs."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from snapshift.engine.autogen.generate import GenerateOptions, Generation
from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.migrations import MigrationFile, list_migrations
from snapshift.engine.db.catalog import Catalog, read_catalog
from snapshift.engine.db.migrator import Migrator
from snapshift.engine.project import Project

DEFAULT_CONFIG = """
resources = ["resources/*.toml"]

[repos.repo]
"""


class Workspace:
    """A project folder with its own clock, so every generate gets a distinct, increasing version."""

    def __init__(self, root: Path, config: str = DEFAULT_CONFIG) -> None:
        self.root = root
        (root / "resources").mkdir(parents=True, exist_ok=True)
        (root / "snapshift.toml").write_text(textwrap.dedent(config))
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def resource(self, name: str, text: str) -> Path:
        path = self.root / "resources" / f"{name}.toml"
        path.write_text(textwrap.dedent(text))
        return path

    def remove(self, name: str) -> None:
        (self.root / "resources" / f"{name}.toml").unlink()

    def project(self) -> Project:
        return Project.open(self.root)

    def plan(self, answers: Answers = Answers(), **options: Any) -> Generation:
        return self.project().plan(answers, GenerateOptions(**options), now=self._tick())

    def generate(self, answers: Answers = Answers(), **options: Any) -> list[MigrationFile]:
        """Generate and return the migrations it wrote (public first, then tenant)."""
        before = {m.path for m in self.migrations() + self.migrations(tenant=True)}
        self.project().generate(answers, GenerateOptions(**options), now=self._tick())
        after = self.migrations() + self.migrations(tenant=True)
        return [m for m in after if m.path not in before]

    def migrations(self, tenant: bool = False) -> list[MigrationFile]:
        repo = self.project().config.default_repo
        return list_migrations(repo.tenant_migrations_path if tenant else repo.migrations_path)

    def _tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def up_sql(migration: MigrationFile) -> list[str]:
    return [s.text for s in migration.up]


def down_sql(migration: MigrationFile) -> list[str]:
    return [s.text for s in migration.down]


def connector(url: str) -> Any:
    return lambda: psycopg.connect(url)


def migrate(url: str, migrations: list[MigrationFile], schema: str | None = None) -> list[int]:
    return Migrator(connector(url), migrations, schema=schema).migrate()


def rollback_all(url: str, migrations: list[MigrationFile], schema: str | None = None) -> list[int]:
    return Migrator(connector(url), migrations, schema=schema).rollback(all=True)


def catalog(url: str) -> Catalog:
    with psycopg.connect(url) as conn:
        return read_catalog(conn)
