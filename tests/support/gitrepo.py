"""Real git repositories for tests: one way to run git, with an identity, so commits work on any machine."""

from __future__ import annotations

import subprocess
from pathlib import Path

IDENTITY = ("-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false")


def git(root: Path, *args: str) -> str:
    """`git ARGS` in `root`; its output (CalledProcessError when git fails)."""
    done = subprocess.run(["git", *IDENTITY, *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def commit_all(root: Path, message: str = "commit") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
