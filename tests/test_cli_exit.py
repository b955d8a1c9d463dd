"""The `snapshift` program ends with a hard exit (tui.cli.run): every byte still reaches its reader and
every exit code survives it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.terminal import ROOT, run
from tui.cli import main

EXAMPLE = ROOT / "examples" / "blog"
VERSION = re.compile(r"\d{14}")  # the timestamps of the planned files


def test_help_and_usage_errors_keep_their_exit_codes() -> None:
    helped = run("--help")
    assert helped.returncode == 0 and "usage: snapshift" in helped.stdout
    wrong = run("generate", "--no-such-flag")
    assert wrong.returncode == 2 and "unrecognized arguments: --no-such-flag" in wrong.stderr


def test_long_output_to_a_pipe_arrives_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blog = tmp_path / "blog"
    shutil.copytree(EXAMPLE, blog, ignore=shutil.ignore_patterns(".snapshift", "resource_snapshots"))
    piped = run("-C", str(blog), "generate", "--dry-run")
    assert main(["-C", str(blog), "generate", "--dry-run"]) == 0
    in_process = capsys.readouterr().out
    assert piped.returncode == 0 and len(in_process) > 8192  # more than one pipe buffer's worth
    assert VERSION.sub("V", piped.stdout) == VERSION.sub("V", in_process)


def test_a_reader_that_went_away_gets_no_traceback() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `snapshift ... | head` once head has exited: every write fails
    try:
        writer = subprocess.run(
            [sys.executable, "-m", "tui.cli", "-C", str(EXAMPLE), "generate", "--dry-run"],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    assert writer.returncode == 1 and "Traceback" not in writer.stderr and "Broken pipe" in writer.stderr


INTERRUPTED_OUTSIDE_A_COMMAND = """
import io, sys
from tui import cli

class InterruptedOnFlush(io.StringIO):
    def flush(self):
        raise KeyboardInterrupt

def interrupted_main():
    raise KeyboardInterrupt

if sys.argv[1] == "parsing":
    cli.main = interrupted_main
else:
    sys.stdout = InterruptedOnFlush()
    cli.main = lambda: 0
cli.run()
"""


@pytest.mark.parametrize("moment", ["parsing", "flushing"])
def test_ctrl_c_outside_a_command_exits_130_without_a_traceback(moment: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_OUTSIDE_A_COMMAND, moment],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 130
    assert done.stderr == "interrupted\n"
