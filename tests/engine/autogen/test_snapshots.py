"""Snapshot files: byte-stable text, a content hash, the load shortcut, atomic writes, bad files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from snapshift.engine.autogen.questions import Answers
from snapshift.engine.autogen.snapshots import load_state, read_snapshot, table_to_json
from snapshift.engine.base.atomic import write_atomic, write_group
from snapshift.engine.base.errors import SnapshotError
from snapshift.engine.resources.model import Table
from tests.support.harness import Workspace
from tests.support.paths import REPO_ROOT
from tests.support.terminal import run

POSTS = """
table = "posts"
[attributes]
id = { type = "uuid", primary_key = true }
title = { type = "text", allow_nil = false, default = "'Ünïcode \\"quoted\\"'" }
[identities]
unique_title = { keys = ["title"] }
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path)
    ws.resource("posts", POSTS)
    ws.generate()
    return ws


def snapshot_path(ws: Workspace) -> Path:
    [path] = (ws.root / "priv" / "resource_snapshots" / "repo" / "posts").glob("*.json")
    return path


def test_snapshot_text_is_sorted_json_whose_hash_covers_the_rest_of_the_file(ws: Workspace) -> None:
    text = snapshot_path(ws).read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == sorted(data)
    without_hash = "".join(line for line in text.splitlines(keepends=True) if not line.startswith('  "hash"'))
    assert data["hash"] == hashlib.sha256(without_hash.encode()).hexdigest().upper()
    assert "Ünïcode" in text  # not escaped to \\u sequences


def test_same_table_same_bytes_and_any_change_changes_the_hash(ws: Workspace) -> None:
    table = read_snapshot(snapshot_path(ws)).table
    first = table_to_json(table)
    assert table_to_json(replace(table)) == first
    renamed = replace(table, columns=(replace(table.columns[0], name="key"), *table.columns[1:]))
    assert json.loads(table_to_json(renamed))["hash"] != json.loads(first)["hash"]


def test_an_unchanged_table_is_taken_from_the_resources_without_building_a_model(ws: Workspace) -> None:
    project = ws.project()
    [current] = project.load_tables()
    repo = project.config.default_repo
    state = load_state(repo.snapshots_path, {current.key: current})
    assert state.tables[current.key].table is current
    edited = replace(current, columns=current.columns[:1])
    state = load_state(repo.snapshots_path, {current.key: edited})
    stored = state.tables[current.key].table
    assert stored is not edited and stored == current


def test_state_holds_exactly_the_current_tables_only_when_nothing_changed(ws: Workspace) -> None:
    ws.resource("tags", 'table = "tags"\n[attributes]\nid = { type = "bigint", primary_key = true }\n')
    ws.generate()
    project = ws.project()
    tables = project.load_tables()
    folder = project.config.default_repo.snapshots_path

    def holds(current: list[Table]) -> bool:
        return load_state(folder, {t.key: t for t in current}).holds_exactly(current)

    assert holds(tables)
    assert not holds(tables[:1])  # a snapshot with no resource: the diff asks about a drop
    posts = next(t for t in tables if t.name == "posts")
    others = [t for t in tables if t is not posts]
    assert not holds([*others, replace(posts, columns=posts.columns[:1])])  # a changed table
    assert not holds([*tables, replace(posts, name="drafts")])  # a table with no snapshot yet


def test_a_plan_that_finds_nothing_never_imports_the_differ(ws: Workspace) -> None:
    probe = (
        "import sys\nfrom pathlib import Path\nfrom snapshift.engine.project import Project\n"
        "changes = Project.open(Path(sys.argv[1])).plan().has_changes\n"
        "print(changes, 'snapshift.engine.autogen.diff' in sys.modules, 'snapshift.engine.autogen.operations' in sys.modules)\n"
    )
    clean = subprocess.run(
        [sys.executable, "-c", probe, str(ws.root)], capture_output=True, text=True, check=True
    )
    assert clean.stdout.split() == ["False", "False", "False"]
    ws.resource("posts", POSTS.replace("[identities]", 'body = { type = "text" }\n[identities]'))
    edited = subprocess.run(
        [sys.executable, "-c", probe, str(ws.root)], capture_output=True, text=True, check=True
    )
    assert edited.stdout.split() == ["True", "True", "True"]


def test_a_snapshot_edited_by_hand_is_read_from_the_file(ws: Workspace) -> None:
    path = snapshot_path(ws)
    path.write_text(path.read_text().replace('"allow_nil": false', '"allow_nil": true'))
    assert ws.plan().has_changes  # the resource still says NOT NULL


@pytest.mark.parametrize("text", ["{", "[]", '{"table": "posts"}'])
def test_a_broken_snapshot_names_its_file(ws: Workspace, text: str) -> None:
    path = snapshot_path(ws)
    path.write_text(text)
    with pytest.raises(SnapshotError) as error:
        ws.plan()
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("type", "uuid; DROP TABLE x", "attributes[0].type: not a type snapshift writes"),
        ("type", 7, "attributes[0].type: not a string"),
        ("default", "0); DROP TABLE x; SELECT (1", "attributes[0].default: not one SQL expression"),
        ("primary_key", 1, "attributes[0].primary_key: not true or false"),
        ("name", "", "attributes[0].name: not a PostgreSQL name"),
        ("size", -1, "attributes[0].size: not a whole number"),
        ("generated", "always", "attributes[0].generated: unexpected value"),
    ],
)
def test_a_snapshot_whose_fields_no_resource_could_make_is_refused(
    ws: Workspace, field: str, value: object, says: str
) -> None:
    """A hand edit or a crafted pull request must not become text in a migration: the dropped table's
    down is built from this snapshot, so it is checked as a resource file would be."""
    path = snapshot_path(ws)
    data = json.loads(path.read_text())
    data["attributes"][0][field] = value
    path.write_text(json.dumps(data))
    ws.remove("posts")
    with pytest.raises(SnapshotError) as error:
        ws.plan(Answers(drop_tables=frozenset({"posts"})))
    assert str(path) in str(error.value) and says in str(error.value)


def test_write_atomic_replaces_whole_files_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "folder" / "file.json"
    write_atomic(target, "first\n")
    write_atomic(target, "é" * 100_000)
    assert target.read_text(encoding="utf-8") == "é" * 100_000
    assert os.listdir(target.parent) == ["file.json"]


def test_write_atomic_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "file.json"
    write_atomic(target, "old\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "\udcff")  # a lone surrogate cannot be encoded
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["file.json"]


TENANTS = """
table = "tenants"
[attributes]
id = { type = "bigint", primary_key = true }
"""
DOCUMENTS = """
table = "documents"
multitenancy = { strategy = "context" }
[attributes]
id = { type = "bigint", primary_key = true }
"""


def test_a_public_table_named_tenants_shares_its_folder_with_tenant_tables(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.resource("tenants", TENANTS)
    ws.resource("documents", DOCUMENTS)
    ws.generate()
    folder = ws.root / "priv" / "resource_snapshots" / "repo" / "tenants"
    assert len(list(folder.glob("*.json"))) == 1 and len(list((folder / "documents").glob("*.json"))) == 1
    assert not ws.plan().has_changes
    ws.remove("tenants")
    ws.generate(Answers(drop_tables=frozenset({"tenants"})))
    assert not list(folder.glob("*.json"))
    assert len(list((folder / "documents").glob("*.json"))) == 1
    assert not ws.plan().has_changes


@pytest.mark.parametrize("count", [3, 40])  # below and above the threaded size
def test_write_group_writes_all_or_nothing(tmp_path: Path, count: int) -> None:
    (tmp_path / "blocked").write_text("a file where a folder goes\n")
    files = [(tmp_path / f"t{i}" / "a.json", f"{i}\n") for i in range(count)]
    files.insert(count // 2, (tmp_path / "blocked" / "a.json", "never\n"))
    with pytest.raises(OSError):
        write_group(files)
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "blocked"]
    write_group([f for f in files if "blocked" not in str(f[0])])
    assert all(path.read_text() == text for path, text in files if "blocked" not in str(path))


def test_generate_that_cannot_write_a_snapshot_writes_no_migration(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.resource("posts", POSTS)
    blocked = ws.root / "priv" / "resource_snapshots" / "repo" / "posts"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the table's snapshot folder goes\n")
    result = run("-C", str(ws.root), "generate")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    assert not [p for p in (ws.root / "priv").rglob("*") if p.is_file() and p != blocked]


def test_every_committed_example_snapshot_is_reproduced_byte_for_byte() -> None:
    """The writer's shortcuts (columns encoded once per Column object, scalars without the encoder)
    must give exactly the bytes snapshift always wrote."""
    folder = REPO_ROOT / "examples" / "blog" / "priv"
    paths = sorted(folder.glob("resource_snapshots/*/**/*.json"))
    checked = 0
    for path in paths:
        if path.name == "extensions.json":
            continue
        stored = read_snapshot(path)
        assert table_to_json(stored.table, stored.drop_table_opted_out) == path.read_text(encoding="utf-8"), (
            path
        )
        checked += 1
    assert checked >= 10
