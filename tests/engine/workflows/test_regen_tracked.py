"""regen after untracked generates that changed tracked files, its kept name, and its confirmation flags
(issue 18 items 6 and 7, issue 12 item 5): real git repositories and a real PostgreSQL, through the CLI."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.errors import SnapshiftError
from snapshift.engine.db.runs import ProgressEvent
from snapshift.engine.project import Project
from snapshift.engine.workflows.regen import RegenEvent
from snapshift.tui.cli.main import main
from tests.engine.workflows.test_regen import (
    add_attribute,
    applied,
    database_state,
    generate_and_migrate,
    make_blog,
    tracked_bytes,
    tracked_versions,
    tree,
    untracked,
    version,
)
from tests.support.gitrepo import commit_all, git
from tests.support.terminal import on_terminal, run

POST_TAGS = "priv/resource_snapshots/repo/post_tags/"


@pytest.fixture
def blog(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_blog(tmp_path, database_url, monkeypatch)


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def untracked_migrations(root: Path) -> list[str]:
    return [f for f in untracked(root) if f.startswith("priv/repo/migrations/")]


def drop_post_tags(blog: Path) -> dict[str, bytes | None]:
    """The post_tags resource removed (committed), then an untracked `generate --drop-table`, migrated.

    Returns the tracked files as committed, before the untracked generate removed the table's folder."""
    git(blog, "rm", "-q", "resources/post_tags.toml")
    commit_all(blog, "post_tags goes")
    committed = tracked_bytes(blog)
    assert main(["-C", str(blog), "generate", "--drop-table", "post_tags"]) == 0
    Project.open(blog).migrate()
    assert not (blog / POST_TAGS).exists(), "generate removes the dropped table's tracked snapshot folder"
    return committed


def rename_post_tags(blog: Path) -> dict[str, bytes | None]:
    """post_tags renamed to post_labels in an untracked `generate --rename-table`, migrated."""
    committed = tracked_bytes(blog)
    resource = blog / "resources" / "post_tags.toml"
    resource.write_text(resource.read_text().replace('table = "post_tags"', 'table = "post_labels"'))
    assert main(["-C", str(blog), "generate", "--rename-table", "post_tags=post_labels"]) == 0
    Project.open(blog).migrate()
    assert not (blog / POST_TAGS).exists()
    return committed


# -- 18.6: what the untracked generates changed in tracked files, regen restores


def test_regen_after_an_untracked_drop_regenerates_the_drop(blog: Path, database_url: str) -> None:
    drop_post_tags(blog)
    after_generate = tracked_bytes(blog)
    (old,) = untracked_migrations(blog)
    assert main(["-C", str(blog), "regen", "--yes", "-m", "--drop-table", "post_tags"]) == 0
    (new,) = untracked_migrations(blog)
    assert old and 'DROP TABLE "post_tags"' in (blog / new).read_text()
    assert tracked_bytes(blog) == after_generate  # the folder was back for the generate, which removed it
    assert "post_tags" not in tables(database_url)
    assert applied(database_url) == tracked_versions(blog) | {version(new)}


def test_regen_after_an_untracked_drop_that_is_undone_ends_with_the_committed_files(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tables(database_url)
    committed = drop_post_tags(blog)
    git(blog, "revert", "--no-edit", "HEAD")  # the resource is back: the drop was a mistake
    committed["resources/post_tags.toml"] = (blog / "resources" / "post_tags.toml").read_bytes()
    assert main(["-C", str(blog), "regen", "--yes", "-m"]) == 0
    out = capsys.readouterr().out
    assert "restore 1 tracked file(s) from git's index" in out and POST_TAGS in out
    assert tracked_bytes(blog) == committed  # byte-identical, the dropped table's snapshot included
    assert untracked(blog) == []  # nothing to generate: the committed snapshots hold the resources
    assert tables(database_url) == before
    assert applied(database_url) == tracked_versions(blog)


def test_regen_after_an_untracked_rename(blog: Path, database_url: str) -> None:
    committed = rename_post_tags(blog)
    after_generate = tracked_bytes(blog)
    assert main(["-C", str(blog), "regen", "--yes", "-m", "--rename-table", "post_tags=post_labels"]) == 0
    (new,) = untracked_migrations(blog)
    assert 'RENAME TO "post_labels"' in (blog / new).read_text()
    assert tracked_bytes(blog) == after_generate
    assert "post_labels" in tables(database_url) and "post_tags" not in tables(database_url)

    resource = blog / "resources" / "post_tags.toml"  # undo the rename: regen restores every committed byte
    resource.write_text(resource.read_text().replace('table = "post_labels"', 'table = "post_tags"'))
    assert main(["-C", str(blog), "regen", "--yes", "-m"]) == 0
    assert tracked_bytes(blog) == committed and untracked(blog) == []
    assert "post_tags" in tables(database_url) and "post_labels" not in tables(database_url)
    assert applied(database_url) == tracked_versions(blog)


class GenerateFails(SnapshiftError):
    exit_code = 1


def test_a_failed_generate_puts_the_changed_tracked_files_back_as_they_were(
    blog: Path, database_url: str
) -> None:
    drop_post_tags(blog)
    files = tree(blog)

    def fail_at_generate(event: ProgressEvent | RegenEvent) -> None:
        if isinstance(event, RegenEvent) and event.stage == "generate":
            assert (blog / POST_TAGS).is_dir(), "the tracked folder is back before generate runs"
            raise GenerateFails("generate failed on purpose")

    assert Project.open(blog).plan_regen().generation.questions  # post_tags: the drop question again
    drop = Answers().with_table("post_tags", drop=True)
    with pytest.raises(SnapshiftError, match="generate failed on purpose"):
        Project.open(blog).regen(answers=drop, progress=fail_at_generate)
    assert tree(blog) == files  # the untracked migration back, the tracked folder gone again, no trash
    assert not (blog / ".snapshift").exists()


# -- 18.7: regen with no NAME keeps the newest untracked migration's name


def test_regen_without_a_name_keeps_the_newest_untracked_migrations_name(
    blog: Path, database_url: str
) -> None:
    add_attribute(blog, "tags", 'color = { type = "text" }')
    assert main(["-C", str(blog), "generate", "tag_color"]) == 0
    Project.open(blog).migrate()
    add_attribute(blog, "tags", 'weight = { type = "integer", allow_nil = false, default = 0 }')
    assert main(["-C", str(blog), "generate", "tag_weight"]) == 0
    Project.open(blog).migrate()
    assert main(["-C", str(blog), "regen", "--yes", "-m"]) == 0
    (regenerated,) = untracked_migrations(blog)
    assert regenerated.endswith("_tag_weight.sql"), regenerated
    assert main(["-C", str(blog), "regen", "--yes", "-m", "tags_grow"]) == 0  # a NAME still wins
    (renamed,) = untracked_migrations(blog)
    assert renamed.endswith("_tags_grow.sql"), renamed
    assert version(renamed) in applied(database_url)


# -- 12.5: --yes confirms the plan only; renames need their own answers


def rename_bio(blog: Path) -> None:
    resource = blog / "resources" / "authors.toml"
    resource.write_text(resource.read_text().replace("bio = ", "biography = "))
    assert main(["-C", str(blog), "generate", "--rename", "authors.bio=biography"]) == 0
    Project.open(blog).migrate()


def test_regen_yes_does_not_accept_renames(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rename_bio(blog)
    files, state = tree(blog), database_state(database_url)
    assert main(["-C", str(blog), "regen", "--yes", "-m"]) == 2
    err = capsys.readouterr().err
    assert "Are you renaming authors.bio to authors.biography?" in err
    assert tree(blog) == files and database_state(database_url) == state
    assert main(["-C", str(blog), "regen", "--yes", "-m", "--accept-renames"]) == 0
    (regenerated,) = untracked_migrations(blog)
    assert 'RENAME COLUMN "bio" TO "biography"' in (blog / regenerated).read_text()
    assert version(regenerated) in applied(database_url)


def test_regen_accept_renames_does_not_decide_drops(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    drop_post_tags(blog)
    files = tree(blog)
    assert main(["-C", str(blog), "regen", "--yes", "--accept-renames"]) == 2
    assert "--drop-table post_tags" in capsys.readouterr().err
    assert tree(blog) == files


def test_rollback_untracked_asks_on_a_terminal_and_needs_yes_without_one(
    blog: Path, database_url: str
) -> None:
    add_attribute(blog, "tags", 'color = { type = "text" }')
    (migration,) = [p for p in generate_and_migrate(blog) if p.suffix == ".sql"]
    state = database_state(database_url)

    result = run("-C", str(blog), "rollback", "--untracked")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--yes" in result.stderr and "no terminal" in result.stderr
    assert migration.stem in result.stdout  # the plan is shown first
    assert database_state(database_url) == state

    code, output = on_terminal(["-C", str(blog), "rollback", "--untracked"], ["n"])
    assert code == 1 and "Proceed? [yN]" in output and "nothing was rolled back" in output, output
    assert database_state(database_url) == state

    code, output = on_terminal(["-C", str(blog), "rollback", "--untracked"], ["y"])
    assert code == 0, output
    assert version(migration) not in applied(database_url)
    assert main(["-C", str(blog), "rollback", "--yes"]) == 2  # --yes belongs to --untracked


def test_regen_restores_a_kept_tables_marked_snapshot(blog: Path, database_url: str) -> None:
    git(blog, "rm", "-q", "resources/post_tags.toml")
    commit_all(blog, "post_tags goes")
    committed = tracked_bytes(blog)
    assert main(["-C", str(blog), "generate", "--keep-table", "post_tags"]) == 0
    assert tracked_bytes(blog) != committed  # the keep answer is remembered in the tracked snapshot
    assert untracked(blog) == []
    assert main(["-C", str(blog), "regen", "--yes", "-m", "--drop-table", "post_tags"]) == 0
    (migration,) = untracked_migrations(blog)
    assert 'DROP TABLE "post_tags"' in (blog / migration).read_text()
    assert "post_tags" not in tables(database_url)
    assert {k: v for k, v in tracked_bytes(blog).items() if not k.startswith(POST_TAGS)} == {
        k: v for k, v in committed.items() if not k.startswith(POST_TAGS)
    }


def test_regen_restores_extensions_json(blog: Path, database_url: str) -> None:
    config = blog / "snapshift.toml"
    committed = tracked_bytes(blog)
    original = config.read_text()
    config.write_text(original.replace('extensions = ["citext"]', 'extensions = ["citext", "hstore"]'))
    assert main(["-C", str(blog), "generate", "hstore"]) == 0
    Project.open(blog).migrate()
    assert (
        tracked_bytes(blog)["priv/resource_snapshots/repo/extensions.json"]
        != committed["priv/resource_snapshots/repo/extensions.json"]
    )
    config.write_text(original)  # changed our mind: regen undoes it all
    assert main(["-C", str(blog), "regen", "--yes", "-m"]) == 0
    assert tracked_bytes(blog) == committed and untracked(blog) == []
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'hstore'").fetchone() is None
