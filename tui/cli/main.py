"""`snapshift` command line: parse arguments, call engine.project, print results, exit per SPEC 7.

The CLI holds no migration logic: it turns flags and terminal answers into engine calls.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.errors import InterruptedAfterWriting, SnapshiftError
from snapshift.engine.project import Project
from snapshift.tui.cli import prompts
from snapshift.tui.cli.answers import add_answer_arguments, answers_from_args
from snapshift.tui.cli.app_command import add_app_commands, wants_app
from snapshift.tui.cli.database import add_database_commands, add_repo_option
from snapshift.tui.cli.parser import Parser
from snapshift.tui.cli.reporting import finish_interrupted_generate, interactive, journal_waits, print_created
from snapshift.tui.cli.verify import add_generate_verify, add_verify_commands, verify_before_writing

if TYPE_CHECKING:
    from snapshift.engine.autogen.generate import GenerateOptions, Generation
    from snapshift.tui.cli.parser import Subcommands


def resolve_questions(
    project: Project, args: argparse.Namespace, answers: Answers, options: GenerateOptions
) -> Generation:
    """Plan, asking open questions on a terminal (or applying --yes) while any can be answered."""
    generation = project.plan(answers, options, args.repo)
    while generation.questions:
        questions = generation.questions
        if args.yes:
            answers, still_open = prompts.assume_defaults(questions, answers)
            if still_open and interactive():
                answers = prompts.answer(input, still_open[0], answers)
        elif interactive():
            answers = prompts.answer(input, questions[0], answers)
        else:
            return generation
        generation = project.plan(answers, options, args.repo)
        if generation.questions == questions and not interactive():
            return generation
    return generation


DESCRIPTION = (
    "Schema migrations for PostgreSQL from TOML resource files: generate SQL migrations and snapshots "
    "(no database needed), then migrate, roll back, regenerate, and see the status of every repo and tenant."
)
NO_CHANGES = "No changes detected, so no migrations or snapshots have been created."


def _warn_unmatched_globs(project: Project) -> None:
    """A warning for each resource glob that matches no file; exit 2 when that leaves a project that
    never generated anything without resources (the engine plans such a project as empty)."""
    from snapshift.engine.resources.loading import require_resources, resource_paths, unmatched_globs

    unmatched = unmatched_globs(project.config)
    if len(unmatched) == len(project.config.resource_globs):
        require_resources(project.config, resource_paths(project.config))
    for pattern in unmatched:
        print(
            f"warning: resource glob '{pattern}' ({project.config.config_path}) matches no file",
            file=sys.stderr,
        )


def cmd_generate(args: argparse.Namespace) -> int:
    project = Project.open(args.directory)
    _warn_unmatched_globs(project)
    if not (args.check or args.dry_run):  # those only read: they say a journal waits (below)
        finish_interrupted_generate(project)
    answers = answers_from_args(args)
    # nothing changed since a plan last found nothing to do (a --drop-table may still drop a kept table)
    if not answers.drop_tables and not answers.table_renames and project.known_clean(args.repo):
        print("No changes detected." if args.check else NO_CHANGES)
        return 0
    from snapshift.engine.autogen.generate import (  # only now: the generator is big
        GenerateOptions,
        require_answers,
    )

    options = GenerateOptions(
        name=args.name or args.positional_name,
        snapshots_only=args.snapshots_only,
        dont_drop_columns=args.dont_drop_columns,
        concurrent_indexes=args.concurrent_indexes,
    )
    if (args.check or args.dry_run) and journal_waits(project, "`snapshift generate`"):
        return 1
    if args.check:
        generation = project.plan(answers, options, args.repo)
        if generation.has_changes:
            lines = [f"Pending changes: generate would write {len(generation.files)} file(s):"]
            lines += [f"  {planned.path.relative_to(project.root)}" for planned in generation.files]
            lines += [f"  question: {q.text()}" for q in generation.questions]
            print("\n".join(lines))  # one write, not one per line: a large project lists thousands
            return 1
        print("No changes detected.")
        return 0
    generation = resolve_questions(project, args, answers, options)
    if not generation.has_changes:
        _print_warnings(generation)
        print(NO_CHANGES)
        return 0
    if generation.questions:  # say first which answers given did not count (a typo leaves a question)
        _print_warnings(generation, codes=("unused_rename", "unused_answer"), file=sys.stderr)
    require_answers(generation)
    if args.verify and (code := verify_before_writing(project, generation)) is not None:
        return code
    if args.dry_run:
        files = sorted(generation.files, key=lambda f: f.path)
        print("\n".join(f"{planned.path.relative_to(project.root)}\n{planned.text}" for planned in files))
        _print_warnings(generation)
        return 0
    try:
        written = project.write(generation)
    except InterruptedAfterWriting as interrupt:  # the files are in place all the same: say which
        print_created(project.root, interrupt.written)
        raise
    print_created(project.root, written)
    print("Please always manually review the generated migrations for correctness.")
    _print_warnings(generation)
    return 0


def _print_warnings(
    generation: Generation, codes: tuple[str, ...] | None = None, file: TextIO | None = None
) -> None:
    """The plan's warnings (those of `codes` only, when given)."""
    from snapshift.engine.autogen.planview import (
        plan_warnings,  # the generator's side: never loaded by database commands
    )
    from snapshift.tui.wording import warning_text

    for warning in plan_warnings(generation):
        if codes is None or warning.code in codes:
            print(warning_text(warning), file=file or sys.stdout)


def add_generate(sub: Subcommands) -> None:
    p = sub.add_parser("generate", help="diff resources against snapshots; write migrations and snapshots")
    p.add_argument(
        "positional_name",
        nargs="?",
        metavar="NAME",
        help="the migration's name (default migrate_resources<k>)",
    )
    p.add_argument("--name", help="the migration's name, as NAME (default migrate_resources<k>)")
    p.add_argument(
        "--check", action="store_true", help="write nothing, ask nothing; exit 1 when changes are pending"
    )
    p.add_argument("--dry-run", action="store_true", help="print the files instead of writing them")
    p.add_argument("--snapshots-only", action="store_true", help="write only snapshots, no migrations")
    p.add_argument("--dont-drop-columns", action="store_true", help="write column drops commented out")
    p.add_argument(
        "--concurrent-indexes", action="store_true", help="create new identity indexes concurrently"
    )
    add_answer_arguments(p)
    add_generate_verify(p)
    p.add_argument(
        "--yes",
        action="store_true",
        help="take the default answers: single rename candidates are renames, tables are kept",
    )
    p.set_defaults(func=cmd_generate)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="snapshift", description=DESCRIPTION)
    parser.add_argument(
        "-C", dest="directory", type=Path, default=Path.cwd(), help="run as if started in DIR"
    )
    parser.add_argument("--version", action=VersionAction, help="print snapshift's version and exit")
    parser.add_argument("--repo", default=None, help="limit the command to one repo")
    sub = parser.add_subparsers(dest="command")
    add_generate(sub)
    add_database_commands(sub)
    add_verify_commands(sub)
    add_app_commands(sub)
    add_repo_option(sub)  # shared by every command, so `snapshift migrate --repo R` works too
    return parser


class VersionAction(argparse.Action):
    """`--version`: the installed version, looked up only when asked (importlib.metadata is slow to load)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> NoReturn:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("snapshift")
        except PackageNotFoundError:
            found = "unknown (not installed)"
        print(f"snapshift {found}", flush=True)
        parser.exit()


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """parse_args, except that an unknown flag after a command is reported with that command's usage."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        command = commands[0].choices.get(args.command) if commands and args.command else None
        (command or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = _parse(parser, argv)
    if args.command is None:  # the app on a terminal; piped, what generate would write
        command = ["tui"] if wants_app() else ["generate", "--dry-run"]
        args = _parse(parser, [*(argv or sys.argv[1:]), *command])
    if not args.directory.is_dir():
        problem = "not a folder" if args.directory.exists() else "no such folder"
        print(f"error: -C {args.directory}: {problem}", file=sys.stderr)
        return 2
    try:
        code: int = args.func(args)
        return code
    except SnapshiftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader went away (`| head`): nothing to say, and no one to say it to
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush is quiet
        return 1
    except OSError as exc:  # the machine refused (permissions, a full disk): say so, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The `snapshift` program: `main`, then a hard exit once the output is flushed.

    A short-lived process that builds many small objects gains nothing from the cyclic collector, nor
    from freeing every object one by one at exit (mypy exits the same way). Nothing is left open by
    then: files, connections and thread pools are closed by their `with` blocks. The app, when it
    comes, is long-lived: it must turn the collector back on.
    """
    gc.disable()
    try:
        try:
            code: int | str | None = main()
        except SystemExit as exc:  # argparse: --help, usage errors
            code = exc.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (BrokenPipeError, ValueError):  # a reader that went away (`| head`), a closed stream
                code = code or 1
    except KeyboardInterrupt:  # outside a command's own handling: parsing, or flushing its output
        with contextlib.suppress(OSError, ValueError):
            os.write(2, b"interrupted\n")
        code = 130
    os._exit(code or 0)


if __name__ == "__main__":
    run()
