"""`snapshift verify`, `generate --verify` and `snapshift drift` on a real PostgreSQL (issue 15)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Self

import psycopg
import pytest

from snapshift.engine.db.catalog import read_catalog
from snapshift.engine.db.scratch import PREFIX
from snapshift.tui.cli.main import main
from tests.support.harness import Workspace
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT
EXAMPLE = ROOT / "examples" / "blog"
FIRST = "migration 20261125233511 (migrate_resources1)"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def blog(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example whose DATABASE_URL is a fresh test database."""
    target = tmp_path / "blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".snapshift"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    return target


def edit_first_migration(project: Path, old: str, new: str) -> None:
    path = next((project / "priv" / "repo" / "migrations").glob("*.sql"))
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def scratch_databases(url: str, pattern: str = PREFIX + "%") -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,)).fetchall()
    return [row[0] for row in rows]


# -- verify


def test_verify_passes_on_the_example(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "-C", str(blog), "verify")
    assert code == 0, err
    assert "== repo: 2 migration(s) verified: up, down and up again" in out
    code, out, _ = cli(capsys, "-C", str(blog), "verify", "--json")
    assert code == 0 and json.loads(out)[0]["ok"] is True


def test_a_column_kept_by_dont_drop_columns_is_no_failure_and_no_drift(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--dont-drop-columns` leaves the drop commented out: the column stays in the database while the
    snapshots no longer have it. That is what the user asked for, not a broken migration."""
    posts = blog / "resources" / "posts.toml"
    posts.write_text(
        posts.read_text().replace('body = { type = "text" }\n', "").replace("lower(body)", "lower(title)")
    )
    assert cli(capsys, "-C", str(blog), "generate", "--dont-drop-columns", "drop_body")[0] == 0
    code, out, err = cli(capsys, "-C", str(blog), "verify")
    assert code == 0, out + err
    assert "column posts.body is left in place: its drop is commented out" in out + err
    assert "drop_body" in out + err
    assert cli(capsys, "-C", str(blog), "migrate")[0] == 0
    code, out, err = cli(capsys, "-C", str(blog), "drift", "--sql")
    assert code == 0 and "nothing drifted" in out, out + err  # no DROP COLUMN offered as a repair


def test_snapshots_that_do_not_build_are_said_in_plain_words(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [snapshot] = sorted((blog / "priv" / "resource_snapshots" / "repo" / "posts").glob("*.json"))[-1:]
    snapshot.write_text(snapshot.read_text().replace("lower(body)", "lower(nope)"))
    code, out, err = cli(capsys, "-C", str(blog), "verify")
    assert code == 1
    assert 'the latest snapshots do not build on PostgreSQL: column "nope" does not exist' in out + err
    assert "fresh build 1" not in out + err and "fresh_build" not in out + err
    assert cli(capsys, "-C", str(blog), "migrate")[0] == 0
    code, out, err = cli(capsys, "-C", str(blog), "drift")
    assert code == 1 and 'the latest snapshots do not build on PostgreSQL: column "nope"' in err, out + err


def test_verify_names_migration_and_object_of_a_forgotten_statement(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_first_migration(
        blog,
        'CREATE INDEX "posts_search_index" ON "posts" USING btree ("title", (lower(body))) '
        'INCLUDE ("slug") WHERE archived = false;\n',
        "",
    )
    code, _, err = cli(capsys, "-C", str(blog), "verify")
    assert code == 1
    assert f"{FIRST}: up leaves no index posts_search_index, the resources declare one" in err


def test_verify_names_an_up_whose_column_type_differs(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_first_migration(
        blog, '  "title" text NOT NULL,\n  "slug"', '  "title" varchar(100) NOT NULL,\n  "slug"'
    )
    code, out, _ = cli(capsys, "-C", str(blog), "verify", "--json")
    assert code == 1
    problem = json.loads(out)[0]["problems"][0]
    assert problem["text"] == f"{FIRST}: up leaves posts.title varchar(100), the resources declare text"
    assert problem["difference"]["table"] == "posts" and problem["difference"]["name"] == "title"


def small_project(root: Path, url: str) -> Workspace:
    ws = Workspace(root, f'resources = ["resources/*.toml"]\n\n[repos.repo]\nurl = "{url}"\n')
    ws.resource(
        "posts",
        'table = "posts"\n[attributes]\nid = { type = "bigint", primary_key = true }\ntitle = { type = "text" }\n',
    )
    ws.generate()
    return ws


def test_verify_names_a_down_that_forgets_to_drop_an_index(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = small_project(tmp_path, database_url)
    text = 'table = "posts"\n[attributes]\nid = { type = "bigint", primary_key = true }\ntitle = { type = "text" }\n'
    ws.resource("posts", text + '[[indexes]]\nfields = ["title"]\n')
    (added,) = ws.generate()
    source = added.path.read_text()
    assert 'DROP INDEX "posts_title_index";' in source
    added.path.write_text(source.replace('DROP INDEX "posts_title_index";', ""))
    code, _, err = cli(capsys, "-C", str(tmp_path), "verify")
    assert code == 1
    label = f"migration {added.version} ({added.name})"
    assert (
        f"{label}: down leaves an index posts_title_index that the migrations before it did not have" in err
    )


def test_generate_verify_writes_nothing_when_verification_fails(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = small_project(tmp_path, database_url)
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "priv").rglob("*"))
    # a custom statement whose down forgets what its up made: the new migration cannot be rolled back cleanly
    ws.resource(
        "posts",
        'table = "posts"\n[attributes]\nid = { type = "bigint", primary_key = true }\ntitle = { type = "text" }\n'
        '[[statements]]\nname = "title_lookup"\nup = "CREATE INDEX title_lookup ON posts (title)"\ndown = "SELECT 1"\n',
    )
    code, _, err = cli(capsys, "-C", str(tmp_path), "generate", "--verify", "add_lookup")
    assert code == 1
    assert "down leaves an index title_lookup that the migrations before it did not have" in err
    assert "Nothing was written" in err
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "priv").rglob("*")) == before
    assert scratch_databases(database_url, f"{PREFIX}{os.getpid()}\\_%") == []


def test_generate_verify_writes_a_migration_that_verifies(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = small_project(tmp_path, database_url)
    ws.resource(
        "posts",
        'table = "posts"\n[attributes]\nid = { type = "bigint", primary_key = true }\ntitle = { type = "text", allow_nil = false }\n',
    )
    code, out, err = cli(capsys, "-C", str(tmp_path), "generate", "--verify", "title_required")
    assert code == 0, err
    assert "Verified the new migration(s)" in out and "title_required.sql" in out


def test_interrupted_verify_leaves_no_scratch_database(blog: Path, database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "snapshift.tui.cli.main", "-C", str(blog), "verify"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    mine = f"{PREFIX}{process.pid}\\_%"
    deadline = time.monotonic() + 60
    while not scratch_databases(database_url, mine):
        assert process.poll() is None, "verify ended before its scratch database was seen"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err
    assert scratch_databases(database_url, mine) == []


# -- drift

TENANTS = [f"t{n:02}" for n in range(1, 51)]


@pytest.fixture
def fleet(blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> Path:
    """The example migrated, with 50 tenant schemas."""
    config = blog / "snapshift.toml"
    config.write_text(config.read_text().replace('["org_acme", "org_globex"]', json.dumps(TENANTS)))
    assert cli(capsys, "-C", str(blog), "migrate")[0] == 0
    assert cli(capsys, "-C", str(blog), "migrate", "--tenants", "--jobs", "2")[0] == 0
    return blog


def execute(url: str, statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statements)


def test_drift_groups_tenants_by_difference_and_sql_repairs_them(
    fleet: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "-C", str(fleet), "drift", "--tenants")
    assert code == 0, err
    assert "== repo tenants: 50 tenants match" in out
    execute(
        database_url,
        "DROP INDEX t07.documents_unique_title_index; "
        "ALTER TABLE t13.documents ADD COLUMN notes text; "
        "ALTER TABLE t21.documents ALTER COLUMN version SET DEFAULT 2; "
        "DROP TABLE t30.documents",
    )
    code, out, _ = cli(capsys, "-C", str(fleet), "drift", "--tenants")
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith("== repo tenants: "))
    groups = line.removeprefix("== repo tenants: ").split("; ")
    assert groups[0] == "46 tenants match"
    assert sorted(groups[1:]) == [
        "1 tenant (t07) lacks index documents_unique_title_index",
        "1 tenant (t13) has a column documents.notes that no resource declares",
        "1 tenant (t21) has documents.version default 2, the resources declare default 1",
        "1 tenant (t30) lacks table documents",
    ]
    assert "== repo: the database matches the snapshots" in out

    code, out, _ = cli(capsys, "-C", str(fleet), "drift", "--tenants", "--json")
    assert code == 1
    result = json.loads(out)[0]
    assert [len(group["tenants"]) for group in result["groups"]] == [46, 1, 1, 1, 1]

    code, repair, _ = cli(capsys, "-C", str(fleet), "drift", "--tenants", "--sql")
    assert code == 1
    assert 'SET search_path TO "t07", public;' in repair
    execute(database_url, repair)
    code, out, _ = cli(capsys, "-C", str(fleet), "drift", "--tenants")
    assert code == 0, out
    assert "50 tenants match" in out


def test_drift_of_public_tables_and_its_repair(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "-C", str(blog), "migrate")[0] == 0
    execute(
        database_url,
        "ALTER TABLE posts ALTER COLUMN title TYPE varchar(100); DROP INDEX posts_search_index; "
        "ALTER TABLE audit.events DROP CONSTRAINT events_actor_id_fkey; CREATE TABLE stray (id int); "
        "ALTER TABLE tags ALTER COLUMN id DROP DEFAULT; DROP SEQUENCE tags_id_seq; "
        "ALTER TABLE comments ALTER COLUMN id DROP IDENTITY",
    )
    code, out, _ = cli(capsys, "-C", str(blog), "drift")
    assert code == 1
    assert "has posts.title varchar(100), the resources declare text" in out
    assert "lacks index posts_search_index" in out
    assert "lacks foreign key events_actor_id_fkey on audit.events" in out
    assert "has a table stray that no resource declares" in out
    assert "lacks sequence tags_id_seq" in out
    assert "has tags.id no default, the resources declare default nextval('tags_id_seq'::regclass)" in out
    assert "has comments.id no identity, the resources declare generated by default as identity" in out
    code, repair, _ = cli(capsys, "-C", str(blog), "drift", "--sql")
    execute(database_url, repair)
    code, out, _ = cli(capsys, "-C", str(blog), "drift")
    assert code == 0, out


class CountingCursor(psycopg.Cursor[Any]):
    """Counts the statements sent through it (a real cursor on a real connection)."""

    sent = 0

    def execute(self, *args: Any, **kwargs: Any) -> Self:
        CountingCursor.sent += 1
        return super().execute(*args, **kwargs)


def test_the_catalog_is_read_in_the_same_number_of_queries_for_any_number_of_schemas(
    database_url: str,
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for n in range(20):
            conn.execute(f"CREATE SCHEMA s{n}; CREATE TABLE s{n}.t (id int PRIMARY KEY, x text DEFAULT 'a')")
        conn.cursor_factory = CountingCursor
        counts = []
        for schemas in (["s0"], [f"s{n}" for n in range(20)]):
            CountingCursor.sent = 0
            catalog = read_catalog(conn, schemas)
            counts.append(CountingCursor.sent)
            assert set(catalog.schemas) == set(schemas)
            assert catalog.table(f"{schemas[-1]}.t").columns["x"].default == "'a'::text"
    assert counts[0] == counts[1]


def test_drift_text_names_many_tenants_briefly() -> None:
    from snapshift.engine.checks.catalog_compare import Difference
    from snapshift.engine.checks.drift import DriftGroup

    missing = Difference("index", "documents", "documents_title_index", "", None, "CREATE INDEX ...")
    group = DriftGroup(tuple(f"t{n}" for n in range(12)), (missing,), ())
    assert group.text() == (
        "12 tenants (t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 and 2 more) lack index documents_title_index"
    )
    assert DriftGroup(("a",), (), ()).text() == "1 tenant matches"


def test_verify_reports_progress_and_can_be_cancelled_between_steps(blog: Path, database_url: str) -> None:
    """The app runs verify in a worker: progress arrives through a plain callback, and a cancel asked
    between steps stops it with its scratch database dropped."""
    from snapshift.engine.base.errors import Cancelled
    from snapshift.engine.checks.verify import VerifyEvent
    from snapshift.engine.project import Project

    events: list[VerifyEvent] = []
    with pytest.raises(Cancelled):
        Project.open(blog).verify(progress=events.append, cancel=lambda: len(events) >= 2)
    assert [event.done for event in events] == [0, 1]
    assert events[0].total == 8 and events[0].repo == "repo"
    assert scratch_databases(database_url, f"{PREFIX}{os.getpid()}\\_%") == []
