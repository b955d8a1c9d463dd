"""Database URLs through the CLI (issue 11, items 4, 5 and 7): no command prints a password in any URL
form, socket URLs reach the maintenance database, and a server that never answers is waited for once."""

from __future__ import annotations

import json
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from snapshift.engine.base.masking import mask
from snapshift.engine.db.database import database_name, maintenance_url, redact, with_database
from snapshift.tui.cli.main import main
from tests.support.gitrepo import git
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT
EXAMPLE = ROOT / "examples" / "blog"
SECRET = "ss3cretPW"
URL_ENV = "SNAPSHIFT_URL_UNDER_TEST"

# Every way a password can be written, each on a server that cannot be reached with it: port 1 refuses,
# a malformed URL leaves the driver a nonsense host, port or keyword built from pieces of the password.
LEAKY_URLS = {
    "userinfo": f"postgresql://postgres:{SECRET}@127.0.0.1:1/app",
    "userinfo with an unencoded @": f"postgresql://postgres:p@{SECRET}@127.0.0.1/app",
    "userinfo with two unencoded @": f"postgresql://postgres:{SECRET}@x@127.0.0.1:1/app",
    "userinfo with an unencoded /": f"postgresql://postgres:{SECRET}/x@127.0.0.1/app",
    "userinfo with an unencoded / and @": f"postgresql://postgres:p@x/{SECRET}@127.0.0.1:1/app",
    "userinfo with an unencoded :": f"postgresql://postgres:a:{SECRET}@127.0.0.1:1/app",
    "userinfo with a bad %": f"postgresql://postgres:{SECRET}%zz@127.0.0.1:1/app",
    "userinfo percent-encoded": f"postgresql://postgres:{SECRET}%40at@127.0.0.1:1/app",
    "userinfo, socket URL": f"postgresql://postgres:{SECRET}@/app?host=/nonexistent/socket/dir",
    "query password": f"postgresql://127.0.0.1:1/app?user=postgres&password={SECRET}",
    "query password with an unencoded @": f"postgresql:///app?host=127.0.0.1&port=1&password=p@{SECRET}",
    "query sslpassword": f"postgresql://postgres@127.0.0.1:1/app?sslpassword={SECRET}",
    "keyword/value": f"host=127.0.0.1 port=1 user=postgres password={SECRET} dbname=app",
    "keyword/value quoted": f"host=127.0.0.1 port=1 password='{SECRET} x\\' y' dbname=app",
    "keyword/value unquoted space": f"host=127.0.0.1 port=1 password={SECRET} {SECRET}2 dbname=app",
    "keyword/value, password first": f"password={SECRET} host=127.0.0.1 port=1 dbname=app",
    "keyword/value in options": f"host=127.0.0.1 port=1 dbname=app options='-c password={SECRET}'",
}
COMMANDS = (
    ["migrate"],
    ["migrate", "--tenants"],
    ["rollback"],
    ["rollback", "--tenants"],
    ["status"],
    ["status", "--json"],
    ["create"],
    ["drop", "--force"],
    ["verify"],
    ["regen"],
)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The CLI in this process: exit code and stdout + stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project in git, its migrations untracked (so `regen` has work for the database)."""
    target = tmp_path_factory.mktemp("leak") / "blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".snapshift"))
    config = target / "snapshift.toml"
    config.write_text(config.read_text().replace("env:DATABASE_URL", f"env:{URL_ENV}"))
    git(target, "init", "-q")
    git(target, "add", "resources", "snapshift.toml")
    git(target, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "resources")
    return target


@pytest.mark.parametrize("form", sorted(LEAKY_URLS))
def test_no_database_command_prints_the_password(
    form: str, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_ENV, LEAKY_URLS[form])
    for command in COMMANDS:
        code, output = run_cli(capsys, "-C", str(project), *command)
        assert code != 0, (command, output)
        assert "error" in output, (command, output)
        assert SECRET not in output, (command, output)
        assert "3cret" not in output, (command, output)


def test_a_password_from_the_environment_is_not_printed(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", SECRET)
    monkeypatch.setenv(URL_ENV, "postgresql://postgres@127.0.0.1:1/app")
    for command in COMMANDS:
        code, output = run_cli(capsys, "-C", str(project), *command)
        assert code != 0 and SECRET not in output, (command, output)


def test_the_malformed_url_of_the_issue_prints_the_host_without_the_password(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_ENV, f"postgresql://postgres:p@{SECRET}@127.0.0.1/db")
    code, output = run_cli(capsys, "-C", str(project), "status")
    assert code == 1
    assert "postgres:***@127.0.0.1/db" in output
    assert "failed to resolve host '***@127.0.0.1'" in output


def test_a_password_given_in_the_config_file_is_not_printed_either(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "snapshift.toml").write_text(
        f"resources = []\n[repos.repo]\nurl = {json.dumps(LEAKY_URLS['userinfo with an unencoded @'])}\n"
    )
    for command in COMMANDS[:-1]:
        code, output = run_cli(capsys, "-C", str(tmp_path), *command)
        assert SECRET not in output, (command, output)
        assert code == (0 if "--tenants" in command else 1), (command, output)  # no tenants: no connect


def test_masking_keeps_the_rest_of_a_message_readable() -> None:
    url = "postgresql://postgres:postgres@localhost/app"
    message = 'connection to server at "localhost" failed: FATAL:  password authentication failed'
    assert mask(message, url, ["postgres"]) == message  # "postgresql" is no "postgres"
    # a user named like the password is hidden too: safe rather than pretty
    assert redact(url) == "postgresql://***:***@localhost/app"
    assert mask("user postgres is unknown", url, ["postgres"]) == "user *** is unknown"
    plain = "postgresql://bob@h/app?sslmode=require&application_name=x"
    assert redact(plain) == plain
    assert redact("host=h password=x sslmode=require") == "host=h password=*** sslmode=require"
    assert redact("postgresql://h/app?password=x&sslmode=require") == (
        "postgresql://h/app?password=***&sslmode=require"
    )


# -- socket URLs: the maintenance connection is built from parsed parameters (item 5)

SOCKET_DIRECTORIES = [
    folder for folder in ("/var/run/postgresql", "/tmp") if Path(folder, ".s.PGSQL.5432").exists()
]


def test_maintenance_url_of_a_socket_url_keeps_its_host() -> None:
    admin = maintenance_url("postgresql:///app?host=/var/run/postgresql")
    assert psycopg.conninfo.conninfo_to_dict(admin) == {"host": "/var/run/postgresql", "dbname": "postgres"}
    admin = maintenance_url("postgresql:///postgres?host=127.0.0.1&port=5432&user=u")
    assert psycopg.conninfo.conninfo_to_dict(admin) == {
        "host": "127.0.0.1",
        "port": "5432",
        "user": "u",
        "dbname": "template1",
    }
    assert with_database("postgresql:///app?host=/tmp", "other") == "postgresql:///other?host=%2Ftmp"
    assert database_name(with_database("postgresql:///app?host=/tmp", "other")) == "other"


def socket_urls(server_url: str) -> list[str]:
    """Socket-style URLs (no host before the path) of a fresh database on the test server."""
    params = psycopg.conninfo.conninfo_to_dict(server_url)
    name = f"snapshift_sock_{uuid.uuid4().hex[:10]}"
    user = params.get("user", "postgres")
    urls = [f"postgresql:///{name}?host={params['host']}&port={params.get('port', 5432)}&user={user}"]
    if params.get("host") == "127.0.0.1" and params.get("port", "5432") == "5432":
        urls += [f"postgresql:///{name}_s?host={folder}&user={user}" for folder in SOCKET_DIRECTORIES]
    return urls


@pytest.fixture
def socket_project(tmp_path: Path, pg_server_url: str) -> Iterator[tuple[Path, list[str]]]:
    (tmp_path / "snapshift.toml").write_text(f'resources = []\n[repos.repo]\nurl = "env:{URL_ENV}"\n')
    urls = socket_urls(pg_server_url)
    yield tmp_path, urls
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        for url in urls:
            name = sql.Identifier(database_name(url))
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def test_create_status_drop_with_socket_urls(
    socket_project: tuple[Path, list[str]],
    pg_server_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project, urls = socket_project
    for url in urls:
        monkeypatch.setenv(URL_ENV, url)
        name = database_name(url)
        code, output = run_cli(capsys, "-C", str(project), "create")
        assert code == 0 and f"The database {name} of repo repo created" in output, output
        code, output = run_cli(capsys, "-C", str(project), "status", "--json")
        assert code == 0, output
        assert json.loads(output)["repos"][0]["database_exists"] is True
        code, output = run_cli(capsys, "-C", str(project), "migrate")
        assert code == 0, output
        code, output = run_cli(capsys, "-C", str(project), "drop", "--force")
        assert code == 0 and f"The database {name} of repo repo dropped" in output, output
        code, output = run_cli(capsys, "-C", str(project), "status", "--json")
        assert code == 0 and json.loads(output)["repos"][0]["database_exists"] is False, output


# -- a server that never answers (item 7): waited for once, for the configured time


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections (the kernel completes them) and never says a word."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_status_waits_once_for_the_configured_connect_timeout(
    tmp_path: Path, silent_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{silent_server}/app"
    (tmp_path / "snapshift.toml").write_text(
        f'resources = []\n[repos.repo]\nurl = "{url}"\nconnect_timeout = 2\n'
    )
    started = time.monotonic()
    code, output = run_cli(capsys, "-C", str(tmp_path), "status")
    waited = time.monotonic() - started
    assert code == 1
    assert "timeout expired" in output and "waited 2 s" in output, output
    assert 1.9 < waited < 3.5, waited


def test_a_connect_timeout_in_the_url_wins(
    tmp_path: Path, silent_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{silent_server}/app?connect_timeout=2"
    (tmp_path / "snapshift.toml").write_text(
        f'resources = []\n[repos.repo]\nurl = "{url}"\nconnect_timeout = 30\n'
    )
    started = time.monotonic()
    code, output = run_cli(capsys, "-C", str(tmp_path), "migrate")
    assert code == 1 and "waited 2 s" in output, output
    assert time.monotonic() - started < 3.5


def test_connect_timeout_must_be_positive_seconds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for value in ("0", "-1", '"5s"', "2.5"):
        (tmp_path / "snapshift.toml").write_text(f"resources = []\n[repos.repo]\nconnect_timeout = {value}\n")
        code, output = run_cli(capsys, "-C", str(tmp_path), "status")
        assert code == 2 and "repos.repo.connect_timeout" in output, output
