"""The app follows the files on disk: edits, editors' atomic saves, new and deleted files, a broken
file (its problems shown, the last good plan kept and marked stale, recovery without a key press)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from snapshift.tui.app import SnapshiftApp
from snapshift.tui.widgets.pending import PendingPane
from snapshift.tui.widgets.resource_tree import ResourceTree
from tests.support.appkit import copy_example, edit, log_text, make_app, planned, sql_text, tree_labels, until

SUMMARY = 'body = { type = "text" }\nsummary = { type = "text" }'
NOTES = 'table = "notes"\n\n[attributes]\nid = { type = "bigint", primary_key = true }\ntext = { type = "text" }\n'


def pending_lines(app: SnapshiftApp) -> list[str]:
    from textual.widgets import OptionList

    options = app.query_one(PendingPane).query_one("#operations", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")  # no database needed
    return copy_example(tmp_path)


async def test_edits_on_disk_update_tree_operations_and_sql(project: Path) -> None:
    app = make_app(project)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        assert "generate would write nothing" in sql_text(app)
        assert tree_labels(app)["repo:posts"].startswith("●")

        edit(project / "resources" / "posts.toml", 'body = { type = "text" }', SUMMARY)
        await until(pilot, lambda: 'ADD COLUMN "summary"' in sql_text(app), "the edit in the SQL")
        assert tree_labels(app)["repo:posts"].startswith("~")
        assert any("add column posts.summary" in line for line in pending_lines(app))

        # an editor's atomic save: a temp file renamed over the resource
        posts = project / "resources" / "posts.toml"
        temp = posts.with_name(".posts.toml.tmp")
        temp.write_text(posts.read_text().replace("summary = ", "teaser = "))
        os.replace(temp, posts)
        await until(pilot, lambda: 'ADD COLUMN "teaser"' in sql_text(app), "the atomic save in the SQL")
        assert '"summary"' not in sql_text(app)

        # a new file, then deleting it again
        (project / "resources" / "notes.toml").write_text(NOTES)
        await until(pilot, lambda: 'CREATE TABLE "notes"' in sql_text(app), "the new file")
        assert tree_labels(app)["repo:notes"].startswith("+")
        (project / "resources" / "notes.toml").unlink()
        await until(pilot, lambda: "repo:notes" not in tree_labels(app), "the deleted file")
        assert 'CREATE TABLE "notes"' not in sql_text(app)

        # deleting a resource whose table has a snapshot: the table is marked removed (a question for g)
        (project / "resources" / "comments.toml").unlink()
        await until(
            pilot, lambda: tree_labels(app).get("repo:comments", "").startswith("-"), "a removed table"
        )
        assert "changed: resources/comments.toml" in log_text(app)


async def test_selecting_a_table_shows_its_operations_and_scrolls_the_sql(project: Path) -> None:
    edit(project / "resources" / "posts.toml", 'body = { type = "text" }', SUMMARY)
    (project / "resources" / "notes.toml").write_text(NOTES)
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        tree = app.query_one("#resources")
        tree.focus()
        await until(
            pilot, lambda: str(app.query_one(PendingPane).border_title).startswith("Pending  all"), "all"
        )
        from snapshift.tui.widgets.resource_tree import ResourceTree

        resource_tree = app.query_one(ResourceTree)

        def selected() -> bool:  # the tree numbers its lines when it renders: move again until it took
            if "posts" in str(app.query_one(PendingPane).border_title):
                return True
            resource_tree.move_cursor(resource_tree._leaves["repo:posts"])
            return False

        await until(pilot, selected, "posts selected")
        assert pending_lines(app) == ["+ add column posts.summary"]


async def test_a_broken_file_shows_its_problems_and_recovers_when_fixed(project: Path) -> None:
    app = make_app(project)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        posts = project / "resources" / "posts.toml"
        good = posts.read_text()
        edit(posts, 'body = { type = "text" }', SUMMARY)
        await until(pilot, lambda: '"summary"' in sql_text(app), "the good edit")

        posts.write_text(posts.read_text().replace('title = { type = "string"', 'title = { type = "strnig"'))
        await until(pilot, lambda: app.problems, "the problem")
        (problem,) = app.problems
        assert problem.path == posts and problem.line == 7 and "strnig" in problem.message
        assert app.stale
        assert '"summary"' in sql_text(app), "the last good plan stays visible"
        assert tree_labels(app)["repo:posts"].startswith("✗")
        title = str(app.query_one(ResourceTree).border_title)
        assert "1 broken" in title and "changed" not in title, title  # the broken file is not also a change
        assert any("posts.toml:7" in line for line in pending_lines(app))
        assert "stale" in str(app.query_one("#sql").border_title)
        assert "resources/posts.toml:7" in log_text(app)

        posts.write_text(good)  # fixed, with no key pressed
        await until(pilot, lambda: not app.problems, "the recovery")
        assert not app.stale
        assert "generate would write nothing" in sql_text(app)
        assert "problems fixed" in log_text(app)


async def test_a_broken_file_at_startup_and_a_broken_config(project: Path) -> None:
    posts = project / "resources" / "posts.toml"
    good = posts.read_text()
    posts.write_text("table = \n")
    app = make_app(project)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.problems, "the startup problem")
        assert app.problems[0].path == posts
        assert "no plan yet" in sql_text(app), "no plan was made: the SQL pane must not say there is nothing"
        posts.write_text(good)
        await until(pilot, lambda: not app.problems and app.plans_done, "the recovery")
        await until(pilot, lambda: "generate would write nothing" in sql_text(app), "the plan shown")

        config = project / "snapshift.toml"
        config.write_text(config.read_text() + "\nbogus = 1\n")
        await until(pilot, lambda: app.problems, "the config problem")
        assert "bogus" in app.problems[0].message
        config.write_text(config.read_text().replace("\nbogus = 1\n", ""))
        await until(pilot, lambda: not app.problems, "the config fixed")
