"""`snapshift regen` and `rollback --untracked` through the command line: confirmation, refusals, flags."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from snapshift.engine.project import Project
from snapshift.tui.cli.main import main
from tests.engine.workflows.test_regen import (
    EXAMPLE,
    TENANTS,
    add_attribute,
    applied,
    database_state,
    generate_and_migrate,
    make_blog,
    tracked_bytes,
    tracked_versions,
    tree,
    two_tag_changes,
    untracked,
    version,
)
from tests.support.gitrepo import git
from tests.support.terminal import on_terminal, run


@pytest.fixture
def blog(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_blog(tmp_path, database_url, monkeypatch)


def test_without_a_terminal_regen_needs_yes(blog: Path, database_url: str) -> None:
    two_tag_changes(blog)
    files, state = tree(blog), database_state(database_url)
    result = run("-C", str(blog), "regen")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--yes" in result.stderr and "no terminal" in result.stderr
    assert "roll back:" in result.stdout  # the plan is shown before it stops
    assert tree(blog) == files
    assert database_state(database_url) == state


def test_on_a_terminal_regen_asks_and_a_no_changes_nothing(blog: Path, database_url: str) -> None:
    old = two_tag_changes(blog)
    files, state = tree(blog), database_state(database_url)
    code, output = on_terminal(["-C", str(blog), "regen"], ["n"])
    assert code == 1, output
    assert "Proceed? [yN]" in output and "nothing was changed" in output
    assert tree(blog) == files
    assert database_state(database_url) == state
    code, output = on_terminal(["-C", str(blog), "regen", "-m", "tag_fields"], ["y"])
    assert code == 0, output
    (regenerated,) = [f for f in untracked(blog) if f.startswith("priv/repo/migrations/")]
    assert regenerated.endswith("_tag_fields.sql")
    assert applied(database_url) == tracked_versions(blog) | {version(regenerated)}
    assert not any(p.exists() for p in old)


def test_rename_questions_work_as_in_generate(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    resource = blog / "resources" / "authors.toml"
    resource.write_text(resource.read_text().replace("bio = ", "biography = "))
    assert main(["-C", str(blog), "generate", "--rename", "authors.bio=biography"]) == 0
    Project.open(blog).migrate()
    files, state = tree(blog), database_state(database_url)

    assert main(["-C", str(blog), "regen", "-m"]) == 2
    err = capsys.readouterr().err
    assert "Are you renaming authors.bio to authors.biography?" in err and "--rename authors.bio=NEW" in err
    assert tree(blog) == files and database_state(database_url) == state

    assert main(["-C", str(blog), "regen", "--dry-run"]) == 2
    out = capsys.readouterr().out
    assert "== generate: first answer" in out and "Are you renaming authors.bio" in out
    assert "drop column" not in out  # no plan shown for a guessed "no"
    assert tree(blog) == files and database_state(database_url) == state

    assert main(["-C", str(blog), "regen", "-m", "--yes", "--rename", "authors.bio=biography"]) == 0
    (regenerated,) = [f for f in untracked(blog) if f.startswith("priv/repo/migrations/")]
    assert 'RENAME COLUMN "bio" TO "biography"' in (blog / regenerated).read_text()
    assert version(regenerated) in applied(database_url)


def test_nothing_to_regenerate(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = tree(blog)
    assert main(["-C", str(blog), "regen", "--yes", "-m"]) == 0
    assert "Nothing to regenerate" in capsys.readouterr().out
    assert tree(blog) == files


def test_regen_outside_a_git_work_tree_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    plain = tmp_path / "plain"
    shutil.copytree(EXAMPLE, plain, ignore=shutil.ignore_patterns(".snapshift"))
    assert main(["-C", str(plain), "regen", "--dry-run"]) == 2
    assert "not inside a git work tree" in capsys.readouterr().err
    assert main(["-C", str(plain), "rollback", "--untracked"]) == 2


def test_regen_refuses_when_a_tracked_snapshot_changed(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An edit by hand is the user's work: regen refuses to overwrite it (a deleted tracked snapshot
    loses nothing, so regen restores that one: tests/engine/workflows/test_regen_tracked.py)."""
    two_tag_changes(blog)
    (snapshot,) = [
        blog / f for f in tracked_bytes(blog) if f.startswith("priv/resource_snapshots/repo/tags/")
    ]
    snapshot.write_text(snapshot.read_text().replace('"tags"', '"tags_by_hand"', 1))
    files, state = tree(blog), database_state(database_url)
    assert main(["-C", str(blog), "regen", "--yes", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "tracked snapshot files changed" in err and str(snapshot) in err
    assert main(["-C", str(blog), "regen", "--yes"]) == 2
    assert tree(blog) == files and database_state(database_url) == state


def hand_written_tracked_migration(blog: Path, after: int) -> Path:
    """A tracked migration newer than `after`, committed and applied."""
    later = datetime.strptime(str(after), "%Y%m%d%H%M%S") + timedelta(minutes=10)
    path = blog / "priv" / "repo" / "migrations" / f"{later:%Y%m%d%H%M%S}_hand_made.sql"
    path.write_text(
        "-- migrate:up\nCREATE TABLE hand_made (id int);\n\n-- migrate:down\nDROP TABLE hand_made;\n"
    )
    git(blog, "add", str(path))
    git(blog, "commit", "-qm", "hand made")
    Project.open(blog).migrate()
    return path


def test_rollback_untracked_refuses_out_of_order_unless_forced(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    add_attribute(blog, "tags", 'color = { type = "text" }')
    (mine,) = [p for p in generate_and_migrate(blog) if p.suffix == ".sql"]
    hand = hand_written_tracked_migration(blog, version(mine))
    files, state = tree(blog), database_state(database_url)

    assert main(["-C", str(blog), "rollback", "--untracked"]) == 2
    err = capsys.readouterr().err
    assert hand.stem in err and mine.stem in err and "--force" in err
    assert main(["-C", str(blog), "regen", "--yes"]) == 2
    assert hand.stem in capsys.readouterr().err
    assert tree(blog) == files and database_state(database_url) == state

    assert main(["-C", str(blog), "rollback", "--untracked", "--force", "--yes"]) == 0
    assert applied(database_url) == tracked_versions(blog) | {version(hand)}
    assert tree(blog) == files  # rollback never deletes files


def test_rollback_untracked_undoes_exactly_the_untracked_ones_in_public_and_tenants(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    public_old = [version(p) for p in two_tag_changes(blog)]
    add_attribute(blog, "documents", 'summary = { type = "text" }')
    (tenant_file,) = [p for p in generate_and_migrate(blog, tenants=True) if p.suffix == ".sql"]
    files = tree(blog)

    only_acme = ["--tenants", "--only-tenants", "org_acme"]
    assert main(["-C", str(blog), "rollback", "--untracked", "--yes", *only_acme]) == 0
    assert version(tenant_file) not in applied(database_url, "org_acme")
    assert version(tenant_file) in applied(database_url, "org_globex")
    assert set(public_old) <= applied(database_url)

    assert main(["-C", str(blog), "rollback", "--untracked", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "rolled back 2 untracked migration(s) and 1 tenant migration run(s) in 1 tenant(s)" in out
    assert applied(database_url) == tracked_versions(blog)
    for tenant in TENANTS:
        assert applied(database_url, tenant) == tracked_versions(blog, "tenant_migrations")
    assert tree(blog) == files

    assert main(["-C", str(blog), "rollback", "--untracked", "--yes"]) == 0
    assert "no applied migration is untracked" in capsys.readouterr().out


def test_rollback_flag_mistakes_are_exit_2(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(blog), "rollback", "--force"]) == 2
    assert "--force only applies with --untracked" in capsys.readouterr().err
    assert main(["-C", str(blog), "rollback", "--untracked", "--jobs", "2"]) == 2
    with pytest.raises(SystemExit) as caught:
        main(["-C", str(blog), "rollback", "--untracked", "-n", "2"])
    assert caught.value.code == 2


def test_regen_says_which_untracked_migration_generate_did_not_write(blog: Path) -> None:
    """A hand-written untracked migration is deleted like the generated ones: the plan says so first."""
    generated = two_tag_changes(blog)
    seed = blog / "priv" / "repo" / "migrations" / "20991231000000_seed.sql"
    seed.write_text("-- migrate:up\nSELECT 1;\n-- migrate:down\n")
    result = run("-C", str(blog), "regen")  # no terminal: the plan, then exit 2 before anything runs
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    [seed_line] = [line for line in lines if "20991231000000_seed.sql" in line]
    assert "not written by generate" in seed_line
    assert not any("not written by generate" in line for line in lines if "_seed.sql" not in line)
    assert seed.exists() and all(p.exists() for p in generated)
