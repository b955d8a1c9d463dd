"""Run the CLI on a pseudo-terminal and type answers at its questions, as a person would."""

from __future__ import annotations

import os
import pty
import select
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION_ENDINGS = (b"]", b":", b"?")  # "[Yn]", "[yN]", "Rename to:", "Proceed?"


def on_terminal(
    args: Sequence[str], replies: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 60
) -> tuple[int, str]:
    """`snapshift ARGS` on a terminal, typing the next reply whenever the output stops at a question;
    the exit code and everything printed."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(ROOT)
        argv = [sys.executable, "-m", "tui.cli", *args]
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
