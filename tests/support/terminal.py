"""Run the CLI as its users do: in a subprocess with no terminal (scripts, CI), or on a pseudo-terminal
typing answers at its questions (a person)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT
QUESTION_ENDINGS = (b"]", b":", b"?")  # "[Yn]", "[yN]", "Rename to:", "Proceed?"


def run(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`snapshift ARGS` in a subprocess with no terminal on stdin (the environment inherited unless given)."""
    return subprocess.run(
        [sys.executable, "-m", "snapshift.tui.cli.main", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=None if env is None else dict(env),
        timeout=timeout,
    )


def python(
    script: str, *args: str, check: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -c SCRIPT ARGS` from the repository root, output captured: a probe that patches snapshift
    or sends itself signals, away from the test process."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=check,
        timeout=timeout,
    )


def on_terminal(
    args: Sequence[str], replies: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 60
) -> tuple[int, str]:
    """`snapshift ARGS` on a terminal, typing the next reply whenever the output stops at a question;
    the exit code and everything printed."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(ROOT)
        argv = [sys.executable, "-m", "snapshift.tui.cli.main", *args]
        os.execve(sys.executable, argv, dict(env if env is not None else os.environ))
    output = b""
    pending = list(replies)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if pending and output.rstrip().endswith(QUESTION_ENDINGS):
                os.write(fd, pending.pop(0).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")
