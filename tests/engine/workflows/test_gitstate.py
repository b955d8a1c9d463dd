"""engine.base.gitstate against real git repositories: untracked vs ignored vs tracked, and no work tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapshift.engine.base import gitstate
from snapshift.engine.base.errors import GitError
from tests.support.gitrepo import git


def init_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    return root


def write(path: Path, text: str = "x\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "work")
    write(root / ".gitignore", "*.log\nsecret/\n")
    write(root / "priv" / "migrations" / "1_tracked.sql")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    return root


def test_untracked_lists_new_files_but_not_tracked_or_ignored_ones(repo: Path) -> None:
    new = write(repo / "priv" / "migrations" / "2_new.sql")
    nested = write(repo / "priv" / "snapshots" / "posts" / "20260101000000.json")
    write(repo / "priv" / "migrations" / "debug.log")
    write(repo / "priv" / "secret" / "3_hidden.sql")
    write(repo / "elsewhere.sql")
    found = gitstate.untracked(repo, [repo / "priv"])
    assert found == sorted([new, nested])


def test_untracked_with_a_project_in_a_subfolder_and_paths_that_do_not_exist(repo: Path) -> None:
    project = repo / "app"
    new = write(project / "priv" / "migrations" / "5_new.sql")
    outside = write(repo / "priv" / "migrations" / "6_outside.sql")
    assert gitstate.untracked(project, [project / "priv", project / "missing"]) == [new]
    assert gitstate.untracked(project, [repo / "priv"]) == [outside]
    assert gitstate.untracked(project, []) == []


def test_staged_files_are_tracked(repo: Path) -> None:
    staged = write(repo / "priv" / "migrations" / "2_staged.sql")
    git(repo, "add", str(staged))
    assert gitstate.untracked(repo, [repo / "priv"]) == []
    assert gitstate.tracked(staged)
    assert gitstate.tracked(repo / "priv" / "migrations" / "1_tracked.sql")
    assert not gitstate.tracked(write(repo / "priv" / "migrations" / "3_new.sql"))
    assert not gitstate.tracked(write(repo / "priv" / "migrations" / "x.log"))
    assert not gitstate.tracked(repo / "priv" / "migrations" / "does_not_exist.sql")


def test_changed_tracked_lists_modified_and_deleted_files_only(repo: Path) -> None:
    write(repo / "priv" / "snapshots" / "a.json", "1\n")
    write(repo / "priv" / "snapshots" / "b.json", "1\n")
    write(repo / "priv" / "snapshots" / "c.json", "1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "snapshots")
    write(repo / "priv" / "snapshots" / "a.json", "2\n")
    (repo / "priv" / "snapshots" / "b.json").unlink()
    write(repo / "priv" / "snapshots" / "d.json", "new\n")
    found = gitstate.changed_tracked(repo, [repo / "priv" / "snapshots"])
    assert found == [repo / "priv" / "snapshots" / "a.json", repo / "priv" / "snapshots" / "b.json"]
    (repo / "priv" / "snapshots" / "c.json").touch()  # a new mtime alone is no change
    assert len(gitstate.changed_tracked(repo, [repo / "priv" / "snapshots"])) == 2


def test_outside_a_work_tree_is_a_git_error_with_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    plain = tmp_path / "plain"
    write(plain / "priv" / "migrations" / "1_a.sql")
    with pytest.raises(GitError) as caught:
        gitstate.untracked(plain, [plain / "priv"], "regen")
    assert caught.value.exit_code == 2
    assert "not inside a git work tree" in str(caught.value)
    assert "regen" in str(caught.value)
    with pytest.raises(GitError):
        gitstate.tracked(plain / "priv" / "migrations" / "1_a.sql")
    with pytest.raises(GitError):
        gitstate.changed_tracked(plain, [plain / "priv"])


def test_missing_git_program_is_a_git_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-bin-here"))
    with pytest.raises(GitError, match="no `git` program"):
        gitstate.untracked(repo, [repo / "priv"])
