"""`g` as a flow: a name checked in its dialog, Back to the previous question, nothing written when the
files changed while the dialogs were open, and a kept table shown as kept (not removed, not a change)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input, Label

from snapshift.tui.screens.confirm import ConfirmScreen
from snapshift.tui.screens.generate import GenerateScreen
from snapshift.tui.screens.questions import ChoiceScreen, DropTableScreen
from snapshift.tui.widgets.resource_tree import ResourceTree
from tests.support.appkit import (
    copy_example,
    edit,
    log_text,
    make_app,
    planned,
    rename_body,
    tree_labels,
    until,
)
from tests.tui.app.test_app_database import finished
from tests.tui.app.test_app_dialogs import generate, migrations


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")  # no database needed
    return copy_example(tmp_path)


async def test_a_bad_name_is_said_in_the_dialog_which_stays_open(project: Path) -> None:
    edit(
        project / "resources" / "posts.toml",
        'body = { type = "text" }',
        'body = { type = "text" }\nx = { type = "text" }',
    )
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await generate(pilot, app, "add notes!")
        await pilot.pause(0.1)
        assert isinstance(app.screen, GenerateScreen), "the dialog stays open"
        assert app.screen.query_one("#ok", Button).disabled
        assert "invalid migration name 'add notes!'" in str(
            app.screen.query_one("#name-problem", Label).render()
        )
        app.screen.query_one("#name", Input).value = "add_notes"
        await pilot.pause(0.05)
        assert not app.screen.query_one("#ok", Button).disabled


async def test_back_asks_the_previous_question_again_and_escape_calls_it_all_off(project: Path) -> None:
    rename_body(project)
    (project / "resources" / "comments.toml").unlink()
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        before = migrations(project)
        await generate(pilot, app, "two_questions")
        await until(
            pilot, lambda: isinstance(app.screen, ChoiceScreen | DropTableScreen), "the first question"
        )
        first = type(app.screen)
        await pilot.click("#keep" if first is DropTableScreen else "#ok")
        await until(pilot, lambda: not isinstance(app.screen, first), "the second question")
        second = app.screen
        assert isinstance(second, ChoiceScreen | DropTableScreen)
        await pilot.click("#cancel")  # Back
        await until(
            pilot, lambda: isinstance(app.screen, first) and app.screen is not second, "the first again"
        )
        await pilot.press("escape")
        await until(pilot, lambda: "generate cancelled" in log_text(app), "the cancel")
        assert migrations(project) == before


async def test_nothing_is_written_when_the_files_changed_behind_the_dialogs(project: Path) -> None:
    rename_body(project)
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        before = migrations(project)
        await generate(pilot, app, "rename_body")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the rename question")
        posts = project / "resources" / "posts.toml"
        edit(posts, 'content = { type = "text" }', 'content = { type = "text" }\nextra = { type = "text" }')
        await pilot.click("#ok")
        await until(pilot, lambda: "nothing written" in log_text(app), "the refusal")
        assert not isinstance(app.screen, ConfirmScreen)
        assert migrations(project) == before


async def test_a_kept_table_is_shown_kept_not_removed(project: Path) -> None:
    (project / "resources" / "comments.toml").unlink()
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await generate(pilot, app, "keep_comments")
        await until(pilot, lambda: isinstance(app.screen, DropTableScreen), "the drop question")
        await pilot.click("#keep")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the final confirmation")
        await pilot.click("#ok")
        await until(pilot, lambda: finished(app, "generate: wrote"), "generate")
        app.request_replan()
        await until(pilot, lambda: tree_labels(app).get("repo:comments", "").startswith("○"), "kept mark")
        assert "kept" in tree_labels(app)["repo:comments"]
        title = str(app.main.query_one(ResourceTree).border_title)
        assert "no changes" in title and "changed" not in title, title


@pytest.mark.parametrize(
    ("keys", "listed"), [((), "rename column posts.body"), (("down",), "drop column posts.body")]
)
async def test_enter_chooses_the_highlighted_option_and_continues(
    project: Path, keys: tuple[str, ...], listed: str
) -> None:
    rename_body(project)
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await generate(pilot, app, "rename_body")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the rename question")
        await pilot.press(*keys, "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the final confirmation")
        text = "\n".join(str(label.render()) for label in app.screen.query(Label))
        assert listed in text, text
