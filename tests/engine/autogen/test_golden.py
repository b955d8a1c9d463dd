"""Golden tests: resources before -> after gives exactly the migration text in tests/engine/autogen/golden/<case>.sql.

Each case is also applied to a real database: up must build what a fresh build of the "after"
resources builds, and down must restore the schema as it was before.
Set SNAPSHIFT_UPDATE_GOLDEN=1 to rewrite the files after a reviewed change of output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot

from snapshift.engine.base.migrations import MigrationFile
from tests.support.golden_cases import CASES, Case, stage
from tests.support.harness import Workspace
from tests.support.roundtrip import NewDatabase, assert_no_effect, assert_roundtrip

GOLDEN = Path(__file__).parent / "golden"


def run_case(root: Path, case: Case) -> tuple[Workspace, list[MigrationFile]]:
    ws = stage(root, case)
    return ws, ws.generate(case.answers, **case.options)


def golden_text(migrations: list[MigrationFile]) -> str:
    parts = []
    for m in migrations:
        folder = m.path.parent.name
        parts.append(f"==> {folder}/<version>_{m.name}.sql\n{m.path.read_text()}")
    return "\n".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_sql(tmp_path: Path, case: Case) -> None:
    _, migrations = run_case(tmp_path, case)
    assert migrations, "the change produced no migration"
    text = golden_text(migrations)
    path = GOLDEN / f"{case.name}.sql"
    if os.environ.get("SNAPSHIFT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_generated_sql_parses(tmp_path: Path, case: Case) -> None:
    """sqlglot re-parses every generated statement (PostgreSQL dialect)."""
    _, migrations = run_case(tmp_path, case)
    for m in migrations:
        for statement in (*m.up, *m.down):
            if "$$" in statement.text or statement.text.lstrip().upper().startswith(
                ("CREATE TRIGGER", "CREATE OR REPLACE FUNCTION")
            ):
                continue
            sqlglot.parse_one(statement.text, read="postgres")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_on_database(tmp_path: Path, case: Case, database_url: str, new_database: NewDatabase) -> None:
    ws, migrations = run_case(tmp_path / "project", case)
    if not case.applies:
        assert_no_effect(ws, database_url, migrations)
        return
    assert_roundtrip(ws, database_url, migrations, case.after, tmp_path / "fresh", new_database, case.config)
