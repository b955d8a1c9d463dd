"""The app's dialogs end to end: `g` with a rename answered and a drop confirmed by typing the table's
name, `u` rolling back untracked migrations, `R` regenerating them, and the command palette."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from snapshift.tui.app import SnapshiftApp
from snapshift.tui.screens.confirm import ConfirmScreen
from snapshift.tui.screens.generate import GenerateScreen
from snapshift.tui.screens.questions import ChoiceScreen, DropTableScreen
from snapshift.tui.screens.regen import RegenScreen
from tests.support.appkit import copy_example, edit, log_text, make_app, planned, rename_body, sql_text, until
from tests.support.gitrepo import commit_all, git
from tests.tui.app.test_app_database import applied, finished

BODY = 'body = { type = "text" }'


@pytest.fixture
def project(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return copy_example(tmp_path)


def migrations(root: Path) -> list[str]:
    return sorted(path.name for path in (root / "priv" / "repo" / "migrations").glob("*.sql"))


async def generate(pilot: object, app: SnapshiftApp, name: str) -> None:
    """Press g and give the name."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await pilot.press("g")
    await until(pilot, lambda: isinstance(app.screen, GenerateScreen), "the generate dialog")
    app.screen.query_one("#name", Input).value = name
    await pilot.press("enter")


async def confirm_written(pilot: object, app: SnapshiftApp, listed: str, absent: str) -> None:
    """The answers changed the plan: its operations are shown once more (`listed` among them, nothing
    like `absent`), and Generate writes them."""
    from textual.pilot import Pilot
    from textual.widgets import Label

    assert isinstance(pilot, Pilot)
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the final confirmation")
    text = "\n".join(str(label.render()) for label in app.screen.query(Label))
    assert listed in text and absent not in text, text
    await pilot.click("#ok")
    await until(pilot, lambda: finished(app, "generate: wrote"), "generate")


async def test_generate_asks_the_rename_in_a_dialog_and_migrate_applies_it(
    project: Path, database_url: str
) -> None:
    rename_body(project)
    app = make_app(project)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        assert app.plan.questions, "the rename is an open question"
        await generate(pilot, app, "rename_body")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the rename dialog")
        choice = app.screen
        assert isinstance(choice, ChoiceScreen) and choice.options[0] == "rename body -> content"
        await pilot.click("#ok")
        await confirm_written(pilot, app, "rename column posts.body to content", "drop column")
        written = [name for name in migrations(project) if name.endswith("_rename_body.sql")]
        assert written, migrations(project)
        text = (project / "priv" / "repo" / "migrations" / written[0]).read_text()
        assert 'RENAME COLUMN "body" TO "content"' in text
        await until(
            pilot, lambda: not app.plan.has_changes and app.plans_done >= 2, "nothing left to generate"
        )
        assert not isinstance(app.screen, ChoiceScreen), "the app's own files ask nothing again"

        await pilot.press("m")
        await until(pilot, lambda: finished(app, "migrate: applied 2 migration(s)"), "migrate")
        assert len(applied(database_url)) == 2


async def test_a_dropped_table_is_confirmed_by_typing_its_name(project: Path) -> None:
    (project / "resources" / "comments.toml").unlink()
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await generate(pilot, app, "drop_comments")
        await until(pilot, lambda: isinstance(app.screen, DropTableScreen), "the drop dialog")
        assert app.screen.query_one("#drop").disabled
        app.screen.query_one("#confirm", Input).value = "comment"
        await pilot.pause(0.05)
        assert app.screen.query_one("#drop").disabled, "a wrong name does not confirm"
        app.screen.query_one("#confirm", Input).value = "comments"
        await pilot.pause(0.05)
        assert not app.screen.query_one("#drop").disabled
        await pilot.click("#drop")
        await confirm_written(pilot, app, "drop table comments  ⚠ drop", "create table")
        (written,) = [name for name in migrations(project) if name.endswith("_drop_comments.sql")]
        assert 'DROP TABLE "comments"' in (project / "priv" / "repo" / "migrations" / written).read_text()


async def test_backing_out_of_a_question_writes_nothing(project: Path) -> None:
    (project / "resources" / "comments.toml").unlink()
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        before = migrations(project)
        await generate(pilot, app, "nope")
        await until(pilot, lambda: isinstance(app.screen, DropTableScreen), "the drop dialog")
        await pilot.press("escape")
        await until(pilot, lambda: "generate cancelled" in log_text(app), "the cancel")
        assert migrations(project) == before


def tracked_project(project: Path) -> None:
    git(project, "init", "-q")
    commit_all(project, "the example")


async def test_untracked_migrations_are_rolled_back_and_regenerated(project: Path, database_url: str) -> None:
    tracked_project(project)
    edit(project / "resources" / "posts.toml", BODY, BODY + '\nsummary = { type = "text" }')
    app = make_app(project)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await generate(pilot, app, "summaries")
        await until(pilot, lambda: finished(app, "generate: wrote"), "generate")
        generated = migrations(project)
        await pilot.press("m")
        await until(pilot, lambda: finished(app, "migrate: applied 2 migration(s)"), "migrate")

        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the untracked confirmation")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and "summaries" in "\n".join(confirm.lines)
        await pilot.click("#ok")
        await until(pilot, lambda: finished(app, "untracked: rolled back 1 untracked migration(s)"), "u")
        assert applied(database_url) == [20261125233511]

        edit(project / "resources" / "posts.toml", "summary = ", "teaser = ")
        await until(pilot, lambda: '"teaser"' in sql_text(app), "the edit")
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RegenScreen), "the regen dialog")
        regen = app.screen
        assert isinstance(regen, RegenScreen) and any("summaries" in line for line in regen.lines)
        await pilot.click("#ok")
        await until(pilot, lambda: finished(app, "regen: rolled back"), "regen")
        names = migrations(project)  # regen keeps the newest untracked migration's name (SPEC 7)
        assert len(names) == 2 and names[-1].endswith("_summaries.sql") and names[-1] not in generated, names
        newest = (project / "priv" / "repo" / "migrations" / names[-1]).read_text()
        assert '"teaser"' in newest and '"summary"' not in newest
        assert len(applied(database_url)) == 2, "migrated afterwards (the checkbox was on)"


async def test_the_command_palette_runs_actions(project: Path) -> None:
    app = make_app(project, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.1)
        await pilot.press(*"Migrate tenants")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: app.busy is None and "tenants" in log_text(app).split("opened", 1)[1], "t")
        assert "migrating tenants" in log_text(app)
