"""A large plan reads its snapshots aside (engine.prefetch): it must plan exactly what a plan that
reads them itself plans, remember a clean result the same way, and report broken files the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine import aside, cleancache, prefetch
from engine.aside import can_fork
from engine.errors import ResourceError, SnapshotError
from engine.generate import Generation
from engine.questions import Answers
from tests.harness import Workspace

COUNT = aside.FORK_FROM + 5
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def resource(i: int) -> str:
    parent = f'\nparent_id = {{ type = "bigint", references = {{ table = "t{i - 1:04d}" }} }}' if i else ""
    return f"""
table = "t{i:04d}"
[attributes]
id = {{ type = "bigint", generated = true, primary_key = true }}
name = {{ type = "text", allow_nil = false, default = "''" }}{parent}
[identities]
unique_name = {{ keys = ["name"] }}
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = Workspace(tmp_path_factory.mktemp("template"))
    for i in range(COUNT):
        ws.resource(f"t{i:04d}", resource(i))
    ws.generate()
    return ws.root


@pytest.fixture
def ws(template: Path, tmp_path: Path) -> Workspace:
    root = tmp_path / "project"
    _copy(template, root)
    assert can_fork(), "a thread leaked from an earlier test: the plans below would not fork"
    return Workspace(root)


def _copy(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file():
            (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (target / path.relative_to(source)).write_bytes(path.read_bytes())


def plan_both_ways(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> tuple[Generation, Generation]:
    """The plan with its snapshots read aside and read here; both found the same snapshots holding."""
    apart = ws.project().plan(now=NOW)
    with monkeypatch.context() as patch:
        patch.setattr(aside, "FORK_FROM", 10**9)  # read here, as a small project does
        here = ws.project().plan(now=NOW)
    assert holding(apart) == holding(here)
    return apart, here


def holding(generation: Generation) -> list[set[str]]:
    """Per repo, the tables whose latest snapshot was found to hold the current table itself."""
    return [
        {key.name for key, stored in r.state.tables.items() if stored.table is r.tables.get(key)}
        for r in generation.repos
    ]


def files(generation: Generation) -> list[tuple[str, str]]:
    return [(f.path.name, f.text) for f in generation.files]


def latest_snapshot(ws: Workspace, table: str) -> Path:
    folder = ws.root / "priv" / "resource_snapshots" / "repo" / table
    return max(folder.glob("*.json"))


def test_a_clean_project_is_clean_both_ways(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    apart, here = plan_both_ways(ws, monkeypatch)
    assert not apart.has_changes and not here.has_changes
    assert all(r.state.holds_exactly(list(r.tables.values())) for r in apart.repos)


def test_changes_plan_the_same_files_both_ways(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.resource("t0003", resource(3).replace("default = \"''\"", "default = \"'x'\""))
    ws.remove(f"t{COUNT - 1:04d}")  # the last table: nothing references it
    apart, here = plan_both_ways(ws, monkeypatch)
    assert apart.has_changes
    assert [q.text() for q in apart.questions] == [q.text() for q in here.questions]


def test_an_answered_change_writes_the_same_migration_both_ways(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.resource("t0003", resource(3).replace("allow_nil = false", "allow_nil = true"))
    apart, here = plan_both_ways(ws, monkeypatch)
    assert files(apart) and files(apart) == files(here)


def test_a_snapshot_reformatted_by_hand_still_holds_its_table(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = latest_snapshot(ws, "t0007")
    path.write_text(json.dumps(json.loads(path.read_text()), indent=4))  # same content, other bytes
    apart, here = plan_both_ways(ws, monkeypatch)
    assert not apart.has_changes and not here.has_changes


def test_a_snapshot_without_its_hash_line_is_read_the_same_both_ways(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = latest_snapshot(ws, "t0007")
    path.write_text("".join(line for line in path.read_text().splitlines(True) if '"hash"' not in line))
    apart, here = plan_both_ways(ws, monkeypatch)
    assert "t0007" not in holding(apart)[0] and "t0008" in holding(apart)[0]
    assert not apart.has_changes and not here.has_changes


def test_a_snapshot_edited_by_hand_is_a_change_both_ways(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = latest_snapshot(ws, "t0007")
    path.write_text(path.read_text().replace('"allow_nil": false', '"allow_nil": true'))
    apart, here = plan_both_ways(ws, monkeypatch)
    assert apart.has_changes and files(apart) == files(here)


@pytest.mark.parametrize("text", ["{", "[]", '{"table": "t0007"}'])
def test_a_broken_snapshot_names_its_file_both_ways(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    path = latest_snapshot(ws, "t0007")
    path.write_text(text)
    with pytest.raises(SnapshotError, match="t0007"):
        ws.plan()
    monkeypatch.setattr(aside, "FORK_FROM", 10**9)
    with pytest.raises(SnapshotError, match="t0007"):
        ws.plan()


def test_the_fingerprint_taken_aside_is_remembered(ws: Workspace, tmp_path: Path) -> None:
    project = ws.project()
    config, repos = project.config, project.repos()
    paths = sorted((ws.root / "resources").glob("*.toml"))
    early = prefetch.start(config, repos, paths, since_ns=1)
    assert early is not None
    with early:
        fetched = early.result()
    assert fetched.fingerprint is not None
    listings = [[(folder, name) for folder, _, name, _, _ in fetched.snapshot_files[r.name]] for r in repos]
    assert fetched.fingerprint == cleancache.fingerprint(config, repos, paths, listings, since_ns=1)


def test_a_declined_drop_stays_declined_both_ways(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    last = f"t{COUNT - 1:04d}"
    ws.remove(last)
    ws.generate(Answers().with_table(last, drop=False))
    assert '"drop_table_opted_out": true' in latest_snapshot(ws, last).read_text()
    apart, here = plan_both_ways(ws, monkeypatch)
    assert not apart.has_changes and not here.has_changes


def children() -> set[str]:
    """This process's child processes (Linux)."""
    return {pid for path in Path("/proc/self/task").glob("*/children") for pid in path.read_text().split()}


def test_a_bad_resource_stops_the_plan_and_leaves_no_child_behind(ws: Workspace) -> None:
    before = children()
    ws.resource("t0050", resource(50).replace('type = "text"', 'type = "texte"'))
    with pytest.raises(ResourceError, match="t0050"):
        ws.plan()
    assert children() == before
