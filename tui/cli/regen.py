"""`snapshift regen` and `snapshift rollback --untracked` (SPEC 7): show the plan, confirm, run, report.

Both roll back migrations (regen deletes files too), so they show what they will do first and ask
"Proceed?" on a terminal; a script says `--yes`, and without a terminal and without `--yes` they stop
(exit 2) rather than guess. `--dry-run` shows the same plan and changes nothing.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.errors import UsageError
from snapshift.engine.base.lazy import lazy_module
from snapshift.engine.base.relpath import shown_path
from snapshift.engine.db.run_options import TenantFilter
from snapshift.engine.project import Project
from snapshift.tui.cli import prompts
from snapshift.tui.cli.answers import add_answer_arguments, answers_from_args
from snapshift.tui.cli.reporting import (
    ProgressPrinter,
    finish_interrupted_generate,
    interactive,
    journal_waits,
    note_development_database,
    open_for_database,
    print_created,
    tenant_list,
)
from snapshift.tui.cli.reporting import print_flushed as _print

if TYPE_CHECKING:
    from snapshift.engine.db.runs import ProgressEvent
    from snapshift.engine.workflows import regen
    from snapshift.engine.workflows.regen import RegenEvent, RegenPlan, RegenResult
    from snapshift.engine.workflows.untracked import RolledBack, Scope
    from snapshift.tui.cli.parser import Subcommands
else:
    regen = lazy_module("snapshift.engine.workflows.regen")  # imported to build every parser
MAX_QUESTIONS = 100


def _resolve_questions(project: Project, args: argparse.Namespace, answers: Answers) -> Answers:
    """Rename and drop questions, as generate asks them: on a terminal, or renames taken with
    --accept-renames (never with --yes, which only confirms the plan). Without a terminal, rename
    questions still need their answers: `--rename`, `--rename-table` or `--no-renames`."""
    for _ in range(MAX_QUESTIONS):
        questions = project.plan_regen(args.positional_name, args.repo, answers).generation.questions
        if not questions:
            break
        if args.accept_renames:
            answers, questions = prompts.accept_renames(questions, answers)
        if not questions or not interactive():
            break
        answers = prompts.answer(input, questions[0], answers)
    return answers


HAND_WRITTEN = "  (not written by generate: its SQL is lost; commit it first to keep it)"


def print_plan(project: Project, plan: RegenPlan, migrate: bool) -> None:
    """Which versions roll back, which files go, what will be generated, and whether it migrates."""
    for repo in plan.repos:
        _print(f"== repo {repo.repo}")
        steps = repo.rollback.describe()
        _print("  roll back:" + ("" if steps else " nothing (no applied migration is untracked)"))
        for step in steps:
            _print(f"    {step.removeprefix('roll back ')}")
        files = repo.files.all
        _print(f"  delete {len(files)} untracked file(s)" + (":" if files else ""))
        for path in files:
            _print(f"    {shown_path(project.root, path)}{HAND_WRITTEN if path in plan.hand_written else ''}")
    if plan.restored:
        count = len(plan.restored)
        _print(f"== restore {count} tracked file(s) from git's index (the untracked generates changed them):")
        for path in plan.restored:
            _print(f"    {shown_path(project.root, path)}")
    if plan.name:
        _print(f"== name: {plan.name}")
    generation = plan.generation
    if generation.questions:  # what it would write depends on the answers: show the questions instead
        _print("== generate: first answer (on a terminal, or with these flags):")
        for question in generation.questions:
            _print(f"    {question.text()}  [{question.flag_hint()}]")
    elif not generation.has_changes:
        _print("== generate: no changes, so no migration will be written")
    else:
        _print(f"== generate {len(generation.files)} file(s):")
        for planned in generation.files:
            _print(f"    {shown_path(project.root, planned.path)}")
            if planned.kind in ("migration", "tenant_migration"):
                for line in planned.text.splitlines():
                    if not line.startswith("-- ") or line.startswith("-- migrate:"):
                        break
                    _print(f"      {line.removeprefix('-- ')}")
        from snapshift.engine.autogen.planview import plan_warnings
        from snapshift.tui.wording import warning_text

        for warning in plan_warnings(generation):
            _print(warning_text(warning))
    if migrate:
        _print("== then migrate (and migrate tenants where tenant migrations exist)")


def _nothing_to_do(plan: RegenPlan) -> bool:
    return not plan.files_to_delete and not plan.restored and not plan.generation.has_changes


def _confirm(what: str = "regen rolls back migrations and deletes files") -> bool:
    if not interactive():
        raise UsageError(
            f"{what}, so it asks first, and there is no terminal to ask on: pass --yes to proceed "
            "(or --dry-run to only see the plan)"
        )
    try:
        return prompts.yes_no(input, "Proceed?", False)
    except EOFError:
        return False


def cmd_regen(args: argparse.Namespace) -> int:
    project = Project.open(args.directory)
    if not args.dry_run:
        finish_interrupted_generate(project)  # its files are untracked like the rest: regen takes them too
    elif journal_waits(project, "`snapshift regen` or `snapshift generate`"):  # a dry run writes nothing
        return 1
    note_development_database(project, args.repo)
    answers = _resolve_questions(project, args, answers_from_args(args))
    plan = project.plan_regen(args.positional_name, args.repo, answers)
    if _nothing_to_do(plan):
        plan.check(args.force)
        _print("Nothing to regenerate: no untracked migrations or snapshots and no pending changes.")
        return 0
    print_plan(project, plan, args.migrate and not args.dry_run)
    plan.check(args.force)
    if args.dry_run:
        _print("Dry run: nothing was changed.")
        return 0
    if not args.yes and not _confirm():
        _print("Cancelled: nothing was changed.")
        return 1
    printer = ProgressPrinter()

    def progress(event: ProgressEvent | RegenEvent) -> None:
        if isinstance(event, regen.RegenEvent):
            _print(f"== {f'repo {event.repo}: ' if event.repo else ''}{event.message}")
        else:
            printer(event)

    result = project.regen(
        plan.name,
        migrate=args.migrate,
        answers=answers,
        repo=args.repo,
        force=args.force,
        progress=progress,
    )
    _print_result(project, result)
    return 0


def _print_result(project: Project, result: RegenResult) -> None:
    print_created(project.root, result.generated.written)
    public = sum(len(r.public) for r in result.rolled_back)
    in_tenants = sum(len(v) for r in result.rolled_back for v in r.tenants.values())
    rolled = f"{public} migration(s)" + (f" and {in_tenants} in tenant schemas" if in_tenants else "")
    summary = f"regen: rolled back {rolled}, deleted {len(result.deleted)} file(s), "
    if result.plan.restored:
        summary += f"restored {len(result.plan.restored)} tracked file(s), "
    summary += f"wrote {len(result.generated.written)} file(s)"
    if result.migrated:
        applied = sum(len(m.public) for m in result.migrated)
        tenants = sum(len(m.tenants) for m in result.migrated)
        summary += f", applied {applied} migration(s) and migrated {tenants} tenant(s)"
    _print(summary)
    if result.generated.written:
        _print("Please always manually review the generated migrations for correctness.")


def cmd_rollback_untracked(args: argparse.Namespace) -> int:
    """`rollback --untracked`: the public and tenant migrations whose files git does not track;
    `--tenants` limits it to the tenant ones, `--only-tenants`/`--except-tenants` choose tenants."""
    ignored = [
        flag for flag, value in (("--jobs", args.jobs), ("--fail-fast", args.fail_fast or None)) if value
    ]
    if ignored:
        raise UsageError(f"{', '.join(ignored)} do not apply to rollback --untracked")
    scope: Scope = "tenants" if args.tenants else "all"
    which = TenantFilter.of(
        tenant_list(args.only_tenants, "--only-tenants"), tenant_list(args.except_tenants, "--except-tenants")
    )
    project = open_for_database(args.directory, args.repo)
    plans = project.plan_rollback_untracked(args.repo, force=args.force, scope=scope, which=which).values()
    steps = [(plan.repo, step) for plan in plans for step in plan.describe()]
    if not steps:
        for plan in plans:
            _print(f"== {plan.repo}: no applied migration is untracked")
        return 0
    for repo, step in steps:
        _print(f"== repo {repo}: {step}")
    if not args.yes and not _confirm("rollback --untracked rolls back migrations"):
        _print("Cancelled: nothing was rolled back.")
        return 1
    results = project.rollback_untracked(
        args.repo, force=args.force, scope=scope, which=which, progress=ProgressPrinter()
    )
    _print_rolled_back(list(results.values()))
    return 0


def _print_rolled_back(results: Sequence[RolledBack]) -> None:
    for result in results:
        tenants = {name: versions for name, versions in result.tenants.items() if versions}
        if not result.public and not tenants:
            _print(f"== {result.repo}: no applied migration is untracked")
            continue
        runs = sum(len(versions) for versions in tenants.values())
        _print(
            f"== {result.repo}: rolled back {len(result.public)} untracked migration(s)"
            + (f" and {runs} tenant migration run(s) in {len(tenants)} tenant(s)" if tenants else "")
        )


def add_rollback_untracked_arguments(
    which: argparse._MutuallyExclusiveGroup, parser: argparse.ArgumentParser
) -> None:
    """`--untracked` (exclusive with -n/--to/--all) and `--force` for the rollback command."""
    which.add_argument(
        "--untracked",
        action="store_true",
        help="undo exactly the applied migrations (public and tenant) whose files git does not track",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="with --untracked: undo them even when a tracked migration was applied after them",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="with --untracked: do not ask to proceed (needed without a terminal)",
    )


def rollback_untracked_requested(args: argparse.Namespace) -> bool:
    """Whether rollback should run `cmd_rollback_untracked`; --force alone is a usage error."""
    for flag, given in (("--force", args.force), ("--yes", args.yes)):
        if given and not args.untracked:
            raise UsageError(f"{flag} only applies with --untracked")
    return bool(args.untracked)


def add_regen_commands(sub: Subcommands) -> None:
    """`regen [NAME] [-m] [--dry-run] [--yes] [--force]` with generate's answer flags."""
    p = sub.add_parser(
        "regen", help="roll back, delete and regenerate the migrations and snapshots git does not track"
    )
    p.add_argument(
        "positional_name",
        nargs="?",
        metavar="NAME",
        help="name of the regenerated migration (default: the newest untracked migration's name)",
    )
    p.add_argument(
        "-m",
        "--migrate",
        action="store_true",
        help="apply the result (and tenant migrations where they exist)",
    )
    p.add_argument("--dry-run", action="store_true", help="show what regen would do; change nothing")
    p.add_argument(
        "--yes",
        action="store_true",
        help="do not ask to proceed (confirms the plan only: it answers no rename or drop question)",
    )
    p.add_argument(
        "--accept-renames",
        action="store_true",
        help="answer yes to every rename question with a single candidate (column or table)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="undo untracked migrations even when a tracked one was applied after",
    )
    add_answer_arguments(p)
    p.set_defaults(func=cmd_regen)
