"""Database commands of the CLI (SPEC 7): migrate, rollback, create, drop, status, devdb.

Each command turns flags into one engine.project call per repo and prints what happened: progress on
stdout as migrations run, errors on stderr, and exit codes per SPEC 7 (0 ok, 1 the work failed, 2 bad
input). URLs are printed redacted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from snapshift.engine.base.errors import InputError, UsageError
from snapshift.engine.base.lazy import lazy_module
from snapshift.engine.base.relpath import shown_path
from snapshift.engine.db.run_options import RepoEvent, RepoProgress, RepoRuns, Steps, TenantFilter
from snapshift.engine.project import Project
from snapshift.tui.cli import prompts
from snapshift.tui.cli.reporting import (
    ProgressPrinter,
    interactive,
    note_development_database,
    open_for_database,
    tenant_list,
)
from snapshift.tui.cli.reporting import print_flushed as _print
from snapshift.tui.wording import tenants_waiting

if TYPE_CHECKING:
    from snapshift.engine.db import database
    from snapshift.engine.db.dbactions import DatabaseChange, RunResult, TenantsResult
    from snapshift.engine.db.status import GroupStatus, ProjectStatus, RepoStatus
    from snapshift.engine.workflows.target_version import Direction
    from snapshift.tui.cli.parser import Subcommands
else:
    database = lazy_module("snapshift.engine.db.database")  # psycopg: not for `generate`
SHOWN_TENANTS = 10
R = TypeVar("R")


def add_repo_option(sub: Subcommands) -> None:
    """`--repo R` after any command (`snapshift migrate --repo R`), as well as before it.

    SUPPRESS keeps a subcommand from overwriting a --repo given before the command name.
    """
    for parser in dict.fromkeys(sub.choices.values()):
        if not any("--repo" in action.option_strings for action in parser._actions):
            parser.add_argument(
                "--repo", default=argparse.SUPPRESS, metavar="R", help="limit the command to one repo"
            )


def _version(value: str) -> int:
    """A version, or a migration's label or file name, whose leading digits are the version."""
    digits = value.strip().split("_", 1)[0]
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"expected a migration version (digits), got {value!r}")
    return int(digits)


def _header(project: Project, repo: str) -> None:
    _print(f"== repo {repo}: {database.redact(project.database_url(repo))}")


def check_arguments(project: Project, args: argparse.Namespace, direction: Direction) -> None:
    """Every argument checked before anything connects or starts: numbers, tenant flags, then `--to`."""
    if args.steps is not None and args.steps < 0:
        raise UsageError(f"-n must not be negative, got {args.steps}")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    if not args.tenants:
        _require_tenants_flag(args)
    tenant_list(args.only_tenants, "--only-tenants")
    tenant_list(args.except_tenants, "--except-tenants")
    from snapshift.engine.workflows.target_version import check_target

    check_target(project, args.repo, args.to, direction, args.tenants)


def cmd_migrate(args: argparse.Namespace) -> int:
    project = open_for_database(args.directory, args.repo)
    check_arguments(project, args, "up")
    if args.tenants:
        return _tenants(project, args, "up")
    runs = project.migrate(
        args.repo,
        Steps.of(args.steps, args.to),
        progress=ProgressPrinter(),
        lock_timeout=args.lock_timeout,
        keep_going=args.keep_going,
        on_repo=_reporter(
            project, args.repo, lambda result: _summary(result, "already up to date", "migrated")
        ),
    )
    return _stopped(project, args.repo, runs)


def _reporter(project: Project, repo: str | None, summary: Callable[[R], None]) -> RepoProgress[R]:
    """What the CLI prints as each repo's run starts (its database), ends (`summary`) or fails (the
    error, when several repos run: a lone repo's error is the command's)."""
    several = len(project.repos(repo)) > 1

    def report(event: RepoEvent[R]) -> None:
        if event.kind == "start":
            _print(f"== repo {event.repo}: {event.shown_url}")
        elif event.kind == "done" and event.result is not None:
            summary(event.result)
        elif event.kind == "failed" and several:
            _print(f"error: repo {event.repo}: {event.error}", sys.stderr)

    return report


def _stopped(project: Project, repo: str | None, runs: RepoRuns[Any]) -> int:
    """The exit code of a run over the repos: the first failure's (a lone repo's error is raised). The
    repos a failure left not run are named; --keep-going would have run them."""
    if not runs.failed:
        return 0
    first = runs.failed[0]
    assert first.error is not None
    if len(project.repos(repo)) == 1:
        raise first.error
    after = [run.repo for run in runs.runs[runs.runs.index(first) + 1 :] if run.repo in runs.not_run]
    if after:
        for name in after:
            _print(f"== repo {name}: not run (repo {first.repo} failed; --keep-going runs it anyway)")
        _print(f"error: repo {first.repo} failed; not run: {', '.join(after)}", sys.stderr)
    return first.error.exit_code


def cmd_rollback(args: argparse.Namespace) -> int:
    from snapshift.tui.cli.regen import cmd_rollback_untracked, rollback_untracked_requested

    if rollback_untracked_requested(args):
        return cmd_rollback_untracked(args)
    project = open_for_database(args.directory, args.repo)
    check_arguments(project, args, "down")
    if args.tenants:
        return _tenants(project, args, "down")
    runs = project.rollback(
        args.repo,
        Steps.of(args.steps, args.to, args.all, forget=args.forget),
        progress=ProgressPrinter(),
        lock_timeout=args.lock_timeout,
        keep_going=args.keep_going,
        on_repo=_reporter(
            project, args.repo, lambda result: _summary(result, "nothing to roll back", "rolled back")
        ),
    )
    return _stopped(project, args.repo, runs)


def _summary(result: RunResult, nothing: str, done: str) -> None:
    count = len(result.versions)
    runs = sum(len(versions) for versions in result.tenants.values())
    first = f" and {runs} tenant migration run(s) in {len(result.tenants)} tenant(s)" if runs else ""
    line = f"{done} {count} migration(s){first}" if count else nothing
    _print(f"== {result.repo}: {line}")


def _require_tenants_flag(args: argparse.Namespace) -> None:
    given = [
        flag
        for flag, value in (
            ("--only-tenants", args.only_tenants),
            ("--except-tenants", args.except_tenants),
            ("--jobs", args.jobs),
            ("--fail-fast", args.fail_fast or None),
        )
        if value is not None
    ]
    if given:
        verb = "apply" if len(given) > 1 else "applies"
        raise UsageError(f"{', '.join(given)} only {verb} with --tenants")


def _tenants(project: Project, args: argparse.Namespace, direction: str) -> int:
    which = TenantFilter.of(
        tenant_list(args.only_tenants, "--only-tenants"), tenant_list(args.except_tenants, "--except-tenants")
    )
    verb = "migrated" if direction == "up" else "rolled back"
    run = project.migrate_tenants if direction == "up" else project.rollback_tenants
    runs = run(
        args.repo,
        Steps.of(args.steps, args.to, args.all, forget=args.forget),
        which,
        jobs=args.jobs,
        fail_fast=args.fail_fast,
        progress=ProgressPrinter(),
        lock_timeout=args.lock_timeout,
        keep_going=args.keep_going,
        on_repo=_reporter(project, args.repo, lambda result: _tenant_summary(result, verb)),
    )
    if not runs.failed:  # what --fail-fast left out
        for name in runs.not_run:
            _print(f"== repo {name}: not run (--fail-fast)")
    stopped = _stopped(project, args.repo, runs)
    return max(stopped, _tenant_failures(list(runs.values())))


def _tenant_summary(result: TenantsResult, verb: str) -> None:
    report = result.report
    if not result.tenants:
        _print(f"== {result.repo}: no tenants: {result.none_because or 'none configured'}")
        return
    done = "waiting" if result.held_back else "up to date"  # not up to date while migrations wait
    parts = [f"{len(report.changed)} tenant(s) {verb}", f"{len(report.skipped)} {done}"]
    parts.append(f"{len(report.failures)} failed")
    if report.not_run:
        parts.append(f"{len(report.not_run)} not run")
    _print(f"== {result.repo}: {', '.join(parts)}")
    waiting = tenants_waiting(result, named=True)
    if waiting:
        _print(
            f"== {result.repo}: {waiting}, which is pending: run `migrate`, then `migrate --tenants` again"
        )


def _tenant_failures(results: Sequence[TenantsResult]) -> int:
    failures = [failure for result in results for failure in result.report.failures]
    for failure in failures:
        _print(f"error: {failure.error}", sys.stderr)
    if failures:
        _print(f"error: {len(failures)} tenant(s) failed", sys.stderr)
    return 0 if all(result.ok for result in results) else 1


def cmd_create(args: argparse.Namespace) -> int:
    project = Project.open(args.directory)
    note_development_database(project, args.repo)

    def created(change: DatabaseChange) -> None:
        state = "created" if change.changed else "already exists"
        _print(f"The database {change.database} of repo {change.repo} {state} ({change.url})")

    project.create(args.repo, on_repo=_reporter(project, args.repo, created)).check()
    return 0


def cmd_drop(args: argparse.Namespace) -> int:
    if not args.force and not interactive():
        raise UsageError(
            "drop asks before dropping a database and there is no terminal to ask on: pass --force"
        )
    project = Project.open(args.directory)
    note_development_database(project, args.repo)
    for target in project.database_targets(args.repo):
        if not args.force:
            _print(f"repo {target.repo}: {target.shown}")
            try:
                confirmed = prompts.yes_no(input, f"Drop database {target.database}?", False)
            except EOFError:
                confirmed = False
            if not confirmed:
                _print(f"The database {target.database} of repo {target.repo} was kept")
                continue
        for change in project.drop(target.repo).check().values():
            state = "dropped" if change.changed else "did not exist"
            _print(f"The database {change.database} of repo {change.repo} {state} ({change.url})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    try:
        project = Project.open(args.directory)
    except InputError as exc:  # no project to report on: --json still prints its one valid document
        if args.json:
            from snapshift.engine.db.status import unreadable_config_json

            _print(json.dumps(unreadable_config_json(args.directory, str(exc)), indent=2, sort_keys=True))
        raise
    note_development_database(project, args.repo)
    status = project.status(args.repo)
    if args.json:
        _print(json.dumps(status.to_json(), indent=2, sort_keys=True))
    else:
        _print_status(status)
    for repo in status.failed:  # each repo is reported on its own; these could not be read
        _print(f"error: repo {repo.repo}: {repo.error}", sys.stderr)
    return 2 if status.resource_error else 1 if status.failed else 0


def _print_status(status: ProjectStatus) -> None:
    for repo in status.repos:
        if repo.error is not None:
            _print(f"repo {repo.repo}: {repo.url} (its database could not be read: see the error below)")
            continue
        _print(
            f"repo {repo.repo}: {repo.url}" + ("" if repo.database_exists else " (database does not exist)")
        )
        _print_group(status, repo.migrations)
        _print_tenants(status, repo)
        if repo.resources_changed is None:
            _print("  resources: unknown (see the error below)")
        else:
            changed = "changes pending (run `snapshift generate`)" if repo.resources_changed else "up to date"
            _print(f"  resources: {changed}")
    if status.resource_error:
        _print(f"error: {status.resource_error}", sys.stderr)


def _labels(group: GroupStatus, versions: Sequence[int]) -> str:
    names = {migration.version: migration.label for migration in group.files}
    return ", ".join(names.get(version, str(version)) for version in versions)


def _untracked_line(status: ProjectStatus, group: GroupStatus) -> str:
    if group.untracked is None:
        return f"    untracked: unknown ({status.untracked_unknown})"
    return f"    untracked: {_labels(group, group.untracked) or 'none'}"


def _print_group(status: ProjectStatus, group: GroupStatus) -> None:
    versions = group.database
    assert versions is not None
    _print(
        f"  migrations ({shown_path(status.root, group.folder)}): {len(group.files)} file(s), "
        f"{len(versions.applied)} applied, {len(versions.pending)} pending"
    )
    for title, listed in (
        ("pending", versions.pending),
        ("out of order", versions.out_of_order),
        ("missing files", versions.missing_files),
    ):
        if listed:
            _print(f"    {title}: {_labels(group, listed)}")
    _print(_untracked_line(status, group))


def _print_tenants(status: ProjectStatus, repo: RepoStatus) -> None:
    group = repo.tenant_migrations
    tenants = group.tenants
    behind = [tenant for tenant in tenants if not tenant.versions.up_to_date]
    _print(
        f"  tenant migrations ({shown_path(status.root, group.folder)}): {len(group.files)} file(s), "
        f"{len(tenants)} tenant(s), {len(tenants) - len(behind)} up to date, {len(behind)} behind"
    )
    if group.tenants_error:
        _print(f"    tenant list not read yet ({group.tenants_error}); run `snapshift migrate` first")
    for tenant in behind[:SHOWN_TENANTS]:
        _print(f"    {tenant.tenant}: pending {_labels(group, tenant.versions.pending)}")
    if len(behind) > SHOWN_TENANTS:
        _print(f"    ... and {len(behind) - SHOWN_TENANTS} more (see --json)")
    for tenant in tenants:
        odd = [
            f"{what} {_labels(group, versions)}"
            for what, versions in (
                ("out of order", tenant.versions.out_of_order),
                ("missing files", tenant.versions.missing_files),
            )
            if versions
        ]
        if odd:
            _print(f"    {tenant.tenant}: {'; '.join(odd)}")
    _print(_untracked_line(status, group))


def cmd_devdb(args: argparse.Namespace) -> int:
    project = Project.open(args.directory)
    if args.action == "start":
        _print(database.redact(project.devdb_start()))
    elif args.action == "stop":
        _print("stopped the dev database" if project.devdb_stop() else "the dev database was not running")
    elif args.action == "url":
        url = project.devdb_url()
        if url is None:
            _print("error: the dev database is not running (`snapshift devdb start`)", sys.stderr)
            return 1
        _print(database.redact(url))
    else:
        state = project.devdb_status()
        _print(f"running: {'yes' if state.running else 'no'}")
        if state.url:
            _print(f"url: {database.redact(state.url)}")
        if state.pid:
            _print(f"pid: {state.pid}")
        _print(f"data: {state.data_dir}")
        _print(f"binaries: {state.binaries}")
    return 0


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 10**9:  # also refuses inf and nan
        raise argparse.ArgumentTypeError(f"expected a number of seconds, 0 or more, got {value!r}")
    return seconds


def _tenant_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="when a repo fails, run the other repos all the same (default: stop, naming them)",
    )
    parser.add_argument(
        "--lock-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="how long a migration waits for a lock (default: the repo's lock_timeout, 5; 0: forever)",
    )
    parser.add_argument("--tenants", action="store_true", help="run the tenant migrations in every tenant")
    parser.add_argument("--only-tenants", metavar="A,B", help="with --tenants: only these tenants")
    parser.add_argument("--except-tenants", metavar="A,B", help="with --tenants: all tenants but these")
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="with --tenants: how many tenants at once (default 4)"
    )
    parser.add_argument(
        "--fail-fast", action="store_true", help="with --tenants: stop at the first failing tenant"
    )


def add_database_commands(sub: Subcommands) -> None:
    """migrate, rollback, create, drop, status and devdb."""
    from snapshift.tui.cli.regen import add_regen_commands, add_rollback_untracked_arguments

    p = sub.add_parser("migrate", help="apply pending migrations in version order")
    p.add_argument(
        "-n", "--step", dest="steps", type=int, metavar="N", help="apply at most N pending migrations"
    )
    p.add_argument(
        "--to",
        type=_version,
        metavar="VERSION",
        help="apply pending migrations up to and including VERSION, which must name a migration file",
    )
    _tenant_options(p)
    p.set_defaults(func=cmd_migrate, all=False, forget=[])

    p = sub.add_parser(
        "rollback",
        help="undo applied migrations, newest first (newer tenant migrations first, in every tenant)",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "-n",
        "--step",
        dest="steps",
        type=int,
        metavar="N",  # no default here: argparse would let `-n 1 --to V` pass as if -n were not given
        help="undo the newest N applied migrations (default 1)",
    )
    which.add_argument(
        "--to",
        type=_version,
        metavar="VERSION",
        help="undo every applied migration newer than VERSION and VERSION itself (inclusive); it must name "
        "a migration file or an applied version",
    )
    which.add_argument("--all", action="store_true", help="undo every applied migration")
    add_rollback_untracked_arguments(which, p)
    p.add_argument(
        "--forget",
        action="append",
        default=[],
        type=_version,
        metavar="VERSION",
        help="delete the schema_migrations row of an applied version whose file is gone",
    )
    _tenant_options(p)
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("create", help="create the repo's database")
    p.set_defaults(func=cmd_create)

    p = sub.add_parser("drop", help="drop the repo's database (asks first)")
    p.add_argument("-f", "--force", action="store_true", help="drop without asking")
    p.set_defaults(func=cmd_drop)

    p = sub.add_parser("status", help="applied, pending and untracked migrations; pending resource changes")
    p.add_argument("--json", action="store_true", help="print a JSON document")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("devdb", help="the embedded development database")
    p.add_argument(
        "action",
        choices=["start", "stop", "status", "url"],
        help="start the cluster under .snapshift/ (or reuse it), stop it (its data stays), show its state, "
        "print its URL",
    )
    p.set_defaults(func=cmd_devdb)

    add_regen_commands(sub)
