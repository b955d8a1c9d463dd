"""tui.parser: the CLI's help reads exactly as argparse's own formatter writes it, and building the
parser no longer imports shutil (3 ms of every command)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from tui import parser as parsing
from tui.cli import build_parser

REPO = Path(__file__).resolve().parent.parent


def every_help(parser: argparse.ArgumentParser) -> dict[str, str]:
    """The help of the program and of each of its commands, by command."""
    helps = {"": parser.format_help()}
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        if isinstance(action, argparse._SubParsersAction):
            helps |= {name: sub.format_help() for name, sub in action.choices.items()}
    return helps


@pytest.mark.parametrize("columns", ["40", "79", "120", "250", "", "0", "wide"])
def test_every_help_reads_as_argparse_formats_it(monkeypatch: pytest.MonkeyPatch, columns: str) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    ours = every_help(build_parser())
    monkeypatch.setattr(parsing, "HelpFormatter", argparse.HelpFormatter)
    theirs = every_help(build_parser())
    assert len(ours) > 5
    assert ours == theirs


def test_without_columns_and_a_terminal_the_width_is_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    probe = "from tui.parser import terminal_columns\nprint(terminal_columns())\n"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "80"  # stdout is a pipe here, as in CI


def test_building_the_parser_and_parsing_do_not_import_shutil() -> None:
    probe = (
        "import sys\nfrom tui.cli import build_parser\n"
        "build_parser().parse_args(['-C', '.', 'generate', '--check'])\n"
        "print('shutil' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
