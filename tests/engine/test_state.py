"""The project state (engine.state): read once, refreshed by path, planned without reading or writing."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from snapshift.engine.autogen.generate import Generation, write_generation
from snapshift.engine.base.errors import Cancelled, InputProblems, ResourceError
from snapshift.engine.project import Project
from snapshift.engine.resources.config import load_config
from snapshift.engine.state import ProjectState, plan, read_state
from tests.support.harness import Workspace
from tests.support.paths import REPO_ROOT
from tests.support.terminal import run

EXAMPLE = REPO_ROOT / "examples" / "blog"
NOW = datetime(2030, 1, 1, tzinfo=UTC)

AUTHORS = """
table = "authors"
[attributes]
id = { type = "bigint", primary_key = true, generated = true }
name = { type = "text" }
"""

POSTS = """
table = "posts"
[attributes]
id = { type = "bigint", primary_key = true, generated = true }
author_id = { type = "bigint", references = { table = "authors" } }
"""


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "blog"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".snapshift"))
    return root


def state_of(root: Path) -> ProjectState:
    return read_state(load_config(root / "snapshift.toml"))


def files_of(gen: Generation) -> list[tuple[str, str]]:
    return sorted((str(f.path), f.text) for f in gen.files)


def add_column(path: Path, line: str) -> None:
    text = path.read_text()
    path.write_text(text.replace("[attributes]\n", f"[attributes]\n{line}\n", 1))


def tree(root: Path) -> dict[str, int]:
    """Every path under `root` with its mtime: what a plan must leave as it found it."""
    found = {}
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(folder, name)
            found[path] = os.stat(path).st_mtime_ns
    return found


def test_the_example_plans_nothing_from_its_state(example: Path) -> None:
    assert not plan(state_of(example)).has_changes


def test_plan_reads_and_writes_nothing(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    state = state_of(example)
    add_column(example / "resources" / "tags.toml", 'color = { type = "text" }')
    state = state.refresh([example / "resources" / "tags.toml"])
    before_tree, before_cache = tree(example), tree(tmp_path)
    real_open = open

    def no_open(*args: object, **kwargs: object) -> object:
        raise AssertionError(f"plan opened a file: {args[0]!r}")

    monkeypatch.setattr("builtins.open", no_open)
    monkeypatch.setattr(Path, "read_bytes", lambda self: no_open(self))
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: no_open(self))
    generation = plan(state, now=NOW)
    monkeypatch.setattr("builtins.open", real_open)
    assert generation.has_changes
    assert tree(example) == before_tree and tree(tmp_path) == before_cache


def test_refresh_rereads_only_the_changed_file_and_plans_as_a_fresh_read(example: Path) -> None:
    state = state_of(example)
    tags = example / "resources" / "tags.toml"
    add_column(tags, 'color = { type = "text", default = "\'red\'" }')
    fresh = state.refresh([tags])
    unchanged = [p for p in state.resources if p != tags]
    assert all(fresh.resources[p] is state.resources[p] for p in unchanged)
    assert fresh.resources[tags] is not state.resources[tags]
    assert files_of(plan(fresh, now=NOW)) == files_of(plan(state_of(example), now=NOW))


def test_refresh_sees_new_deleted_and_renamed_over_files(example: Path) -> None:
    state = state_of(example)
    resources = example / "resources"
    new = resources / "labels.toml"
    new.write_text('table = "labels"\n[attributes]\nid = { type = "uuid", primary_key = true }\n')
    (resources / "audit_events.toml").unlink()
    temp = resources / ".tags.toml.swp"  # an editor's save: write aside, rename over
    shutil.copy(resources / "tags.toml", temp)
    add_column(temp, 'color = { type = "text" }')
    os.replace(temp, resources / "tags.toml")
    changed = [new, resources / "audit_events.toml", temp, resources / "tags.toml"]
    fresh = state.refresh(changed)
    assert new in fresh.resources and resources / "audit_events.toml" not in fresh.resources
    again = state_of(example)
    gen = plan(fresh, now=NOW, stale=True)
    assert [q.text() for q in gen.questions] == [q.text() for q in plan(again, now=NOW).questions]
    assert files_of(gen) == files_of(plan(again, now=NOW))


def test_refresh_after_generate_writes_finds_nothing_more(example: Path) -> None:
    state = state_of(example)
    tags = example / "resources" / "tags.toml"
    add_column(tags, 'color = { type = "text" }')
    state = state.refresh([tags])
    generation = plan(state, now=NOW)
    written = write_generation(generation, example)
    assert written
    assert not plan(state.refresh(written), now=NOW).has_changes


def test_a_broken_file_keeps_its_last_good_draft(example: Path) -> None:
    state = state_of(example)
    tags = example / "resources" / "tags.toml"
    good = tags.read_text()
    add_column(tags, "color = { type = ")
    broken = state.refresh([tags])
    assert len(broken.problems) == 1 and broken.problems[0].location.path == tags
    with pytest.raises(ResourceError):
        plan(broken, now=NOW)
    assert not plan(broken, now=NOW, stale=True).has_changes  # the last good plan
    tags.write_text(good)
    assert not plan(broken.refresh([tags]), now=NOW).has_changes


BROKEN = {
    "a": 'table = "a"\n[attributes]\nid = { type = "nosuchtype" }\n',
    "b": 'table = "b"\n[attributes]\nid = { type = "text", allow_nill = true }\n',
    "c": 'table = "c"\n[attributes]\nid = { type = "text" \n',
    "d": 'table = "d"\n[attributes]\nid = { type = "text", default = "1 +" }\n',
    "e": 'tabel = "e"\n',
    "f": 'table = "f"\n[attributes]\nid = { type = "text" }\n[identities]\nu = { keys = ["nope"] }\n',
}


def test_every_broken_file_is_reported_at_once(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.resource("authors", AUTHORS)
    for name, text in BROKEN.items():
        ws.resource(name, text)
    with pytest.raises(InputProblems) as raised:
        plan(state_of(tmp_path))
    problems = raised.value.problems
    assert [p.location.path.name for p in problems if p.location.path] == [f"{n}.toml" for n in BROKEN]
    assert all(p.location.line for p in problems)
    result = run("-C", str(tmp_path), "generate", "--check")
    assert result.returncode == 2
    assert "6 problems" in result.stderr
    for name in BROKEN:
        assert f"{name}.toml:" in result.stderr


def test_a_cancelled_plan_stops(example: Path) -> None:
    state = state_of(example)
    calls = 0

    def cancel() -> bool:
        nonlocal calls
        calls += 1
        return calls > 1

    with pytest.raises(Cancelled):
        plan(state, cancel=cancel)
    with pytest.raises(Cancelled):
        read_state(state.config, cancel=lambda: True)


def test_two_threads_plan_at_once(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.resource("authors", AUTHORS)
    ws.resource("posts", POSTS)
    for i in range(30):
        ws.resource(f"t{i}", f'table = "t{i}"\n[attributes]\nid = {{ type = "uuid", primary_key = true }}\n')
    state = state_of(tmp_path)
    expected = files_of(plan(state, now=NOW))
    results: list[list[tuple[str, str]]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                results.append(files_of(plan(state, now=NOW)))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 10 and all(result == expected for result in results)


def test_project_plan_and_state_plan_agree(example: Path) -> None:
    tags = example / "resources" / "tags.toml"
    add_column(tags, 'color = { type = "text" }')
    assert files_of(Project.open(example).plan(now=NOW)) == files_of(plan(state_of(example), now=NOW))


def test_equal_but_distinct_values_never_share_a_cached_column(tmp_path: Path) -> None:
    """The state's column cache keys by value, and Python's == is loose: 0.0 == -0.0, 1 == 1.0 == True.
    Each file still gets the default it wrote."""
    ws = Workspace(tmp_path)
    defaults = {"a": "0.0", "b": "-0.0", "c": "1", "d": "1.0", "e": "true"}
    for name, default in defaults.items():
        kind = "boolean" if default == "true" else "float"
        ws.resource(name, f'table = "{name}"\n[attributes]\nx = {{ type = "{kind}", default = {default} }}\n')
    state = state_of(tmp_path)
    written = {
        path.stem: entry.draft.table.columns[0].default
        for path, entry in state.resources.items()
        if entry.draft is not None
    }
    assert written == defaults
