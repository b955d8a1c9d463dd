"""`snapshift watch` (the re-plan loop without the app), `snapshift tui`'s checks before the screen
opens, `--repo` choosing the repo shown first, and bare `snapshift` without a terminal."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from snapshift.tui.cli.main import main
from snapshift.tui.widgets.resource_tree import ResourceTree
from tests.support.appkit import copy_example, edit, make_app, planned, until
from tests.support.terminal import ROOT, run

BODY = 'body = { type = "text" }'
NO_DATABASE = {**os.environ, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"}


def watch_once(root: Path, capsys: pytest.CaptureFixture[str], *flags: str, code: int = 0) -> str:
    assert main(["-C", str(root), "watch", "--once", *flags]) == code  # problems in the files: 2
    return capsys.readouterr().out


def test_watch_json_reports_the_plan_and_the_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_example(tmp_path)
    clean = json.loads(watch_once(root, capsys, "--json"))
    assert clean["ok"] and not clean["changes"] and clean["tables"] == []

    edit(root / "resources" / "posts.toml", BODY, BODY + '\nsummary = { type = "text" }')
    document = json.loads(watch_once(root, capsys, "--json", "--sql"))
    (posts,) = document["tables"]
    assert posts["table"] == "posts" and posts["state"] == "changed"
    assert posts["operations"] == [{"op": "add column posts.summary", "symbol": "+", "destructive": False}]
    assert 'ADD COLUMN "summary" text;' in document["up"]
    assert 'DROP COLUMN "summary";' in document["down"]

    edit(root / "resources" / "posts.toml", 'type = "uuid"', 'type = "uuidd"')
    broken = json.loads(watch_once(root, capsys, "--json", code=2))
    assert not broken["ok"]
    (problem,) = broken["problems"]
    assert problem["file"] == "resources/posts.toml" and problem["line"] == 4


def test_watch_text_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_example(tmp_path)
    assert "no changes" in watch_once(root, capsys)
    (root / "resources" / "comments.toml").unlink()
    out = watch_once(root, capsys, "--sql")
    assert "removed   comments" in out and "? Table comments no longer has a resource" in out


def test_watch_prints_one_json_object_per_save(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "snapshift.tui.cli.main", "-C", str(root), "watch", "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=NO_DATABASE,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout or ():
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        assert json.loads(lines.get(timeout=60))["changes"] is False
        time.sleep(0.3)  # the watch threads are started; give them time to register with the kernel
        edit(root / "resources" / "posts.toml", BODY, BODY + '\nsummary = { type = "text" }')
        changed = json.loads(lines.get(timeout=30))
        assert changed["changes"] and changed["tables"][0]["table"] == "posts"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_tui_refuses_an_unknown_repo_before_opening(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    done = run("-C", str(root), "tui", "--repo", "nope", env=NO_DATABASE)
    assert done.returncode == 2 and "unknown repo 'nope'" in done.stderr


def test_bare_snapshift_without_a_terminal_prints_the_dry_run(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    edit(root / "resources" / "posts.toml", BODY, BODY + '\nsummary = { type = "text" }')
    done = run("-C", str(root), env=NO_DATABASE)
    assert done.returncode == 0 and 'ADD COLUMN "summary" text;' in done.stdout


TWO_REPOS = """resources = ["resources/*.toml"]

[repos.main]
url = "env:DATABASE_URL"

[repos.audit]
url = "env:DATABASE_URL"
"""


async def test_repo_option_picks_the_repo_shown_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", NO_DATABASE["DATABASE_URL"])
    (tmp_path / "snapshift.toml").write_text(TWO_REPOS)
    (tmp_path / "resources").mkdir()
    for repo, table in (("main", "accounts"), ("audit", "events")):
        (tmp_path / "resources" / f"{table}.toml").write_text(
            f'table = "{table}"\nrepo = "{repo}"\n\n[attributes]\nid = {{ type = "bigint", primary_key = true }}\n'
        )
    app = make_app(tmp_path, watch=False, repo="audit")
    async with app.run_test(size=(120, 40)) as pilot:
        await planned(pilot)
        tree = app.query_one(ResourceTree)
        assert [str(node.label) for node in tree.root.children] == ["audit", "main"]
        await until(pilot, lambda: tree.selected == "audit:", "the audit repo selected")
