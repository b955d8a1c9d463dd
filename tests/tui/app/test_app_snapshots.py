"""Pictures of the app compared with accepted ones (pytest-textual-snapshot): the main screen with
pending changes, 80x24, a broken file, and every dialog. No database (its error is part of the
picture), a fixed clock for versions and log times, the watcher off, no blinking cursor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input

from snapshift.engine.checks.catalog_compare import Difference
from snapshift.engine.checks.drift import DriftGroup, DriftResult
from snapshift.engine.checks.verify import VerifyProblem, VerifyResult
from snapshift.tui.app import SnapshiftApp
from snapshift.tui.check_views import drift_view, verify_view
from snapshift.tui.screens.confirm import ConfirmScreen
from snapshift.tui.screens.drift import DriftScreen
from snapshift.tui.screens.generate import GenerateScreen
from snapshift.tui.screens.help import HelpScreen
from snapshift.tui.screens.questions import ChoiceScreen, DropTableScreen
from snapshift.tui.screens.regen import RegenScreen
from snapshift.tui.screens.verify import VerifyScreen
from snapshift.tui.widgets.keys_footer import KeysFooter
from snapshift.tui.widgets.log import LogPane
from snapshift.tui.widgets.pending import PendingPane
from snapshift.tui.widgets.resource_tree import ResourceTree
from tests.support.appkit import copy_example, edit, make_app, planned, rename_body, until
from tests.support.gitrepo import commit_all, git

BODY = 'body = { type = "text" }'
SnapCompare = Callable[..., bool]
Before = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/blog")
    monkeypatch.setattr(LogPane, "clock", staticmethod(lambda: "12:00:00"))


def pending_changes(root: Path) -> None:
    edit(root / "resources" / "posts.toml", BODY, BODY + '\nsummary = { type = "text" }')
    edit(root / "resources" / "posts.toml", "size = 80", "size = 120")
    (root / "resources" / "notes.toml").write_text(
        'table = "notes"\n\n[attributes]\nid = { type = "bigint", primary_key = true }\n'
    )


def scene(*steps: Callable[[Pilot[Any]], Awaitable[None]]) -> Before:
    """Wait for the first plan and the database's answer, run the steps, settle, stop blinking."""

    async def before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, SnapshiftApp)
        await planned(pilot)
        for step in steps:
            await step(pilot)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause(0.2)
        await until(pilot, lambda: bool(app.main.query_one(KeysFooter).children), "the footer")

    return before


async def select_posts(pilot: Pilot[Any]) -> None:
    tree = pilot.app.query_one(ResourceTree)
    tree.focus()
    pending = pilot.app.query_one(PendingPane)

    def selected() -> bool:  # the tree numbers its lines when it renders: move again until it took
        if "posts" in str(pending.border_title):
            return True
        tree.move_cursor(tree._leaves["repo:posts"])
        return False

    await until(pilot, selected, "posts selected")


def key(key: str, shows: type[Screen[Any]] | str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Press `key` and wait until the screen of that type, or a widget matching that selector, shows."""

    async def press(pilot: Pilot[Any]) -> None:
        await pilot.press(key)
        app = pilot.app
        if isinstance(shows, str):
            await until(pilot, lambda: bool(app.screen.query(shows)), f"{shows} after {key}")
        else:
            await until(pilot, lambda: isinstance(app.screen, shows), f"{shows.__name__} after {key}")
        await pilot.pause(0.1)

    return press


def test_main_screen(snap_compare: SnapCompare, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    pending_changes(root)
    app = make_app(root, watch=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=scene(select_posts))


def test_80x24_with_the_sql_tab(snap_compare: SnapCompare, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    pending_changes(root)
    app = make_app(root, watch=False)
    assert snap_compare(
        app, terminal_size=(80, 24), run_before=scene(select_posts, key("3", "#upper.show-sql"))
    )


def test_a_broken_file(snap_compare: SnapCompare, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    edit(root / "resources" / "posts.toml", 'title = { type = "string"', 'title = { type = "strnig"')
    app = make_app(root, watch=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=scene())


def test_generate_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    pending_changes(root)
    app = make_app(root, watch=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=scene(key("g", GenerateScreen)))


def test_rename_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    rename_body(root)
    app = make_app(root, watch=False)
    assert snap_compare(
        app, terminal_size=(120, 40), run_before=scene(key("g", GenerateScreen), key("enter", ChoiceScreen))
    )


def test_drop_table_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    (root / "resources" / "comments.toml").unlink()
    app = make_app(root, watch=False)
    assert snap_compare(
        app,
        terminal_size=(120, 40),
        run_before=scene(key("g", GenerateScreen), key("enter", DropTableScreen)),
    )


def test_rollback_confirmation(snap_compare: SnapCompare, tmp_path: Path) -> None:
    """The dialog's layout; what it lists is read from a real database in test_app_database."""
    app = make_app(copy_example(tmp_path), watch=False)
    app.session.rollback_preview = lambda: [  # type: ignore[method-assign]
        "roll back tenant migration 20261125233512_migrate_resources1 in org_acme, org_globex",
        "roll back 20261125233511_migrate_resources1",
    ]
    assert snap_compare(app, terminal_size=(120, 40), run_before=scene(key("b", ConfirmScreen)))


def test_regen_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    git(root, "init", "-q")
    commit_all(root)
    pending_changes(root)
    app = make_app(root, watch=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=scene(key("R", RegenScreen)))


def test_help_screen(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app = make_app(copy_example(tmp_path), watch=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=scene(key("question_mark", HelpScreen)))


# v and D: their screens, shown with results as the engine returns them (the jobs themselves run
# against a real database in tests/tui/app/test_app_checks.py)

FIRST = "migration 20261125233511 (migrate_resources1)"
TITLE_TYPE = Difference("column", "posts", "title", "type", "varchar(100)", "text")


def show(
    screen: Callable[[SnapshiftApp], Screen[Any]], ready: str
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def push(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, SnapshiftApp)
        app.push_screen(screen(app))
        await until(pilot, lambda: bool(app.screen.query(ready)), ready)
        await pilot.pause(0.1)

    return push


def test_verify_result_screen(snap_compare: SnapCompare, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    migration = next((root / "priv" / "repo" / "migrations").glob("*.sql"))
    edit(migration, '  "title" text NOT NULL,\n  "slug"', '  "title" varchar(100) NOT NULL,\n  "slug"')
    problems = (
        VerifyProblem(FIRST, "up", TITLE_TYPE),
        VerifyProblem(FIRST, "up", Difference("index", "posts", "posts_search_index", "", None, "btree")),
    )
    results = [VerifyResult("repo", 2, problems)]

    def screen(app: SnapshiftApp) -> Screen[Any]:
        return VerifyScreen(verify_view(app.session.root, app.session.project.repos(), results))

    app = make_app(root, watch=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=scene(show(screen, "#verify-sql")))


def test_drift_screen(snap_compare: SnapCompare, tmp_path: Path) -> None:
    index = Difference("index", "documents", "documents_unique_title_index", "", None, "unique btree (title)")
    column = Difference("column", "documents", "notes", "", "text", None)
    groups = (
        DriftGroup(tuple(f"org_{n:03}" for n in range(1, 48)), (), ()),
        DriftGroup(
            ("org_acme", "org_globex"),
            (index,),
            ("CREATE UNIQUE INDEX documents_unique_title_index ON documents USING btree (title);",),
        ),
        DriftGroup(("org_initech",), (column,), ("ALTER TABLE documents DROP COLUMN notes;",)),
    )
    results = [DriftResult("repo", (), (), groups, True)]
    app = make_app(copy_example(tmp_path), watch=False)
    assert snap_compare(
        app,
        terminal_size=(120, 40),
        run_before=scene(show(lambda _app: DriftScreen(drift_view(results)), "#drift-sql")),
    )
