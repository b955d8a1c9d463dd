"""Benchmark the app's live view (issue 14, acceptance item 4): save -> updated SQL pane, and startup.

Usage: `.venv/bin/python bench/watch.py [--saves K] [--sizes 1000]`

- `startup`: a fresh interpreter (`python -c`, imports included) opens the app headless on a copy of
  examples/blog; the time from just before the parent starts the child until the child sees its first
  full view (the plan shown in the tree, pending pane and SQL pane). Aim: under 1 s.
- `save`: in the running app (Pilot, the file watcher on), a resource file is written and the clock
  runs until the SQL pane holds the changed SQL: watchfiles' debounce, the re-plan worker, and the
  widgets' update. Each save alternates between two versions of the file. On the example and on the
  synthetic project of bench/generate.py with N resources (already generated once, so the change is
  one column). Aims: medians under 100 ms (example) and 250 ms (N = 1000).

No database is needed: the app starts with an unreachable URL and still shows resources, plans and SQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
os.environ["DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/bench_unreachable"

from generate import build_project, child_env  # noqa: E402
from host import reference_loop  # noqa: E402

from snapshift.engine.autogen.questions import Answers  # noqa: E402
from snapshift.tui.session import Session  # noqa: E402
from snapshift.tui.widgets.sql_pane import SqlPane  # noqa: E402
from tests.support.appkit import copy_example, make_app, until  # noqa: E402

AIMS = {"startup": 1.0, "example": 0.100, "large": 0.250}
CHILD = """
import gc, sys, time
gc.disable()  # as the `snapshift` command runs every command (tui.cli.main.run)
sys.path.insert(0, {repo!r})
import asyncio
from pathlib import Path
from snapshift.tui.session import Session
session = Session(Path({root!r}))
session.start_first_plan()  # as `snapshift tui` does, before Textual is imported
from snapshift.tui.app import SnapshiftApp
gc.freeze()  # as `snapshift tui` does before the app runs (tui.cli.app_command.cmd_tui)
gc.enable()
async def main():
    app = SnapshiftApp(session, watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.plans_done >= 1 and app.plan.tables):
            await pilot.pause(0.005)
        print(time.time(), flush=True)
asyncio.run(main())
"""


def startup(root: Path, runs: int, work: Path) -> list[float]:
    """Fresh interpreters; bytecode cached under `work` as an installed package has it (one run first
    to fill that cache, not counted)."""
    env = child_env(work)
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    code = CHILD.format(repo=str(REPO), root=str(root))
    times = []
    for run in range(runs + 1):
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        if run:
            times.append(float(done.stdout.split()[-1]) - started)
    return times


async def saves(root: Path, resource: Path, old: str, new: str, count: int) -> list[float]:
    """Seconds from each write of `resource` until the SQL pane shows the change."""
    app = make_app(root, watch=True)
    original = resource.read_text()
    changed = original.replace(old, new, 1)
    assert changed != original, f"{old!r} not in {resource}"
    marker = "bench_col"
    times: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        sql = app.query_one(SqlPane)
        await until(pilot, lambda: app.plans_done >= 1, "the first plan", timeout=120)
        await pilot.pause(0.5)
        for index in range(count):
            text = changed if index % 2 == 0 else original
            expect_marker = index % 2 == 0
            started = time.perf_counter()
            resource.write_text(text)
            while (f'"{marker}"' in sql.text()) != expect_marker:
                await asyncio.sleep(0.001)
                if time.perf_counter() - started > 10:
                    raise AssertionError("the SQL pane never showed the save")
            times.append(time.perf_counter() - started)
            await pilot.pause(0.15)  # let the watcher settle before the next save
    return times


def large_project(work: Path, n: int) -> Path:
    root = build_project(work / f"n{n}", n)
    session = Session(root)
    session.write(session.plan_generate(Answers(), None))
    return root


def row(label: str, times: list[float], aim: float) -> str:
    median = statistics.median(times)
    verdict = "ok" if median < aim else "MISSED"
    return (
        f"{label:24} median {median * 1000:7.1f} ms  best {min(times) * 1000:7.1f} ms  "
        f"worst {max(times) * 1000:7.1f} ms  (n={len(times)}, aim < {aim * 1000:.0f} ms: {verdict})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--saves", type=int, default=20, help="saves per project (default 20)")
    parser.add_argument("--startups", type=int, default=5, help="fresh starts (default 5)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000], help="synthetic project sizes")
    args = parser.parse_args()
    print(f"host reference loop: {reference_loop():.3f} s (bench/host.py)")
    with tempfile.TemporaryDirectory(prefix="snapshift-bench-watch-") as temp:
        work = Path(temp)
        example = copy_example(work)
        print(row("startup (example)", startup(example, args.startups, work), AIMS["startup"]))
        posts = example / "resources" / "posts.toml"
        body = 'body = { type = "text" }'
        times = asyncio.run(
            saves(example, posts, body, 'body = { type = "text" }\nbench_col = { type = "text" }', args.saves)
        )
        print(row("save -> SQL (example)", times, AIMS["example"]))
        for n in args.sizes:
            root = large_project(work, n)
            resource = root / "resources" / f"t{n // 2:05d}.toml"
            name = 'name = { type = "string", allow_nil = false }'
            times = asyncio.run(
                saves(root, resource, name, name + '\nbench_col = { type = "text" }', args.saves)
            )
            print(row(f"save -> SQL (N = {n})", times, AIMS["large"] if n == 1000 else float("inf")))
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
