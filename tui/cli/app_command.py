"""`snapshift tui` (also bare `snapshift`) and `snapshift watch`: the app, and its re-plan loop without it.

`watch` prints a summary of the plan on every save (`--sql` adds the SQL), or with `--json` one JSON
object per re-plan, one per line, for editors and scripts. It stops on Ctrl-C.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from snapshift.tui.cli.parser import Subcommands
    from snapshift.tui.views import PlanProblems, PlanView


def add_app_commands(sub: Subcommands) -> None:
    p = sub.add_parser("tui", help="open the app (also what `snapshift` alone does on a terminal)")
    p.set_defaults(func=cmd_tui)
    p = sub.add_parser("watch", help="re-plan on every save and print the plan (no app)")
    p.add_argument("--sql", action="store_true", help="print the SQL generate would write, too")
    p.add_argument("--json", action="store_true", help="one JSON object per re-plan, one per line")
    p.add_argument(
        "--once",
        action="store_true",
        help="print the first plan and exit instead of watching (exit 2 when the files have problems)",
    )
    p.set_defaults(func=cmd_watch)


def cmd_tui(args: argparse.Namespace) -> int:
    from snapshift.tui.session import Session  # the generator and the app: not for the other commands

    session = Session(args.directory, args.repo)
    if args.repo is not None:
        session.project.repos(args.repo)  # an unknown repo is exit 2 before the screen opens
    session.start_first_plan()  # while Textual is imported and the app mounts
    from snapshift.tui.app import SnapshiftApp

    # The CLI turns the collector off for its short runs; the app is long-lived and needs it. What is
    # loaded by now (modules, classes, the first plan's inputs) lives as long as the app: frozen, no
    # collection walks it again (the first full one would, while the app mounts).
    gc.freeze()
    gc.enable()
    SnapshiftApp(session).run()
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from snapshift.tui.session import Session  # the generator and the app: not for the other commands
    from snapshift.tui.watcher import Watcher

    session = Session(args.directory, args.repo)
    show = _printer(session.root, args.sql, args.json)
    if args.once:  # for scripts: problems in the files are exit 2, as for generate
        from snapshift.tui.views import PlanProblems

        view = session.replan()
        show(view)
        return 2 if isinstance(view, PlanProblems) else 0
    import queue  # with the views below: only for the app's commands, not every command's start

    bursts: queue.Queue[frozenset[Path]] = queue.Queue()
    watcher = Watcher(session.root, session.watched_folders(), bursts.put)
    watcher.start()  # before the first plan: a save while it runs is seen
    show(session.replan())
    try:
        while True:
            bursts.get()
            while not bursts.empty():  # bursts that came while planning: one re-plan covers them
                bursts.get_nowait()
            show(session.replan())
    except KeyboardInterrupt:
        return 0
    finally:
        watcher.stop()


def _printer(root: Path, sql: bool, as_json: bool) -> Any:
    def show(view: PlanView | PlanProblems) -> None:
        if as_json:
            print(json.dumps(plan_json(root, view, sql), sort_keys=True), flush=True)
        else:
            print(plan_text(root, view, sql), flush=True)

    return show


def plan_json(root: Path, view: PlanView | PlanProblems, sql: bool) -> dict[str, Any]:
    """One re-plan as a JSON document (`ok` false: problems instead of a plan)."""
    from snapshift.tui.views import PlanProblems

    if isinstance(view, PlanProblems):
        problems = [
            {"file": str(p.path.relative_to(root)) if p.path else None, "line": p.line, "message": p.message}
            for p in view.problems
        ]
        return {"ok": False, "elapsed_ms": round(view.elapsed * 1000, 1), "problems": problems}
    document: dict[str, Any] = {
        "ok": True,
        "elapsed_ms": round(view.elapsed * 1000, 1),
        "changes": view.has_changes,
        "files": list(view.files),
        "questions": [q.text() for q in view.questions],
        "tables": [
            {
                "repo": t.repo,
                "table": t.name,
                "state": t.state,
                "operations": [
                    {"op": op.text, "symbol": op.symbol, "destructive": op.destructive} for op in t.operations
                ],
            }
            for t in view.tables
            if t.state not in ("unchanged", "kept")
        ],
    }
    if sql:
        document["up"], document["down"] = view.up.text, view.down.text
    return document


def plan_text(root: Path, view: PlanView | PlanProblems, sql: bool) -> str:
    stamp = time.strftime("%H:%M:%S")
    from snapshift.tui.views import PlanProblems

    if isinstance(view, PlanProblems):
        lines = [f"{stamp} {len(view.problems)} problem(s); the plan waits until they are fixed:"]
        lines += [f"  {p.where(root)}: {p.message}" for p in view.problems]
        return "\n".join(lines)
    changed = [t for t in view.tables if t.state not in ("unchanged", "kept")]
    if not view.has_changes:
        return f"{stamp} no changes ({view.elapsed * 1000:.0f} ms)"
    lines = [
        f"{stamp} {len(changed)} table(s) changed, {view.operation_count} operation(s), "
        f"{len(view.files)} file(s) to write ({view.elapsed * 1000:.0f} ms)"
    ]
    for table in changed:
        lines.append(f"  {table.state:9} {table.name}")
        lines += [
            f"    {op.symbol} {op.text}{'  (destroys data)' if op.destructive else ''}"
            for op in table.operations
        ]
        lines += [f"    ? {question}" for question in table.questions]
    if sql:
        lines += ["", view.up.text, view.down.text]
    return "\n".join(lines)


def wants_app() -> bool:
    """Bare `snapshift` opens the app on a terminal; piped, it prints what generate would write."""
    return sys.stdin.isatty() and sys.stdout.isatty()
