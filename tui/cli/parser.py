"""argparse, without the time it spends on every command sizing help text nobody asked for.

`ArgumentParser.add_argument` builds a help formatter to check each metavar, and `HelpFormatter` imports
`shutil` (which imports bz2, lzma and fnmatch) to ask the terminal's width. `Parser` and its subcommand
parsers use a formatter that asks the terminal directly, as `shutil.get_terminal_size` would.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`: $COLUMNS, else the terminal of stdout, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):  # a stand-in without fileno, closed, not a terminal
            columns = 0
    return columns if columns > 0 else 80


class TerminalHelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, as wide as the terminal minus 2 (as argparse sizes it), sized without shutil."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ) -> None:
        width = terminal_columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose subcommand parsers (of its own class) use `TerminalHelpFormatter`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", TerminalHelpFormatter)
        super().__init__(*args, **kwargs)


if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[Parser]  # what `add_subparsers` returns: the commands' hook
