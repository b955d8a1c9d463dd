"""generate's and regen's answers to rename and drop questions, as command-line flags."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.errors import UsageError


def _pairs(values: Sequence[str], flag: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left or not right:
            raise UsageError(f"{flag} expects OLD=NEW, got '{value}'")
        pairs.append((left.strip(), right.strip()))
    return pairs


def answers_from_args(args: argparse.Namespace) -> Answers:
    answers = Answers(no_renames=args.no_renames)
    for left, new in _pairs(args.rename, "--rename"):
        table, dot, old = left.rpartition(".")
        if not dot:
            raise UsageError(f"--rename expects TABLE.OLD=NEW, got '{left}={new}'")
        answers = answers.with_column(table, old, new)
    for old, new in _pairs(args.rename_table, "--rename-table"):
        answers = answers.with_table(old, rename_to=new)
    for table in args.drop_table:
        answers = answers.with_table(table, drop=True)
    for table in args.keep_table:
        answers = answers.with_table(table, drop=False)
    return answers


def add_answer_arguments(p: argparse.ArgumentParser) -> None:
    """The answers to generate's rename and drop questions, as flags (`answers_from_args` reads them)."""
    p.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="TABLE.OLD=NEW",
        help="answer a rename question: column OLD of TABLE is now NEW (repeatable)",
    )
    p.add_argument(
        "--rename-table",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="answer a rename question: table OLD is now NEW, or moved to another schema (repeatable)",
    )
    p.add_argument("--no-renames", action="store_true", help="answer no to every rename question")
    p.add_argument(
        "--drop-table",
        action="append",
        default=[],
        metavar="TABLE",
        help="answer yes: drop TABLE, whose resource is gone (repeatable)",
    )
    p.add_argument(
        "--keep-table",
        action="append",
        default=[],
        metavar="TABLE",
        help="answer no: keep TABLE, whose resource is gone; remembered in its snapshot (repeatable)",
    )
