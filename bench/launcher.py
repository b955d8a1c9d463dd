"""How the benchmarks start snapshift: as an installed console script runs it, without the editable
install's import hook.

`.venv` holds snapshift as an editable install, whose `__editable__` finder imports pathlib, urllib
and ipaddress at every interpreter start (10 to 25 ms here) before snapshift runs; a user who installs
the wheel never pays that. The benchmarks therefore run a small venv of their own that sees `.venv`'s
packages and this checkout as plain paths (so no `.pth` hook of `.venv` runs), and a script that does
what the `snapshift` console script does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = "import sys\nfrom snapshift.tui.cli.main import run\nsys.argv[0] = 'snapshift'\nsys.exit(run())\n"


def plain_venv(work: Path) -> Path:
    """The python of a new venv under `work` that imports snapshift and its dependencies as a wheel
    install would (no import hooks); created once per work folder."""
    venv = work / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
        site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
        packages = sysconfig.get_path("purelib")  # this interpreter's (.venv's) site-packages
        (site / "snapshift-bench.pth").write_text(f"{REPO / '.importpath'}\n{packages}\n")
    return python


def snapshift_argv(work: Path) -> list[str]:
    """argv that runs `snapshift` the way its console script does."""
    script = work / "snapshift-script.py"
    if not script.exists():
        script.write_text(SCRIPT)
    return [str(plain_venv(work)), str(script)]


def user_environ() -> dict[str, str]:
    """This environment as a user's shell has it: without the sandbox's PYTHONUNBUFFERED, which makes
    every printed line a write of its own."""
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    return env


def startup_argv(work: Path) -> list[str]:
    """argv of a process that only imports the CLI: the floor under every command."""
    return [str(plain_venv(work)), "-c", "import snapshift.tui.cli.main"]
