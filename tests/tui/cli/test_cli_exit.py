"""The `snapshift` program ends with a hard exit (tui.cli.main.run): every byte still reaches its reader and
every exit code survives it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snapshift.tui.cli.main import main
from tests.support.harness import Workspace
from tests.support.terminal import ROOT, python, run

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
            [sys.executable, "-m", "snapshift.tui.cli.main", "-C", str(EXAMPLE), "generate", "--dry-run"],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    assert writer.returncode == 1 and writer.stderr == ""  # quiet, as `yes | head -1` is


INTERRUPTED_OUTSIDE_A_COMMAND = """
import io, sys
from snapshift.tui.cli import main as cli

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
    done = python(INTERRUPTED_OUTSIDE_A_COMMAND, moment)
    assert done.returncode == 130
    assert done.stderr == "interrupted\n"


CTRL_C_DURING_THE_RENAMES = """
import os, signal, sys
from snapshift.engine.base import atomic
from snapshift.tui.cli import main as cli

real_replace, renamed = os.replace, []
def replace(source, target):
    real_replace(source, target)
    renamed.append(target)
    if len(renamed) == 1:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right after the migration is in place
atomic.os.replace = replace
sys.argv = ["snapshift", "-C", sys.argv[1], "generate"]
cli.run()
"""


def test_ctrl_c_during_the_renames_lists_the_files_it_let_finish(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    for name in ("authors", "posts", "tags"):
        ws.resource(name, f'table = "{name}"\n[attributes]\nid = {{ type = "uuid", primary_key = true }}\n')
    done = python(CTRL_C_DURING_THE_RENAMES, str(tmp_path))
    assert done.returncode == 130
    assert done.stderr == "interrupted\n"
    listed = [line.removeprefix("* creating ") for line in done.stdout.splitlines()]
    written = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "priv").rglob("*.*"))
    assert len(listed) == 4 and sorted(listed) == written  # one migration, three snapshots
    assert main(["-C", str(tmp_path), "generate", "--check"]) == 0
