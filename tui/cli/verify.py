"""`snapshift verify`, `snapshift drift` and `generate --verify` (SPEC 7): call the engine, print its
findings, exit 1 when something differs or drift could not compare (migrations pending). The engine
returns data; the sentences come from its `text()` and tui.check_views, so the app shows the same ones."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from snapshift.engine.project import Project

if TYPE_CHECKING:
    from snapshift.engine.autogen.generate import Generation
    from snapshift.engine.checks.drift import DriftResult
    from snapshift.engine.checks.verify import VerifyEvent, VerifyResult
    from snapshift.tui.cli.parser import Subcommands


def _print(text: str, stream: object = None) -> None:
    print(text, file=sys.stderr if stream == "err" else sys.stdout, flush=True)


def _progress(event: VerifyEvent) -> None:
    _print(f"   {event.message}")


def print_verify(results: Sequence[VerifyResult]) -> int:
    """One block per repo; exit 1 when any repo has a problem."""
    for result in results:
        if result.ok:
            _print(f"== {result.repo}: {result.migrations} migration(s) verified: up, down and up again")
        else:
            _print(f"== {result.repo}: verification failed", "err")
            for problem in result.problems:
                _print(f"error: {problem.text()}", "err")
        for note in result.notes:
            _print(f"note: {note}")
    return 0 if all(result.ok for result in results) else 1


def cmd_verify(args: argparse.Namespace) -> int:
    project = Project.open(args.directory)
    results = project.verify(args.repo, progress=None if args.json else _progress)
    if args.json:
        _print(json.dumps([result.to_json() for result in results], indent=2, sort_keys=True))
        return 0 if all(result.ok for result in results) else 1
    return print_verify(results)


def verify_before_writing(project: Project, generation: Generation) -> int | None:
    """`generate --verify`: None when the new migrations verify, else the exit code (1): nothing is
    written then."""
    results = project.verify_generation(generation, progress=_progress)
    if all(result.ok for result in results):
        _print("Verified the new migration(s) on a scratch database: up, down and up again.")
        return None
    print_verify(results)
    _print("Nothing was written: the new migration(s) failed verification.", "err")
    return 1


def cmd_drift(args: argparse.Namespace) -> int:
    project = Project.open(args.directory)
    results = project.drift(args.repo, tenants=args.tenants)
    if args.json:
        _print(json.dumps([result.to_json() for result in results], indent=2, sort_keys=True))
    elif args.sql:
        _print(_drift_sql(results))
    else:
        for result in results:
            _print_drift(result)
    return 0 if all(result.ok for result in results) else 1


def _drift_sql(results: Sequence[DriftResult]) -> str:
    """The repair statements of what drifted; the parts not compared (pending) say why they have none."""
    from snapshift.tui.check_views import pending_sql  # the drift command's only: not every command's start

    blocks = [pending_sql(result) for result in results if not result.comparable]
    blocks += [result.sql() for result in results if result.drifted]
    return "\n\n".join(blocks) or "-- nothing drifted"


def _print_drift(result: DriftResult) -> None:
    from snapshift.tui.check_views import public_line, tenants_line

    _print(f"== {result.repo}: {public_line(result)}")
    if result.tenants_checked:
        _print(f"== {result.repo} tenants: {tenants_line(result)}")


def add_verify_commands(sub: Subcommands) -> None:
    """`verify [--json]` and `drift [--tenants] [--json] [--sql]`."""
    p = sub.add_parser(
        "verify", help="check every migration on a scratch database: up, against the snapshots, down, up"
    )
    p.add_argument("--json", action="store_true", help="print a JSON document")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("drift", help="compare the live database (and tenant schemas) with the snapshots")
    p.add_argument("--tenants", action="store_true", help="compare every tenant schema too, grouped")
    p.add_argument("--json", action="store_true", help="print a JSON document")
    p.add_argument("--sql", action="store_true", help="print the statements that repair the drift (not run)")
    p.set_defaults(func=cmd_drift)


def add_generate_verify(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--verify",
        action="store_true",
        help="verify the new migrations on a scratch database before writing them",
    )
