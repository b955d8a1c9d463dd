"""A plan with many tables that have no snapshot yet encodes their snapshots in a child process while it
diffs and orders (engine.generate.plan_repo): it must plan exactly the files a plan that encodes them
itself plans, whatever else changed beside them."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine import aside, generate
from engine.aside import can_fork
from engine.generate import Generation
from engine.questions import Answers
from engine.snapshots import table_to_json
from tests.harness import Workspace

COUNT = aside.FORK_FROM + 5
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def resource(table: str, parent: str | None = None, default: str = "''") -> str:
    link = f'\nparent_id = {{ type = "bigint", references = {{ table = "{parent}" }} }}' if parent else ""
    return f"""
table = "{table}"
[attributes]
id = {{ type = "bigint", generated = true, primary_key = true }}
name = {{ type = "text", allow_nil = false, default = "{default}" }}{link}
[identities]
unique_name = {{ keys = ["name"] }}
"""


def add_tables(ws: Workspace, prefix: str, count: int) -> None:
    for i in range(count):
        ws.resource(f"{prefix}{i:04d}", resource(f"{prefix}{i:04d}", f"{prefix}{i - 1:04d}" if i else None))


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    if not hasattr(os, "memfd_create"):
        pytest.skip("snapshift forks work aside only on Linux (memfd_create)")
    assert can_fork(), "a thread leaked from an earlier test: the plans below would not fork"
    return Workspace(tmp_path / "project")


def plan_both_ways(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, answers: Answers = Answers()
) -> tuple[Generation, Generation]:
    """The plan with work forked where it is worth it, and with every step done in this process."""
    forks: list[bool] = []
    real_aside = aside.Aside

    def counting_aside(work: Callable[[], object], fork: bool = True) -> aside.Aside[object]:
        made = real_aside(work, fork)
        forks.append(made.forked)
        return made

    with monkeypatch.context() as patch:
        patch.setattr(generate, "Aside", counting_aside)
        apart = ws.project().plan(answers, now=NOW)
    assert forks and forks[0], "the tables without a snapshot were not encoded aside"
    with monkeypatch.context() as patch:
        patch.setattr(aside, "FORK_FROM", 10**9)  # as a small project does
        here = ws.project().plan(answers, now=NOW)
    return apart, here


def files(generation: Generation) -> list[tuple[Path, str]]:
    return [(f.path, f.text) for f in generation.files]


def test_a_new_project_plans_the_same_files_both_ways(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    add_tables(ws, "t", COUNT)
    apart, here = plan_both_ways(ws, monkeypatch)
    assert files(apart) == files(here)
    snapshots = [f for f in apart.files if f.kind == "snapshot"]
    assert len(snapshots) == COUNT
    expected = {key.name: table_to_json(table) for key, table in apart.repos[0].tables.items()}
    assert {f.path.parent.name: f.text for f in snapshots} == expected


def test_new_tables_beside_changed_renamed_and_dropped_ones_plan_the_same_files_both_ways(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_tables(ws, "t", 5)
    ws.generate()
    add_tables(ws, "n", COUNT)  # new tables, encoded aside
    ws.resource("t0001", resource("t0001", "t0000", default="'x'"))  # changed: encoded here
    ws.remove("t0004")  # nothing references it: dropped
    ws.remove("t0003")
    ws.resource("r0003", resource("r0003", "t0002"))  # t0003 renamed: a new key the diff renames
    answers = Answers().with_table("t0003", rename_to="r0003").with_table("t0004", drop=True)
    apart, here = plan_both_ways(ws, monkeypatch, answers)
    assert not apart.questions
    assert files(apart) == files(here)
    names = {f.path.parent.name for f in apart.files if f.kind == "snapshot"}
    assert {"t0001", "r0003", "n0000", f"n{COUNT - 1:04d}"} <= names
    assert not names & {"t0000", "t0002", "t0003", "t0004"}


def test_new_tables_waiting_on_a_question_plan_the_same_both_ways(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_tables(ws, "t", 3)
    ws.generate()
    add_tables(ws, "n", COUNT)
    ws.remove("t0002")
    ws.resource("r0002", resource("r0002", "t0001"))  # a rename or a drop and a create: a question
    apart, here = plan_both_ways(ws, monkeypatch)
    assert [q.text() for q in apart.questions] == [q.text() for q in here.questions]
    assert apart.questions
    assert files(apart) == files(here)
