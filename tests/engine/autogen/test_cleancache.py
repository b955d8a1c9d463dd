"""The clean-project cache: `known_clean` only when no file a plan reads changed since a clean plan."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from snapshift.engine import state
from snapshift.engine.autogen import cleancache
from tests.support.harness import Workspace

POSTS = """
table = "posts"
[attributes]
id = { type = "uuid", primary_key = true }
title = { type = "text" }
"""
TAGS = """
table = "tags"
[attributes]
id = { type = "bigint", primary_key = true }
"""


def settle() -> None:
    """Let every file age past the racy window, as files do between a user's commands."""
    time.sleep(cleancache.RACY_NS / 1e9 + 0.05)


def check(ws: Workspace) -> bool:
    """What `generate --check` does: the cache, else a plan that remembers a clean result."""
    project = ws.project()
    return not project.known_clean() and project.plan().has_changes


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path)
    ws.resource("posts", POSTS)
    ws.resource("tags", TAGS)
    ws.generate()
    settle()
    assert not check(ws)  # a clean plan after a cache miss stores the fingerprint
    assert ws.project().known_clean()
    return ws


def test_a_clean_plan_is_remembered_until_a_resource_changes(ws: Workspace) -> None:
    project = ws.project()
    assert project.known_clean()
    ws.resource("posts", POSTS.replace('"text"', '"json"'))  # same size, new content
    assert not project.known_clean()
    assert ws.plan().has_changes


def test_new_or_removed_resources_and_snapshots_invalidate_it(ws: Workspace) -> None:
    project = ws.project()
    ws.resource("other", TAGS.replace("tags", "more"))
    assert not project.known_clean()
    ws.remove("other")
    assert project.known_clean()  # back to exactly the remembered files
    snapshots = ws.root / "priv" / "resource_snapshots" / "repo" / "tags"
    [latest] = snapshots.glob("*.json")
    (snapshots / "29990101000000.json").write_text(latest.read_text().replace("bigint", "integer"))
    assert not project.known_clean()
    assert ws.plan().has_changes


def test_a_snapshot_edited_in_place_invalidates_it(ws: Workspace) -> None:
    [latest] = (ws.root / "priv" / "resource_snapshots" / "repo" / "posts").glob("*.json")
    stat = latest.stat()
    latest.write_text(latest.read_text().replace('"text"', '"json"'))
    os.utime(latest, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime restored
    assert not ws.project().known_clean()


def test_config_changes_invalidate_it(ws: Workspace) -> None:
    config = ws.root / "snapshift.toml"
    config.write_text(config.read_text() + "\n# a comment\n")
    assert not ws.project().known_clean()


def test_files_changed_just_now_are_never_remembered(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.resource("posts", POSTS)
    ws.generate()
    assert not check(ws)  # clean, but the snapshot was written a moment ago: racy, not stored
    assert not ws.project().known_clean()


def test_a_file_saved_while_the_plan_runs_is_not_taken_for_clean(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    resource = ws.root / "resources" / "posts.toml"
    resource.write_text(POSTS + "# touched\n")
    settle()
    project = ws.project()
    assert not project.known_clean()
    read = state.read_resources

    def read_then_user_saves(*args: Any) -> Any:
        tables = read(*args)
        resource.write_text(POSTS.replace('"text"', '"json"'))  # saved after the plan read the file
        settle()  # and the plan goes on long enough for the save to look settled
        return tables

    monkeypatch.setattr(state, "read_resources", read_then_user_saves)
    assert not project.plan().has_changes  # the plan saw the old file
    assert not ws.project().known_clean()
    assert ws.plan().has_changes


def test_a_plan_with_changes_stores_nothing(ws: Workspace) -> None:
    ws.resource("posts", POSTS + 'body = { type = "text" }\n')
    settle()
    assert ws.plan().has_changes
    ws.resource("posts", POSTS)  # back as it was, but with new times
    assert not ws.project().known_clean()


def test_a_config_changed_after_it_was_read_is_not_taken_for_clean(ws: Workspace) -> None:
    project = ws.project()  # reads the config now, as the app does once
    config = ws.root / "snapshift.toml"
    config.write_text(config.read_text() + 'extensions = ["citext"]\n')
    settle()
    assert not project.plan().has_changes  # planned with the config it read, before the change
    assert not ws.project().known_clean()
    assert ws.plan().has_changes  # the new config wants the extension


def test_a_whole_second_time_gets_the_wide_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    now = 1_700_000_000_500_000_000  # half a second into a second
    whole_second_before = [1_700_000_000_000_000_000, 1_700_000_000_000_000_000, 10, 1]
    just_before = [now - 300_000_000, now - 300_000_000, 10, 1]
    assert cleancache._racy(whole_second_before, now)  # may be a save rounded down, during the plan
    assert not cleancache._racy(just_before, now)  # a nanosecond file system: 0.3 s is settled


def test_each_set_of_repos_keeps_its_own_entry(ws: Workspace) -> None:
    project = ws.project()
    repos = project.repos()
    assert cleancache.cache_path(project.config, repos) != cleancache.cache_path(project.config, [])
    cleancache.cache_path(project.config, repos).unlink()
    assert not project.plan(repo="repo").has_changes  # a per-repo plan (as `status` makes) stores
    assert project.known_clean("repo")


def test_a_cache_that_cannot_be_written_only_costs_the_shortcut(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder goes\n")  # unwritable, even for root
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert not check(ws)
    assert not ws.project().known_clean()


def test_the_cli_answers_from_the_cache_and_notices_edits(ws: Workspace) -> None:
    def check() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "snapshift.tui.cli.main", "-C", str(ws.root), "generate", "--check"]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    before = sorted(p for p in ws.root.rglob("*"))
    assert check().returncode == 0
    assert sorted(p for p in ws.root.rglob("*")) == before  # the cache is not in the project
    project = ws.project()
    assert cleancache.cache_path(project.config, project.repos()).exists()
    ws.resource("posts", POSTS + 'body = { type = "text" }\n')
    result = check()
    assert result.returncode == 1, result.stdout
    assert "posts" in result.stdout


TWO_REPOS = """
resources = ["resources/*.toml"]

[repos.main]

[repos.analytics]
migrations_path = "db/analytics/migrations"
snapshots_path = "db/snapshots"
"""
HITS = 'table = "hits"\nrepo = "analytics"\n\n[attributes]\nid = { type = "bigint", primary_key = true }\n'


def test_with_two_repos_a_change_in_either_is_seen_by_every_entry(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, TWO_REPOS)
    ws.resource("posts", POSTS)
    ws.resource("hits", HITS)
    ws.generate()
    settle()
    for repo in ("main", "analytics", None):  # three entries: one per repo (status), one for all
        project = ws.project()
        assert not project.known_clean(repo) and not project.plan(repo=repo).has_changes
        assert ws.project().known_clean(repo)
    ws.resource("hits", HITS + 'visits = { type = "integer" }\n')
    project = ws.project()
    # every resource counts for every entry: a plan validates the whole project, whatever the repo
    assert not project.known_clean("main")
    assert not project.known_clean("analytics") and not project.known_clean()
    assert project.plan(repo="analytics").has_changes and project.plan().has_changes


def test_cache_files_unused_for_a_month_go_when_another_is_stored(ws: Workspace) -> None:
    project = ws.project()
    own = cleancache.cache_path(project.config, project.repos())
    folder = own.parent
    month_ago = time.time() - cleancache.STALE_AFTER_S - 3600
    stale, recent, other = folder / "clean-stale.json", folder / "clean-recent.json", folder / "notes.json"
    for path in (stale, recent, other):
        path.write_text("{}")
    for path in (stale, other, own):
        os.utime(path, (month_ago, month_ago))
    assert project.known_clean()  # a hit: the project's own file is in use
    assert own.stat().st_mtime > month_ago + 3600
    ws.resource("tags", TAGS.replace("bigint", "integer"))
    ws.generate()
    settle()
    assert not check(ws)  # a clean plan stores its fingerprint, and prunes
    assert not stale.exists()
    assert recent.exists() and other.exists() and own.exists()
