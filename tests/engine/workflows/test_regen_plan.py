"""regen plans over a filtered project state (issue 13 item 1): no temporary copies of the folders, nothing
written anywhere, and the plan it shows is the generation it then writes."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from snapshift.engine.autogen.questions import Answers
from snapshift.engine.project import Project
from snapshift.engine.state import read_state
from snapshift.engine.workflows import regen as regen_workflow
from tests.engine.workflows.test_regen import add_attribute, generate_and_migrate, make_blog, untracked
from tests.engine.workflows.test_regen_tracked import POST_TAGS, drop_post_tags
from tests.support.paths import REPO_ROOT

NOW = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
EXAMPLE = REPO_ROOT / "examples" / "blog"


@pytest.fixture
def blog(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_blog(tmp_path, database_url, monkeypatch)


def stat_tree(root: Path) -> dict[str, tuple[bool, int, int]]:
    """Every path under `root` (folders too, .git aside) with whether it is a folder, its size and mtime."""
    found = {}
    for folder, names, files in os.walk(root):
        names[:] = [n for n in names if n != ".git"]
        for name in names + files:
            path = Path(folder) / name
            info = path.lstat()
            found[str(path.relative_to(root))] = (path.is_dir(), info.st_size, info.st_mtime_ns)
    return found


def refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("regen's planning copied or made a temporary folder")


def untracked_drop_and_columns(blog: Path) -> None:
    """An untracked generate that dropped post_tags (its tracked folder removed), then one adding a column."""
    drop_post_tags(blog)
    add_attribute(blog, "tags", 'color = { type = "text" }')
    generate_and_migrate(blog)


def test_planning_regen_writes_nothing_and_copies_nothing(
    blog: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    untracked_drop_and_columns(blog)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "no-temp"))  # made below: must stay empty
    (tmp_path / "no-temp").mkdir()
    tempfile.tempdir = None  # read TMPDIR again
    for name in ("TemporaryDirectory", "mkdtemp", "mkstemp", "NamedTemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse)
    monkeypatch.setattr(shutil, "copytree", refuse)
    monkeypatch.setattr(shutil, "copy2", refuse)
    before = stat_tree(blog)
    try:
        plan = Project.open(blog).plan_regen(answers=Answers(drop_tables=frozenset({"post_tags"})))
    finally:
        tempfile.tempdir = None
    assert stat_tree(blog) == before
    assert list((tmp_path / "no-temp").iterdir()) == []
    assert not plan.changed_tracked and plan.restored  # post_tags' folder comes back from git's index
    planned = {str(f.path.relative_to(blog)) for f in plan.generation.files}
    assert any(p.startswith("priv/repo/migrations/") for p in planned)
    assert [str(p.relative_to(blog)) for p in plan.generation.removed_folders] == [POST_TAGS.rstrip("/")]


def test_the_plan_regen_shows_is_the_generation_it_writes(blog: Path) -> None:
    untracked_drop_and_columns(blog)
    answers = Answers(drop_tables=frozenset({"post_tags"}))
    project = Project.open(blog)
    plan = regen_workflow.plan_regen(project, answers=answers, now=NOW)
    shown = sorted((f.path, f.text, f.kind) for f in plan.generation.files)
    migration = [f for f in plan.generation.files if f.kind == "migration"]
    assert len(migration) == 1
    assert 'DROP TABLE "post_tags"' in migration[0].text and '"color"' in migration[0].text
    result = regen_workflow.regen(project, answers=answers, now=NOW)
    written = sorted((f.path, f.text, f.kind) for f in result.generated.generation.files)
    assert shown == written
    assert plan.generation.removed_folders == result.generated.generation.removed_folders
    assert [p for p in untracked(blog) if p.endswith(".sql")] == [str(migration[0].path.relative_to(blog))]


def test_a_state_without_files_lists_what_is_left(tmp_path: Path) -> None:
    root = tmp_path / "blog"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".snapshift"))
    project = Project.open(root)
    repo = project.config.default_repo
    folder = repo.snapshots_path / "tags"
    (committed,) = folder.glob("*.json")
    newer = folder / "20990101000000.json"  # an untracked generate's snapshot
    newer.write_text(committed.read_text().replace('"tags"', '"tags" '))
    (lone,) = (repo.snapshots_path / "authors").glob("*.json")
    state = read_state(project.config)
    files = state.repos[repo.name]
    newest_migration = repo.migrations_path / files.migrations[-1]
    gone_folder = repo.snapshots_path / "comments_archive"  # a dropped table's folder, back from git
    restored = {gone_folder / "20240101000000.json": b"{}"}
    extensions = repo.snapshots_path / "extensions.json"

    filtered = state.without([newest_migration, newer, lone, extensions], restored, [repo.name])

    after = filtered.repos[repo.name]
    assert after.migrations == files.migrations[:-1]
    assert after.tenant_migrations == files.tenant_migrations
    assert after.extensions is None and files.extensions is not None
    entries = {entry[0]: entry for entry in after.snapshots}
    assert {e[0]: e[2] for e in files.snapshots}[str(folder)] == newer.name
    assert entries[str(folder)][2:] == (committed.name, committed.read_bytes())
    assert entries[str(lone.parent)][2] is None  # its folder stays, empty, until regen deletes it
    assert entries[str(gone_folder)][1:] == (
        (None, "comments_archive", False),
        "20240101000000.json",
        b"{}",
    )
    assert [entry[0] for entry in after.snapshots] == sorted(entries)
    touched = (str(folder), str(lone.parent), str(gone_folder))
    assert [e for e in after.snapshots if e[0] not in touched] == [
        e for e in files.snapshots if e[0] not in touched
    ]
    assert state.repos[repo.name] == files  # the state it came from is untouched
    assert not gone_folder.exists() and newer.exists() and lone.exists()
