"""Migration-wide facts with many providers (every rename, which statements wait for) pass one barrier
node in the sort: the order is the same as with an edge per pair, and a mass rename stays linear."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from snapshift.engine.autogen import order
from snapshift.engine.autogen.operations import (
    AlterColumn,
    Operation,
    RemoveStatement,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameSequence,
    RenameTable,
    RunStatement,
)
from snapshift.engine.resources.model import Column, Statement, TableKey
from tests.support.golden_cases import CASES, Case, stage


def mass_rename(tables: int) -> list[Operation]:
    """Every table renamed (with its key, sequence and an index), its statement rewritten, and a column
    retyped (an op that provides and requires the same fact)."""
    ops: list[Operation] = []
    for i in range(tables):
        new, old = TableKey(None, f"new{i}"), TableKey(None, f"old{i}")
        ops += [
            RemoveStatement(new, Statement("s", f"CREATE INDEX a{i} ON old{i} (n)", f"DROP INDEX a{i}")),
            RenameTable(new, old),
            RenameColumn(new, "n", "m"),
            RenameConstraint(new, f"old{i}_pkey", f"new{i}_pkey"),
            RenameSequence(new, f"old{i}_id_seq", f"new{i}_id_seq", "id"),
            RenameIndex(new, f"old{i}_m_index", f"new{i}_m_index"),
            AlterColumn(new, Column("m", "integer"), Column("m", "bigint")),
            RunStatement(new, Statement("s", f"CREATE INDEX b{i} ON new{i} (m)", f"DROP INDEX b{i}")),
        ]
    return ops


def test_barriers_keep_the_order_of_an_edge_per_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    ops = mass_rename(40)
    with_barriers = order.sort_operations(ops)
    monkeypatch.setattr(order, "BARRIER_AT", len(ops))
    assert order.sort_operations(ops) == with_barriers
    renames = [n for n, op in enumerate(with_barriers) if isinstance(op, RenameTable | RenameColumn)]
    removed = [n for n, op in enumerate(with_barriers) if isinstance(op, RemoveStatement)]
    run = [n for n, op in enumerate(with_barriers) if isinstance(op, RunStatement)]
    assert max(removed) < min(renames) and max(renames) < min(run)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_barriers_change_no_golden_order(tmp_path: Path, case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(order, "BARRIER_AT", 0)  # a barrier for every migration-wide fact provided at all
    generation = stage(tmp_path, case).plan(case.answers, **case.options)
    ops = [op for r in generation.repos for op in r.diff.operations]
    barriered = order.sort_operations(ops)
    monkeypatch.setattr(order, "BARRIER_AT", len(ops) + 1)
    assert order.sort_operations(ops) == barriered


def test_a_mass_rename_with_statements_sorts_in_linear_time() -> None:
    """1000 tables: 17 s with an edge per (rename, statement) pair, well under a second with barriers."""
    started = time.perf_counter()
    order.sort_operations(mass_rename(1000))
    assert time.perf_counter() - started < 8
