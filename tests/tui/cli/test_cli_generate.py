"""`snapshift generate` through the command line: the example project, --check, questions, flags."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from snapshift.tui.cli.main import main
from tests.support.paths import REPO_ROOT
from tests.support.terminal import on_terminal, run

ROOT = REPO_ROOT
EXAMPLE = ROOT / "examples" / "blog"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes, to prove a command wrote nothing."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    target = tmp_path / "blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".snapshift"))
    return target


def test_committed_example_has_no_changes(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(blog)
    assert main(["-C", str(blog), "generate"]) == 0
    assert "No changes detected" in capsys.readouterr().out
    assert main(["-C", str(blog), "generate", "--check"]) == 0
    assert tree(blog) == before


def test_adding_a_column_writes_one_migration_and_one_snapshot(blog: Path) -> None:
    resource = blog / "resources" / "tags.toml"
    resource.write_text(
        resource.read_text().replace("[identities]", 'color = { type = "text" }\n\n[identities]')
    )
    before = tree(blog)
    check = run("-C", str(blog), "generate", "--check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert tree(blog) == before
    result = run("-C", str(blog), "generate", "--name", "add_color")
    assert result.returncode == 0, result.stderr
    added = sorted(set(tree(blog)) - set(before))
    assert len(added) == 2, added
    migration = next(p for p in added if p.startswith("priv/repo/migrations/"))
    snapshot = next(p for p in added if p.startswith("priv/resource_snapshots/repo/tags/"))
    assert migration.endswith("_add_color.sql")
    text = (blog / migration).read_text()
    assert 'ALTER TABLE "tags" ADD COLUMN "color" text;' in text
    assert 'ALTER TABLE "tags" DROP COLUMN "color";' in text
    assert '"name": "color"' in (blog / snapshot).read_text()
    after = tree(blog)
    assert run("-C", str(blog), "generate", "--check").returncode == 0
    assert tree(blog) == after


def test_dry_run_prints_files_and_writes_nothing(blog: Path) -> None:
    (blog / "resources" / "tags.toml").write_text(
        'table = "tags"\n[attributes]\nid = { type = "bigint", primary_key = true }\n'
    )
    before = tree(blog)
    result = run("-C", str(blog), "generate", "--dry-run", "--no-renames")
    assert result.returncode == 0, result.stderr
    assert "priv/repo/migrations/" in result.stdout and 'DROP COLUMN "name"' in result.stdout
    assert tree(blog) == before


def rename_project(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    (project / "resources").mkdir(parents=True)
    (project / "snapshift.toml").write_text('resources = ["resources/*.toml"]\n[repos.repo]\n')
    (project / "resources" / "posts.toml").write_text(
        'table = "posts"\n[attributes]\nid = { type = "uuid", primary_key = true }\ntitle = { type = "text" }\n'
    )
    assert run("-C", str(project), "generate").returncode == 0
    (project / "resources" / "posts.toml").write_text(
        'table = "posts"\n[attributes]\nid = { type = "uuid", primary_key = true }\nname = { type = "text" }\n'
    )
    return project


def test_unanswered_rename_without_terminal_exits_2_naming_the_flag(tmp_path: Path) -> None:
    project = rename_project(tmp_path)
    before = tree(project)
    result = run("-C", str(project), "generate")
    assert result.returncode == 2
    assert "Are you renaming posts.title to posts.name?" in result.stderr
    assert "--rename posts.title=NEW" in result.stderr
    assert tree(project) == before


def test_rename_flag_answers_the_question(tmp_path: Path) -> None:
    project = rename_project(tmp_path)
    result = run("-C", str(project), "generate", "--rename", "posts.title=name")
    assert result.returncode == 0, result.stderr
    [migration] = [p for p in (project / "priv/repo/migrations").glob("*.sql") if "resources2" in p.name]
    assert 'RENAME COLUMN "title" TO "name"' in migration.read_text()


def test_a_column_rename_to_no_new_column_leaves_the_question_open(tmp_path: Path) -> None:
    """`--rename posts.title=nope` names no new column: it must not count as "not a rename" and drop
    title; the question stays open (exit 2, nothing written) and the answer is called out."""
    project = rename_project(tmp_path)
    before = tree(project)
    result = run("-C", str(project), "generate", "--rename", "posts.title=nope")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the column rename answer posts.title=nope was not used" in result.stderr
    assert "Are you renaming posts.title to posts.name?" in result.stderr
    assert tree(project) == before


def test_drop_and_keep_answers_no_table_takes_are_called_out(tmp_path: Path) -> None:
    project = rename_project(tmp_path)
    result = run(
        "-C", str(project), "generate", "--dry-run", "--rename", "posts.title=name",
        "--drop-table", "nope", "--keep-table", "posts",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "the drop answer nope was not used" in result.stdout
    assert "the keep answer posts was not used" in result.stdout


def test_a_rename_answer_no_table_takes_is_called_out(blog: Path) -> None:
    """`--rename-table authors=writers` while authors is still declared renames nothing: say so."""
    before = tree(blog)
    result = run("-C", str(blog), "generate", "--rename-table", "authors=writers")
    assert result.returncode == 0, result.stderr
    assert "the rename answer authors=writers was not used" in result.stdout
    assert "No changes detected" in result.stdout
    assert tree(blog) == before


def test_no_renames_flag_drops_and_adds(tmp_path: Path) -> None:
    project = rename_project(tmp_path)
    assert run("-C", str(project), "generate", "--no-renames").returncode == 0
    [migration] = [p for p in (project / "priv/repo/migrations").glob("*.sql") if "resources2" in p.name]
    text = migration.read_text()
    assert 'ADD COLUMN "name" text' in text and 'DROP COLUMN "title"' in text
    assert "WARNING: destructive operations" in text


def answer_on_terminal(project: Path, replies: list[str]) -> tuple[int, str]:
    return on_terminal(["-C", str(project), "generate"], replies)


def test_terminal_prompt_answers_rename(tmp_path: Path) -> None:
    project = rename_project(tmp_path)
    code, output = answer_on_terminal(project, ["y"])
    assert code == 0, output
    assert "Are you renaming posts.title to posts.name? [Yn]" in output
    [migration] = [p for p in (project / "priv/repo/migrations").glob("*.sql") if "resources2" in p.name]
    assert 'RENAME COLUMN "title" TO "name"' in migration.read_text()


def test_terminal_prompt_declines_table_drop_and_remembers(tmp_path: Path) -> None:
    project = rename_project(tmp_path)
    (project / "resources" / "posts.toml").unlink()
    code, output = answer_on_terminal(project, ["n"])
    assert code == 0, output
    assert "Generate a migration to DROP this table?" in output
    snapshots = list((project / "priv/resource_snapshots/repo/posts").glob("*.json"))
    assert any('"drop_table_opted_out": true' in p.read_text() for p in snapshots)
    again = run("-C", str(project), "generate")
    assert again.returncode == 0 and "No changes detected" in again.stdout


def test_a_kept_table_is_still_dropped_by_an_explicit_drop_table(tmp_path: Path) -> None:
    project = rename_project(tmp_path)
    (project / "resources" / "posts.toml").unlink()
    assert run("-C", str(project), "generate", "--keep-table", "posts").returncode == 0
    time.sleep(0.2)  # past the clean cache's racy window
    for _ in range(2):  # the second answer comes from the clean cache
        check = run("-C", str(project), "generate", "--check")
        assert check.returncode == 0, check.stdout + check.stderr
    dropped = run("-C", str(project), "generate", "--drop-table", "posts")
    assert dropped.returncode == 0, dropped.stdout + dropped.stderr
    migrations = sorted((project / "priv/repo/migrations").glob("*.sql"))
    assert 'DROP TABLE "posts";' in migrations[-1].read_text()
    assert not (project / "priv/resource_snapshots/repo/posts").exists()


def test_drop_table_flag(tmp_path: Path) -> None:
    project = rename_project(tmp_path)
    (project / "resources" / "posts.toml").unlink()
    assert run("-C", str(project), "generate").returncode == 2
    result = run("-C", str(project), "generate", "--drop-table", "posts")
    assert result.returncode == 0, result.stderr
    assert not (project / "priv/resource_snapshots/repo/posts").exists()
    [migration] = [p for p in (project / "priv/repo/migrations").glob("*.sql") if "resources2" in p.name]
    assert 'DROP TABLE "posts";' in migration.read_text()


@pytest.mark.parametrize("steps", ["1", "2"])
def test_rollback_takes_minus_n_or_to_never_both(tmp_path: Path, steps: str) -> None:
    """`-n 1` equals the default: argparse's exclusive group must still see it as given."""
    (tmp_path / "snapshift.toml").write_text('[repos.repo]\nurl = "postgresql://nobody@127.0.0.1:1/x"\n')
    result = run("-C", str(tmp_path), "rollback", "--to", "20260101000000", "-n", steps)
    assert result.returncode == 2
    assert "not allowed with argument --to" in result.stderr


def test_a_not_null_column_without_a_default_is_warned_about(tmp_path: Path) -> None:
    """It fails at migrate on a table with rows: say so at generate, as Prisma and Atlas do."""
    project = rename_project(tmp_path)
    posts = project / "resources" / "posts.toml"
    posts.write_text(
        posts.read_text().replace("name =", "title =") + 'body = { type = "text", allow_nil = false }\n'
    )
    result = run("-C", str(project), "generate", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "NOT NULL without a default (add column posts.body)" in result.stdout
    posts.write_text(posts.read_text().replace("allow_nil = false", "allow_nil = false, default = \"''\""))
    result = run("-C", str(project), "generate", "--dry-run")
    assert result.returncode == 0 and "NOT NULL without a default" not in result.stdout
