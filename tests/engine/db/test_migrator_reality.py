"""The migrator under real conditions (issue 17), each case on a real PostgreSQL through the CLI: lock
waits, half-applied no-transaction migrations, missing files, tenant lists, status with a database down,
and which repo stopped."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from snapshift.tui.cli.main import main
from tests.support.roundtrip import NewDatabase

URL_ENV = "SNAPSHIFT_REALITY_URL"
SECOND_ENV = "SNAPSHIFT_REALITY_SECOND_URL"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def make_project(root: Path, repo_extra: str = "", second: str | None = None) -> Path:
    """A project with one repo (url from URL_ENV) or two (the second from SECOND_ENV)."""
    root.mkdir(parents=True, exist_ok=True)
    config = f'resources = []\n\n[repos.repo]\nurl = "env:{URL_ENV}"\n{repo_extra}\n'
    if second is not None:
        config += f'\n[repos.second]\nurl = "env:{SECOND_ENV}"\n{second}\n'
    (root / "snapshift.toml").write_text(config)
    for repo in ("repo", "second"):
        (root / f"priv/{repo}/migrations").mkdir(parents=True, exist_ok=True)
        (root / f"priv/{repo}/tenant_migrations").mkdir(parents=True, exist_ok=True)
    return root


def write_migration(
    root: Path,
    version: int,
    name: str,
    up: str,
    down: str = "",
    *,
    repo: str = "repo",
    tenant: bool = False,
    no_transaction: bool = False,
) -> Path:
    folder = root / f"priv/{repo}/{'tenant_migrations' if tenant else 'migrations'}"
    head = "-- migrate:no-transaction\n" if no_transaction else ""
    path = folder / f"{version}_{name}.sql"
    path.write_text(f"{head}-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n")
    return path


def recorded(url: str, schema: str = "public") -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(f'SELECT version FROM "{schema}".schema_migrations ORDER BY 1').fetchall()
    return [row[0] for row in rows]


# -- 4. tenant names that match nothing


@pytest.fixture
def tenant_project(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(URL_ENV, database_url)
    project = make_project(tmp_path / "p", 'tenants = ["ten_001", "ten_002"]')
    write_migration(
        project, 20260101000000, "items", "CREATE TABLE items (id int);", "DROP TABLE items;", tenant=True
    )
    return project


def test_a_typo_in_except_tenants_is_exit_2(tenant_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "-C", str(tenant_project), "migrate", "--tenants", "--except-tenants", "ten_00Z"
    )
    assert code == 2, out + err
    assert "--except-tenants names no tenant: ten_00Z" in err
    assert "ten_001" not in out  # nothing ran


def test_a_filter_that_leaves_no_tenant_says_so(
    tenant_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        capsys, "-C", str(tenant_project), "migrate", "--tenants", "--except-tenants", "ten_001,ten_002"
    )
    assert code == 0, err
    assert "leave none of its 2 tenant(s)" in out
    assert "set tenants or tenants_query" not in out


def test_a_tenants_query_without_rows_says_so(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(URL_ENV, database_url)
    query = "select nspname from pg_namespace where nspname like 'nobody\\\\_%'"
    project = make_project(tmp_path / "p", f'tenants_query = "{query}"')
    code, out, err = run_cli(capsys, "-C", str(project), "migrate", "--tenants")
    assert code == 0, err
    assert "tenants_query returned no tenant names" in out
    assert "set tenants or tenants_query" not in out


@pytest.mark.parametrize(
    ("query", "says", "exit_code"), [("select 1, 2", "1 (int)", 1), ("select null", "no tenant names", 0)]
)
def test_a_tenants_query_of_no_names_is_not_taken_for_schemas(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    query: str,
    says: str,
    exit_code: int,
) -> None:
    monkeypatch.setenv(URL_ENV, database_url)
    project = make_project(tmp_path / "p", f'tenants_query = "{query}"')
    code, out, err = run_cli(capsys, "-C", str(project), "migrate", "--tenants")
    assert code == exit_code and says in out + err, out + err
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = '1'").fetchone() == (0,)


def test_tenants_query_runs_read_only(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE side_effects (n int)")
    monkeypatch.setenv(URL_ENV, database_url)
    query = "with w as (insert into side_effects values (1) returning n) select 'ten_' || n from w"
    project = make_project(tmp_path / "p", f'tenants_query = "{query}"')
    for command in (["status"], ["migrate", "--tenants"]):
        code, out, err = run_cli(capsys, "-C", str(project), *command)
        assert code == 1 and "read-only transaction" in err, out + err
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM side_effects").fetchone() == (0,)


# -- 3. rollback past a missing file


@pytest.fixture
def three_applied(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(URL_ENV, database_url)
    project = make_project(tmp_path / "p", 'tenants = ["ten_001"]')
    for version, name in ((20260101000001, "a"), (20260101000002, "b"), (20260101000003, "c")):
        for tenant in (False, True):
            write_migration(
                project, version, name, f"CREATE TABLE {name} (id int);", f"DROP TABLE {name};", tenant=tenant
            )
    assert main(["-C", str(project), "migrate"]) == 0
    assert main(["-C", str(project), "migrate", "--tenants"]) == 0
    return project


def test_rollback_refuses_to_pass_a_version_without_a_file(
    three_applied: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (three_applied / "priv/repo/migrations/20260101000003_c.sql").unlink()
    capsys.readouterr()
    for command in (["rollback"], ["rollback", "--all"], ["rollback", "--to", "20260101000002"]):
        code, out, err = run_cli(capsys, "-C", str(three_applied), *command)
        assert code == 2, (command, out, err)
        assert "20260101000003 with no migration file" in err and "--forget 20260101000003" in err
    assert recorded(database_url) == [20260101000001, 20260101000002, 20260101000003]
    code, out, err = run_cli(capsys, "-C", str(three_applied), "rollback", "--forget", "20260101000001")
    assert code == 2 and "has a migration file" in err
    code, out, err = run_cli(capsys, "-C", str(three_applied), "rollback", "--forget", "20260101000003")
    assert code == 0, err
    assert "forgot 20260101000003" in out and "rolled back 20260101000002_b" in out
    assert recorded(database_url) == [20260101000001]


def test_tenant_rollback_refuses_to_pass_a_version_without_a_file(
    three_applied: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (three_applied / "priv/repo/tenant_migrations/20260101000003_c.sql").unlink()
    capsys.readouterr()
    code, out, err = run_cli(capsys, "-C", str(three_applied), "rollback", "--tenants", "--all")
    assert code == 2 and "tenant ten_001" in err and "20260101000003 with no migration file" in err, out + err
    assert recorded(database_url, "ten_001") == [20260101000001, 20260101000002, 20260101000003]
    code, out, err = run_cli(
        capsys, "-C", str(three_applied), "rollback", "--tenants", "--all", "--forget", "20260101000003"
    )
    assert code == 0, out + err
    assert recorded(database_url, "ten_001") == []


# -- 2. a no-transaction migration that fails half way

POSTS = (
    'table = "posts"\n[attributes]\nid = { type = "integer", primary_key = true }\ncode = { type = "text" }\n'
)
INDEXES = (
    '[[indexes]]\nfields = ["code"]\nconcurrently = true\n'
    '[[indexes]]\nfields = ["title"]\nunique = true\nconcurrently = true\n'
)


def test_a_half_applied_concurrent_index_migration_says_what_stayed_and_runs_again(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(URL_ENV, database_url)
    project = make_project(tmp_path / "p")
    (project / "snapshift.toml").write_text(f'[repos.repo]\nurl = "env:{URL_ENV}"\n')
    resource = project / "resources" / "posts.toml"
    resource.parent.mkdir()
    resource.write_text(POSTS + 'title = { type = "text" }\n')
    assert main(["-C", str(project), "generate", "posts"]) == 0
    assert main(["-C", str(project), "migrate"]) == 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO posts VALUES (1, 'a', 'same'), (2, 'b', 'same')")
    resource.write_text(POSTS + 'title = { type = "text" }\n' + INDEXES)
    assert main(["-C", str(project), "generate", "indexes"]) == 0
    [migration] = sorted((project / "priv/repo/migrations").glob("*_indexes*.sql"))
    text = migration.read_text()
    assert text.index('"posts_code_index"') < text.index('"posts_title_index"')  # the unique one fails second
    capsys.readouterr()

    code, out, err = run_cli(capsys, "-C", str(project), "migrate")
    assert code == 1, out + err
    assert "these statements ran and stay applied" in err
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "posts_code_index"' in err
    assert "INVALID indexes now in the catalog" in err and "public.posts_title_index" in err
    assert "its version is not recorded" in err

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE posts SET title = 'other' WHERE id = 2")
    code, out, err = run_cli(capsys, "-C", str(project), "migrate")
    assert code == 0, out + err  # today: relation "posts_code_index" already exists
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname LIKE 'posts_%_index' ORDER BY 1"
        ).fetchall()
    assert rows == [("posts_code_index", True), ("posts_title_index", True)]


def test_a_down_that_fails_half_way_says_its_version_stays_recorded(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(URL_ENV, database_url)
    project = make_project(tmp_path / "p")
    write_migration(
        project,
        20260101000001,
        "two",
        "CREATE TABLE a (id int);\nCREATE TABLE b (id int);",
        "DROP TABLE b;\nDROP TABLE nope;",
        no_transaction=True,
    )
    assert main(["-C", str(project), "migrate"]) == 0
    capsys.readouterr()
    code, _, err = run_cli(capsys, "-C", str(project), "rollback")
    assert code == 1
    assert "line 7: DROP TABLE b" in err
    assert "its version stays recorded" in err and "not recorded" not in err
    assert recorded(database_url) == [20260101000001]


# -- 1. a lock held by another session


@pytest.fixture
def blocked(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, int]]:
    """A project with `posts` applied and an ALTER TABLE pending, and a session that holds a lock on
    `posts` (an open transaction that read it, as an idle application would): the project and its pid."""
    monkeypatch.setenv(URL_ENV, database_url)
    project = make_project(tmp_path / "p", 'tenants = ["ten_001"]\nlock_timeout = 2')
    for tenant in (False, True):
        write_migration(
            project,
            20260101000001,
            "posts",
            "CREATE TABLE posts (id int);",
            "DROP TABLE posts;",
            tenant=tenant,
        )
    assert main(["-C", str(project), "migrate"]) == 0
    assert main(["-C", str(project), "migrate", "--tenants"]) == 0
    for tenant in (False, True):
        write_migration(
            project,
            20260101000002,
            "note",
            "ALTER TABLE posts ADD COLUMN note text;",
            "ALTER TABLE posts DROP COLUMN note;",
            tenant=tenant,
        )
    with psycopg.connect(database_url, application_name="blocker_app") as holder:
        holder.execute("SELECT * FROM posts")
        holder.execute("SELECT * FROM ten_001.posts")
        yield project, holder.info.backend_pid
        holder.rollback()


def test_a_migration_waiting_on_a_lock_names_the_blocker_and_times_out(
    blocked: tuple[Path, int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    project, pid = blocked
    capsys.readouterr()
    started = time.monotonic()
    code, out, err = run_cli(capsys, "-C", str(project), "migrate", "--lock-timeout", "3")
    assert 2.9 < time.monotonic() - started < 10
    assert code == 1, out + err
    waiting = [line for line in out.splitlines() if "waits for a lock" in line]
    assert len(waiting) == 1, out
    assert "20260101000002_note waits for a lock on posts" in waiting[0]
    assert f"pid {pid} (application 'blocker_app', idle in transaction, transaction open" in waiting[0]
    assert "migration 20260101000002_note (up) failed" in err and "lock timeout" in err
    assert f"lock_timeout expired: it waited for a lock on posts, held by pid {pid}" in err
    assert "statement: ALTER TABLE posts ADD COLUMN note text" in err
    assert "nothing of this migration is applied" in err
    assert recorded(database_url) == [20260101000001]


def test_the_configured_lock_timeout_applies_to_tenants_too(
    blocked: tuple[Path, int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    project, pid = blocked
    capsys.readouterr()
    started = time.monotonic()
    code, out, err = run_cli(capsys, "-C", str(project), "migrate", "--tenants")
    assert time.monotonic() - started < 10  # lock_timeout = 2 in the config; today: waits forever
    assert code == 1, out + err
    assert f"waits for a lock on ten_001.posts, held by pid {pid}" in out
    assert "[ten_001]" in err and f"held by pid {pid}" in err
    assert recorded(database_url, "ten_001") == [20260101000001]


def test_lock_timeout_must_be_seconds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for value in ("-1", "inf", "nan", '"5s"', "true"):
        (tmp_path / "p").mkdir(exist_ok=True)
        (tmp_path / "p" / "snapshift.toml").write_text(
            f"resources = []\n[repos.repo]\nlock_timeout = {value}\n"
        )
        code, _, err = run_cli(capsys, "-C", str(tmp_path / "p"), "status")
        assert code == 2 and "repos.repo.lock_timeout" in err, (value, err)
    for value in ("-1", "inf", "nan", "soon"):
        with pytest.raises(SystemExit) as exit_info:
            main(["-C", str(tmp_path / "p"), "migrate", "--lock-timeout", value])
        assert exit_info.value.code == 2


# -- 5. status when one database is down


@pytest.fixture
def second_down(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(URL_ENV, database_url)
    monkeypatch.setenv(SECOND_ENV, "postgresql://postgres@127.0.0.1:1/second_app")
    project = make_project(tmp_path / "p", second='tenants = ["ten_001"]')
    write_migration(project, 20260101000001, "a", "CREATE TABLE a (id int);")
    write_migration(project, 20260101000002, "b", "CREATE TABLE b (id int);", repo="second")
    assert main(["-C", str(project), "migrate", "--repo", "repo"]) == 0
    return project


def test_status_reports_each_repo_when_one_database_is_down(
    second_down: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code, out, err = run_cli(capsys, "-C", str(second_down), "status")
    assert code == 1
    assert "repo repo:" in out and "1 file(s), 1 applied, 0 pending" in out
    assert "repo second: postgresql://postgres@127.0.0.1:1/second_app (its database could not be read" in out
    assert "error: repo second: could not connect to the database" in err
    assert "127.0.0.1:1/second_app" in err and ":1/postgres" not in err and "template1" not in err


def test_status_json_is_valid_with_an_error_per_repo(
    second_down: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code, out, err = run_cli(capsys, "-C", str(second_down), "status", "--json")
    assert code == 1
    document = json.loads(out)
    assert document["format"] == 2
    first, second = document["repos"]
    assert first["error"] is None and first["migrations"]["applied"] == [20260101000001]
    assert "could not connect" in second["error"] and "second_app" in second["error"]
    assert second["database_exists"] is None and second["migrations"]["applied"] is None
    assert [f["version"] for f in second["migrations"]["files"]] == [20260101000002]
    assert second["tenant_migrations"]["tenants"] == []
    assert "error: repo second" in err


# -- 6. which repo stopped


@pytest.fixture
def first_repo_fails(
    tmp_path: Path, database_url: str, new_database: NewDatabase, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str]:
    second_url = new_database()
    monkeypatch.setenv(URL_ENV, database_url)
    monkeypatch.setenv(SECOND_ENV, second_url)
    project = make_project(tmp_path / "p", 'tenants = ["ten_001"]', second='tenants = ["ten_001"]')
    write_migration(project, 20260101000001, "broken", "CREATE TABLE a (id nosuchtype);")
    write_migration(project, 20260101000002, "fine", "CREATE TABLE b (id int);", repo="second")
    write_migration(project, 20260101000003, "broken", "CREATE TABLE t (id nosuchtype);", tenant=True)
    write_migration(project, 20260101000004, "fine", "CREATE TABLE t (id int);", repo="second", tenant=True)
    return project, second_url


def test_a_failing_repo_says_the_next_one_was_not_run(
    first_repo_fails: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    project, second_url = first_repo_fails
    code, out, err = run_cli(capsys, "-C", str(project), "migrate")
    assert code == 1
    assert "== repo second: not run (repo repo failed; --keep-going runs it anyway)" in out
    assert "error: repo repo: " in err and "nosuchtype" in err and "not run: second" in err
    with psycopg.connect(second_url) as conn:
        assert conn.execute("SELECT to_regclass('schema_migrations')").fetchone() == (None,)
    code, out, err = run_cli(capsys, "-C", str(project), "migrate", "--keep-going")
    assert code == 1, out + err
    assert "== second: migrated 1 migration(s)" in out
    assert recorded(second_url) == [20260101000002]


def test_keep_going_with_tenants_runs_the_next_repo(
    first_repo_fails: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, second_url = first_repo_fails
    monkeypatch.setenv(URL_ENV, "postgresql://postgres@127.0.0.1:1/down")  # repo 1 cannot even connect
    code, out, err = run_cli(capsys, "-C", str(project), "migrate", "--tenants")
    assert code == 1 and "== repo second: not run" in out, out + err
    code, out, err = run_cli(capsys, "-C", str(project), "migrate", "--tenants", "--keep-going")
    assert code == 1, out + err
    assert recorded(second_url, "ten_001") == [20260101000004]
