"""tui.cli.parser: the CLI's help reads exactly as argparse's own formatter writes it, and building the
parser no longer imports shutil (3 ms of every command)."""

from __future__ import annotations

import argparse
import shutil

import pytest

from snapshift.tui.cli import parser as parsing
from snapshift.tui.cli.main import build_parser
from tests.support.terminal import python


def every_parser(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The program's parser and each of its commands' parsers, by command."""
    parsers = {"": parser}
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        if isinstance(action, argparse._SubParsersAction):
            parsers |= action.choices
    return parsers


def every_help(parser: argparse.ArgumentParser) -> dict[str, str]:
    return {name: each.format_help() for name, each in every_parser(parser).items()}


@pytest.mark.parametrize("columns", ["40", "79", "120", "250", "", "0", "wide"])
def test_every_help_reads_as_argparse_formats_it(monkeypatch: pytest.MonkeyPatch, columns: str) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    ours = every_help(build_parser())
    monkeypatch.setattr(parsing, "TerminalHelpFormatter", argparse.HelpFormatter)
    theirs = every_help(build_parser())
    assert len(ours) > 5
    assert ours == theirs


@pytest.mark.parametrize("columns", ["40", "120", "", "0", "-5", "wide", None])
def test_the_width_is_the_one_shutil_gives(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert parsing.terminal_columns() == shutil.get_terminal_size().columns


def test_the_program_and_its_commands_use_the_terminal_formatter() -> None:
    parsers = every_parser(build_parser())
    assert len(parsers) > 5
    assert all(each.formatter_class is parsing.TerminalHelpFormatter for each in parsers.values())


def test_without_columns_and_a_terminal_the_width_is_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    probe = "from snapshift.tui.cli.parser import terminal_columns\nprint(terminal_columns())\n"
    done = python(probe, check=True)
    assert done.stdout.strip() == "80"  # stdout is a pipe here, as in CI


def test_building_the_parser_and_parsing_do_not_import_shutil() -> None:
    probe = (
        "import sys\nfrom snapshift.tui.cli.main import build_parser\n"
        "build_parser().parse_args(['-C', '.', 'generate', '--check'])\n"
        "print('shutil' in sys.modules)\n"
    )
    done = python(probe, check=True)
    assert done.stdout.strip() == "False"
