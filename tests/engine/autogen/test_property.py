"""Property: for random valid resource sets A and B (B = A after random edits, renames of tables and
columns among them, answered as renames), generate A then B and

- A's ups build what a fresh build of A builds, and A's then B's ups what a fresh build of B builds;
- generating again right after A, and right after B, finds nothing to do;
- B's downs restore the schema A built, and A's downs then the empty database.

Two databases serve every example: one migrated step by step and rolled back (so rolling back is part
of the property), one rebuilt fresh from the resources. Both are reset at the start of an example, so
a failing example cannot leak into the next one while hypothesis shrinks.
SNAPSHIFT_PROPERTY_EXAMPLES sets the number of examples (default 40; the same ones every run unless
SNAPSHIFT_HYPOTHESIS=explore, see tests/conftest.py). The shrunk examples of bugs the property found are
pinned with @example, so they run every time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, note, settings
from psycopg import sql

from snapshift.engine.autogen.generate import Generation
from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.migrations import MigrationFile
from snapshift.engine.db.catalog import Catalog, user_schemas
from snapshift.engine.db.migrator import Migrator
from tests.support.default_grammar import Sql
from tests.support.harness import Workspace, catalog, connector
from tests.support.histories import Scenario, scenarios
from tests.support.roundtrip import TENANT, NewDatabase, apply, write_all
from tests.support.rows import contents, insert, links, lost, plan_rows, unsafe_tables
from tests.support.strategies import Check, Col, Expr, Field, Identity, Index, Ref, SqlType, Table, resources

EXAMPLES = int(os.environ.get("SNAPSHIFT_PROPERTY_EXAMPLES", "40"))


def reset(url: str) -> None:
    """Make `url` a just-created database again: an empty public schema and the tenant schema."""
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in user_schemas(conn):
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        conn.execute("CREATE SCHEMA public")
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(TENANT)))


def fresh_build(url: str, root: Path, files: Mapping[str, str]) -> Catalog:
    """The catalog of `url` built in one generate and migrate from `files`."""
    reset(url)
    ws = Workspace(root)
    write_all(ws, files)
    ws.generate(Answers(no_renames=True))
    apply(url, ws)
    return catalog(url)


def rollback(url: str, ws: Workspace, change: list[MigrationFile]) -> None:
    """Undo exactly the migrations of one generate: tenant ones first, then public ones."""
    tenant_dir = ws.project().config.default_repo.tenant_migrations_path
    tenant = [m.version for m in change if m.path.parent == tenant_dir]
    public = [m.version for m in change if m.path.parent != tenant_dir]
    Migrator(connector(url), ws.migrations(tenant=True), schema=TENANT).rollback(versions=tenant)
    Migrator(connector(url), ws.migrations()).rollback(versions=public)


def differences(actual: object, expected: object, path: str = "") -> list[str]:
    """Where two catalogs differ, one line per differing leaf."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        lines: list[str] = []
        for key in sorted(set(actual) | set(expected), key=str):
            where = f"{path}{key}"
            if key not in expected:
                lines.append(f"{where}: unexpected {actual[key]!r}")
            elif key not in actual:
                lines.append(f"{where}: missing, expected {expected[key]!r}")
            else:
                lines += differences(actual[key], expected[key], f"{where} / ")
        return lines
    return [] if actual == expected else [f"{path[:-3]}: {actual!r}, expected {expected!r}"]


def explain(actual: object, expected: object) -> str:
    return "\n".join(differences(actual, expected))


def pending(generation: Generation) -> str:
    ops = [op.describe() for r in generation.repos for m in r.migrations for op in m.operations]
    changed = [k.display() for r in generation.repos for k in r.diff.changed]
    return f"operations {ops}, changed tables {changed}, questions {[q.text() for q in generation.questions]}"


@pytest.fixture
def databases(new_database: NewDatabase) -> tuple[str, str]:
    """(step by step, fresh): created once for all examples of the test."""
    return new_database(), new_database()


BIGINT, TEXT, TIMESTAMPTZ = SqlType("bigint"), SqlType("text"), SqlType("timestamptz")


def key(name: str) -> Col:
    return Col(name, BIGINT, "bigint", primary_key=True, allow_nil=False)


def fk(name: str, table: str) -> Col:
    return Col(name, BIGINT, "bigint", ref=Ref((None, table), "id"))


# Shrunk examples the property found, kept so that they run on every run.
# Dropping a table whose foreign key points at its own primary key, which an identity also indexes.
SELF_REFERENCE = Scenario(
    (Table("authors", columns=(key("id"), fk("f1", "authors")), identities=(Identity("uq1", ("id",)),)),), ()
)
# Dropping two tables that reference each other.
MUTUAL_REFERENCES = Scenario(
    (
        Table("authors", columns=(key("id"), fk("f1", "posts"))),
        Table("posts", columns=(key("id"), fk("f1", "authors"))),
    ),
    (),
)
# A type change that drops a check over the column: the check must go before the type changes.
CHECK_DROPPED_BY_TYPE_CHANGE = Scenario(
    (
        Table(
            "posts",
            columns=(Col("c1", TEXT, "text"),),
            checks=(Check("ck1", Expr("length({c}) < 200", "c1", "text")),),
        ),
    ),
    (Table("posts", columns=(Col("c1", SqlType("jsonb"), "jsonb"),)),),
)
# A type change under a check and a partial index that stay: PostgreSQL re-parses their stored text.
RECENT = Expr("{c} > '2000-01-01'", "c1", "time")
KEPT_OVER_TYPE_CHANGE = Scenario(
    (Table("posts", columns=(Col("c1", TIMESTAMPTZ, "timestamptz"),), checks=(Check("ck1", RECENT),)),),
    (
        Table(
            "posts", columns=(Col("c1", SqlType("timestamp"), "timestamp"),), checks=(Check("ck1", RECENT),)
        ),
    ),
)
PARTIAL_INDEX_OVER_TYPE_CHANGE = Scenario(
    (
        Table(
            "posts",
            columns=(Col("c1", TIMESTAMPTZ, "timestamptz"),),
            indexes=(Index((Field("c1"),), where=RECENT),),
        ),
    ),
    (
        Table(
            "posts",
            columns=(Col("c1", SqlType("timestamp"), "timestamp"),),
            indexes=(Index((Field("c1"),), where=RECENT),),
        ),
    ),
)

# Serial columns in a generate that renames their table or column (issue 18 item 1): widened while the
# table is renamed, turned into a plain column with a default while it is renamed, and a serial key
# turned into an identity while its table is renamed. Rows go in, so the sequences' data must follow.
INTEGER = SqlType("integer")
SERIAL_N = Col("n", INTEGER, "serial", allow_nil=False, generated="serial")
COUNTERS = (Table("authors", columns=(key("id"), SERIAL_N)),)
SERIAL_WIDENED_IN_A_TABLE_RENAME = Scenario(
    COUNTERS,
    (
        Table(
            "tags",
            origin=(None, "authors"),
            columns=(key("id"), Col("n", BIGINT, "bigserial", allow_nil=False, generated="serial")),
        ),
    ),
)
SERIAL_REMOVED_IN_A_COLUMN_RENAME = Scenario(
    COUNTERS, (Table("authors", columns=(key("id"), Col("m", INTEGER, "integer", default=0, origin="n"))),)
)
SERIAL_KEY_TO_IDENTITY_IN_A_TABLE_RENAME = Scenario(
    (
        Table(
            "authors",
            columns=(replace(key("id"), spelling="bigserial", generated="serial"), fk("f1", "authors")),
        ),
    ),
    (
        Table(
            "tags",
            origin=(None, "authors"),
            columns=(replace(key("id"), generated="identity"), fk("f1", "tags")),
        ),
    ),
)
# Defaults DEFAULT takes only in parentheses, and ones it takes as written, nested (issue 18 item 2): in
# CREATE TABLE, then changed (SET DEFAULT) and in ADD COLUMN.
BOOLEAN, TEXT_DEFAULT = SqlType("boolean"), Sql("COALESCE(NULL, lower('X') || 'y')", "text")
DEFAULTS_IN_EVERY_STATEMENT = Scenario(
    (
        Table(
            "posts",
            columns=(
                key("id"),
                Col("c1", BOOLEAN, "boolean", default=Sql("NOT 1 IN (1, 2) OR 'a' LIKE 'a%'", "bool")),
                Col(
                    "c2",
                    INTEGER,
                    "integer",
                    default=Sql("CASE WHEN 2 BETWEEN 1 AND 3 THEN 1 + 2 ELSE 0 END", "int"),
                ),
            ),
        ),
    ),
    (
        Table(
            "posts",
            columns=(
                key("id"),
                Col("c1", BOOLEAN, "boolean", default=Sql("'' IS NULL AND NOT false", "bool")),
                Col("c2", INTEGER, "integer", default=Sql("(CAST('2' AS smallint))::integer * 2", "int")),
                Col("c3", SqlType("varchar", size=8), "varchar", allow_nil=False, default=TEXT_DEFAULT),
            ),
        ),
    ),
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    print_blob=True,
)
@given(scenario=scenarios())
@example(scenario=SELF_REFERENCE)
@example(scenario=MUTUAL_REFERENCES)
@example(scenario=CHECK_DROPPED_BY_TYPE_CHANGE)
@example(scenario=KEPT_OVER_TYPE_CHANGE)
@example(scenario=PARTIAL_INDEX_OVER_TYPE_CHANGE)
@example(scenario=SERIAL_WIDENED_IN_A_TABLE_RENAME)
@example(scenario=SERIAL_REMOVED_IN_A_COLUMN_RENAME)
@example(scenario=SERIAL_KEY_TO_IDENTITY_IN_A_TABLE_RENAME)
@example(scenario=DEFAULTS_IN_EVERY_STATEMENT)
def test_generate_a_then_b_matches_fresh_builds_and_rolls_back(
    scenario: Scenario, databases: tuple[str, str]
) -> None:
    work, fresh = databases
    files_a, files_b = resources(scenario.a), resources(scenario.b)
    root = Path(tempfile.mkdtemp(prefix="snapshift-property-"))
    try:
        reset(work)
        empty = catalog(work)
        ws = Workspace(root / "project")
        write_all(ws, files_a)
        first = ws.generate(Answers(no_renames=True))
        again = ws.plan()
        assert not again.has_changes, "generating again right after A is not a no-op: " + pending(again)
        apply(work, ws)
        after_a = catalog(work)
        expected_a = fresh_build(fresh, root / "fresh_a", files_a)
        assert after_a == expected_a, "A's ups differ from a fresh build of A:\n" + explain(
            after_a, expected_a
        )
        forward = links(scenario.a, scenario.b)
        unsafe = unsafe_tables(scenario.a, scenario.b, forward)
        insert(work, scenario.a, plan_rows(scenario.a, scenario.b, forward, 0, unsafe, lasting=True))
        rows_a = contents(work, scenario.a)

        write_all(ws, files_b)
        second = ws.generate(scenario.answers())
        note("B's migrations:\n" + "\n".join(m.path.read_text() for m in second))
        again = ws.plan()
        assert not again.has_changes, "generating again right after B is not a no-op: " + pending(again)
        apply(work, ws)
        after_b = catalog(work)
        expected_b = fresh_build(fresh, root / "fresh_b", files_b)
        assert after_b == expected_b, "A's then B's ups differ from a fresh build of B:\n" + explain(
            after_b, expected_b
        )
        gone = lost(rows_a, scenario.a, contents(work, scenario.b), scenario.b, forward)
        assert not gone, "B's ups lost rows: " + "; ".join(gone)
        insert(
            work, scenario.b, plan_rows(scenario.b, scenario.a, forward.reverse(), 1, unsafe, lasting=False)
        )
        rows_b = contents(work, scenario.b)

        rollback(work, ws, second)
        undone_b = catalog(work)
        assert undone_b == after_a, "B's downs do not restore the schema of A:\n" + explain(undone_b, after_a)
        gone = lost(rows_b, scenario.b, contents(work, scenario.a), scenario.a, forward.reverse())
        assert not gone, "B's downs lost rows: " + "; ".join(gone)
        rollback(work, ws, first)
        undone_a = catalog(work)
        assert undone_a == empty, "A's downs do not restore the empty database:\n" + explain(undone_a, empty)
    finally:
        shutil.rmtree(root, ignore_errors=True)
