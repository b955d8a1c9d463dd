"""Helpers for the app's Pilot and snapshot tests: a copy of the example project, a fixed clock, and a
wait that polls the running app instead of sleeping a fixed time."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from snapshift.tui.app import SnapshiftApp
from snapshift.tui.session import Session
from snapshift.tui.widgets.log import LogPane
from snapshift.tui.widgets.resource_tree import ResourceTree
from snapshift.tui.widgets.sql_pane import SqlPane
from tests.support.paths import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "blog"
FIXED_NOW = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)


def copy_example(tmp_path: Path) -> Path:
    """The example project under tmp_path/blog, without its dev database."""
    root = tmp_path / "blog"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".snapshift"))
    return root


def make_app(root: Path, *, watch: bool = True, repo: str | None = None) -> SnapshiftApp:
    return SnapshiftApp(Session(root, repo, now=FIXED_NOW), watch=watch)


async def until(
    pilot: Pilot[None], condition: Callable[[], object], what: str, timeout: float = 15.0
) -> None:
    """Let the app run until `condition()` holds; fail naming `what` after `timeout` seconds."""
    waited = 0.0
    while not condition():
        if waited >= timeout:
            app = pilot.app
            log = app.query_one(LogPane).lines_written if app.is_running else []
            raise AssertionError(f"timed out waiting for {what}; log: {log}")
        await pilot.pause(0.02)
        waited += 0.02


def sql_text(app: SnapshiftApp, side: str = "up") -> str:
    return app.query_one(SqlPane).text(side)


def log_text(app: SnapshiftApp) -> str:
    return "\n".join(app.query_one(LogPane).lines_written)


def tree_labels(app: SnapshiftApp) -> dict[str, str]:
    """Table id -> its label as plain text."""
    tree = app.query_one(ResourceTree)
    return {key: str(node.label) for key, node in tree._leaves.items()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def rename_body(root: Path) -> None:
    """posts.body becomes posts.content, its index expression too: generate asks whether it is a rename."""
    posts = root / "resources" / "posts.toml"
    edit(posts, 'body = { type = "text" }', 'content = { type = "text" }')
    edit(posts, "lower(body)", "lower(content)")


async def planned(pilot: Pilot[None]) -> None:
    """Until the first plan is shown and the database was looked at."""
    app = pilot.app
    assert isinstance(app, SnapshiftApp)
    await until(pilot, lambda: app.plan_applied >= 1, "the first plan")
    await until(pilot, lambda: app.migrations.rows or app.migrations.error, "the migrations listing")
