"""An invariant the ordering relies on: a CREATE TABLE provides no per-column facts, because every
operation that needs a column of a table also needs the table itself (which orders it after the create)."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapshift.engine.autogen.order import all_facts
from tests.support.golden_cases import CASES, Case, stage


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_column_requirement_comes_with_its_table(tmp_path: Path, case: Case) -> None:
    generation = stage(tmp_path, case).plan(case.answers, **case.options)
    ops = [op for r in generation.repos for op in r.diff.operations]
    assert ops or not generation.has_changes
    for op, (_, requires) in zip(ops, all_facts(ops), strict=True):
        for fact in requires:
            if fact[0] == "col":
                assert ("table", fact[1]) in requires, (op.describe(), fact)
