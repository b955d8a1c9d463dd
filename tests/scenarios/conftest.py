"""Fixtures: `scenario` (a fresh project and a fresh database) and `offline` (a project only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.roundtrip import NewDatabase
from tests.scenarios.scenario import Scenario


@pytest.fixture
def scenario(tmp_path: Path, database_url: str, new_database: NewDatabase) -> Scenario:
    return Scenario(tmp_path, database_url, new_database)


@pytest.fixture
def offline(tmp_path: Path) -> Scenario:
    """For scenarios about questions and files, which need no database."""

    def no_database() -> str:
        raise AssertionError("offline scenarios have no database")

    return Scenario(tmp_path, "", no_database)
