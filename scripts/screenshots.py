"""The pictures in screenshots/: the real app, driven by Pilot on a copy of the example project.

Each picture starts the app afresh on its own copy, sets the scene (edits, keys, dialogs), waits for
the app to show it, and saves an SVG; rsvg-convert makes the PNG. The clock is fixed so that file
names and log times stay the same from run to run.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input  # noqa: E402

from snapshift.engine.db.devdb import is_listening  # noqa: E402
from snapshift.tui.app import SnapshiftApp  # noqa: E402
from snapshift.tui.session import Session  # noqa: E402
from snapshift.tui.widgets.keys_footer import KeysFooter  # noqa: E402
from snapshift.tui.widgets.log import LogPane  # noqa: E402
from snapshift.tui.widgets.resource_tree import ResourceTree  # noqa: E402
from tests.support.appkit import FIXED_NOW, copy_example, edit, make_app, planned, rename_body, until  # noqa: E402
from tests.support.gitrepo import commit_all, git  # noqa: E402

OUT = ROOT / "screenshots"
BODY = 'body = { type = "text" }'
NOTES = (
    'table = "notes"\n\n[attributes]\nid = { type = "bigint", primary_key = true }\n'
    'text = { type = "text" }\n'
)
Scene = Callable[[Pilot[None], SnapshiftApp, Path], Awaitable[None]]


def frozen_clock() -> Callable[[], str]:
    ticks = iter(range(10_000))
    return lambda: f"12:01:{next(ticks) % 60:02d}"


def pending_changes(root: Path) -> None:
    posts = root / "resources" / "posts.toml"
    edit(posts, BODY, BODY + '\nsummary = { type = "text" }')
    edit(posts, 'slug = { type = "varchar", size = 80', 'slug = { type = "varchar", size = 120')
    edit(
        root / "resources" / "comments.toml",
        'author_id = { type = "bigint", references = { table = "authors", on_delete = "nilify", '
        'on_update = "update" } }\n',
        "",
    )
    (root / "resources" / "notes.toml").write_text(NOTES)


def migrate(root: Path) -> None:
    session = Session(root)
    session.migrate(lambda _event: None)


async def select(pilot: Pilot[None], app: SnapshiftApp, table: str) -> None:
    tree = app.query_one(ResourceTree)
    tree.focus()
    name = table.split(":", 1)[1]

    def selected() -> bool:  # the tree numbers its lines when it renders: move again until it took
        if name in str(app.query_one("#pending").border_title):
            return True
        tree.move_cursor(tree._leaves[table])
        return False

    await until(pilot, selected, f"{name} selected")
    await pilot.pause(0.2)


async def main_view(pilot: Pilot[None], app: SnapshiftApp, root: Path) -> None:
    await select(pilot, app, "repo:posts")


async def sql_view(pilot: Pilot[None], app: SnapshiftApp, root: Path) -> None:
    await select(pilot, app, "repo:posts")
    await pilot.press("3")
    await pilot.pause(0.2)


async def rename_dialog(pilot: Pilot[None], app: SnapshiftApp, root: Path) -> None:
    await pilot.press("g")
    await until(
        pilot, lambda: app.screen.id != "_default" and bool(app.screen.query("#name")), "generate dialog"
    )
    app.screen.query_one("#name", Input).value = "rename_body"
    await pilot.press("enter")
    await until(pilot, lambda: bool(app.screen.query("#choices")), "rename dialog")
    await pilot.pause(0.2)


async def drop_dialog(pilot: Pilot[None], app: SnapshiftApp, root: Path) -> None:
    await pilot.press("g")
    await until(pilot, lambda: bool(app.screen.query("#name")), "generate dialog")
    app.screen.query_one("#name", Input).value = "drop_comments"
    await pilot.press("enter")
    await until(pilot, lambda: bool(app.screen.query("#confirm")), "drop dialog")
    app.screen.query_one("#confirm", Input).value = "comm"
    await pilot.pause(0.2)


async def regen_dialog(pilot: Pilot[None], app: SnapshiftApp, root: Path) -> None:
    await pilot.press("R")
    await until(pilot, lambda: bool(app.screen.query("#migrate")), "regen dialog")
    await pilot.pause(0.2)


async def broken_file(pilot: Pilot[None], app: SnapshiftApp, root: Path) -> None:
    await select(pilot, app, "repo:posts")
    posts = root / "resources" / "posts.toml"
    posts.write_text(posts.read_text().replace('title = { type = "string"', 'title = { type = "strnig"'))
    await until(pilot, lambda: bool(app.problems), "the problem")
    await pilot.pause(0.2)


async def tenant_progress(pilot: Pilot[None], app: SnapshiftApp, root: Path) -> None:
    await pilot.press("t")
    await until(
        pilot, lambda: sum("done" in line for line in app.query_one(LogPane).lines_written) >= 12, "t"
    )
    app.save_screenshot(str(OUT / "tenants.svg"))  # mid-run, the progress bar part-way


async def help_screen(pilot: Pilot[None], app: SnapshiftApp, root: Path) -> None:
    await pilot.press("question_mark")
    await until(pilot, lambda: app.screen.id != "_default" and bool(app.screen.query(".help")), "help")
    await pilot.pause(0.2)


async def verify_report(pilot: Pilot[None], app: SnapshiftApp, root: Path) -> None:
    await pilot.press("v")
    await until(pilot, lambda: bool(app.screen.query("#verify-sql")), "the verify report", timeout=60)
    await pilot.pause(0.3)


async def drift_groups(pilot: Pilot[None], app: SnapshiftApp, root: Path) -> None:
    await pilot.press("D")
    await until(pilot, lambda: bool(app.screen.query("#drift-sql")), "the drift screen", timeout=60)
    await pilot.pause(0.3)


def broken_migration(root: Path) -> None:
    """A hand edit the resources do not declare: verify names it and highlights its line."""
    migration = next((root / "priv" / "repo" / "migrations").glob("*.sql"))
    edit(migration, '  "title" text NOT NULL,\n  "slug"', '  "title" varchar(100) NOT NULL,\n  "slug"')


def drifted_tenants(root: Path) -> None:
    """Twelve tenants migrated; then two lose an index and one gains a column by hand."""
    config = root / "snapshift.toml"
    names = ", ".join(f'"org_{i:03d}"' for i in range(12))
    config.write_text(re.sub(r"tenants = \[.*\]", f"tenants = [{names}]", config.read_text()))
    migrate(root)
    session = Session(root)
    session.migrate_tenants(lambda _event: None)
    url = session.project.database_targets()[0].url
    with psycopg.connect(url, autocommit=True) as conn:
        for tenant in ("org_003", "org_007"):
            conn.execute(f"DROP INDEX {tenant}.documents_unique_title_index")
        conn.execute("ALTER TABLE org_010.documents ADD COLUMN notes text")


def prepare_regen(root: Path) -> None:
    git(root, "init", "-q")
    commit_all(root, "the example")
    migrate(root)
    edit(root / "resources" / "posts.toml", BODY, BODY + '\nsummary = { type = "text" }')
    session = Session(root, now=FIXED_NOW)
    session.write(session.plan_generate(session_answers(), "summaries"))
    migrate(root)
    edit(root / "resources" / "posts.toml", "summary = ", "teaser = ")


def session_answers() -> object:
    from snapshift.engine.autogen.questions import Answers

    return Answers()


def many_tenants(root: Path) -> None:
    config = root / "snapshift.toml"
    names = ", ".join(f'"org_{i:03d}"' for i in range(120))
    config.write_text(re.sub(r"tenants = \[.*\]", f"tenants = [{names}]", config.read_text()))
    migrate(root)


def migrated_with_changes(root: Path) -> None:
    """The example migrated, then edited: pending changes over an applied history."""
    migrate(root)
    pending_changes(root)


PICTURES: list[tuple[str, tuple[int, int], Callable[[Path], None], Scene]] = [
    ("main", (120, 40), migrated_with_changes, main_view),
    ("sql", (80, 24), pending_changes, sql_view),
    ("wide", (200, 60), migrated_with_changes, main_view),
    (
        "rename",
        (120, 40),
        rename_body,
        rename_dialog,
    ),
    ("drop", (120, 40), lambda root: (root / "resources" / "comments.toml").unlink(), drop_dialog),
    ("regen", (120, 40), prepare_regen, regen_dialog),
    (
        "broken",
        (120, 40),
        lambda root: edit(root / "resources" / "posts.toml", BODY, BODY + '\nsummary = { type = "text" }'),
        broken_file,
    ),
    ("tenants", (120, 40), many_tenants, tenant_progress),
    ("help", (120, 40), lambda root: None, help_screen),
    ("verify", (120, 40), broken_migration, verify_report),
    ("drift", (120, 40), drifted_tenants, drift_groups),
]


async def picture(name: str, size: tuple[int, int], prepare: Callable[[Path], None], scene: Scene) -> None:
    with tempfile.TemporaryDirectory(prefix="snapshift-shot-") as temp:
        root = copy_example(Path(temp))
        prepare(root)
        LogPane.clock = frozen_clock()
        app = make_app(root)
        async with app.run_test(size=size) as pilot:
            await planned(pilot)
            await pilot.pause(0.3)
            await scene(pilot, app, root)
            if name != "tenants":
                footer = app.main.query_one(KeysFooter)
                await until(
                    pilot, lambda: bool(footer.children), "the footer, composed again after a focus change"
                )
                app.save_screenshot(str(OUT / f"{name}.svg"))
            await until(pilot, lambda: app.busy is None, "the job to end", timeout=60)


def png(svg: Path) -> None:
    """rsvg-convert drops no-break spaces with the fallback font: plain spaces, preserved, render alike."""
    text = svg.read_text().replace("&#160;", " ").replace("<svg ", '<svg xml:space="preserve" ', 1)
    fixed = svg.with_suffix(".fixed.svg")
    fixed.write_text(text)
    try:
        subprocess.run(["rsvg-convert", str(fixed), "-o", str(svg.with_suffix(".png"))], check=True)
    finally:
        fixed.unlink()


def scratch_database() -> tuple[str, Callable[[], None]]:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url, lambda: None
    if not is_listening("127.0.0.1", 5432, timeout=1.0):
        return "", lambda: None  # the embedded dev database, as `scripts/dev` uses
    name = f"snapshift_screenshots_{uuid.uuid4().hex[:8]}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql://postgres@127.0.0.1:5432/{name}", drop


def reset(url: str) -> None:
    """Each picture starts from an empty database."""
    if not url:
        return
    with psycopg.connect(url, autocommit=True) as conn:
        schemas = [
            row[0]
            for row in conn.execute(
                "SELECT nspname FROM pg_namespace"
                " WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema'"
            )
        ]
        for schema in schemas:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute("CREATE SCHEMA public")


def main() -> int:
    wanted = set(sys.argv[1:])
    OUT.mkdir(exist_ok=True)
    url, drop = scratch_database()
    if url:
        os.environ["DATABASE_URL"] = url
    try:
        for name, size, prepare, scene in PICTURES:
            if wanted and name not in wanted:
                continue
            reset(url)
            asyncio.run(picture(name, size, prepare, scene))
            png(OUT / f"{name}.svg")
            print(f"screenshots/{name}.svg and .png")
    finally:
        drop()
    shutil.rmtree(OUT / "__pycache__", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
