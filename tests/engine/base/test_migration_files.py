"""Migration files without a database: statement splitting, sections, errors, rendering, listing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snapshift.engine.base.atomic import write_atomic
from snapshift.engine.base.errors import InputError, UsageError
from snapshift.engine.base.migrations import (
    MigrationFile,
    SqlStatement,
    list_migrations,
    migration_filename,
    parse_migration,
    render_migration_file,
    split_statements,
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select 1; select 2;", ["select 1;", "select 2;"]),
        ("select 'a;b'; select 2", ["select 'a;b';", "select 2"]),
        ("select 'it''s; ok';", ["select 'it''s; ok';"]),
        ('select "a;""b" from t;', ['select "a;""b" from t;']),
        ("select E'x\\';y';select 1;", ["select E'x\\';y';", "select 1;"]),
        ("select e'\\\\'; select 'x';", ["select e'\\\\';", "select 'x';"]),
        ("select 'back\\'; select 1;", ["select 'back\\';", "select 1;"]),
        ("create function f() returns int as $$ select 1; $$ language sql;", None),
        ("do $body$ begin perform 1; raise notice '$$;'; end $body$;", None),
        ("do $a$ select $b$ ; $b$; $a$;", None),
        ("do $é😀_1$ select 1; $é😀_1$;", None),  # any non-ASCII character, as PostgreSQL's lexer
        ("select $1; select a$b$c;", ["select $1;", "select a$b$c;"]),
        ("/* one; /* nested; */ still; */ select 1;", ["select 1;"]),
        ("select 1 /* inner; */ + 2;", None),
        ("-- a comment; with a semicolon\nselect 1;", ["select 1;"]),
        ("select 1 -- trailing; comment\n + 1;", None),
        ("-- only a comment;\n/* and; another */", []),
        (";;  ; select 1;;", ["select 1;"]),
        ("select 1 -- no semicolon at the end", ["select 1"]),
        ("select U&'d\\0061t;a';", None),
        ("$$;$$", None),
        ("'a;b'", None),
    ],
)
def test_statement_splitting(sql: str, expected: list[str] | None) -> None:
    assert split_statements(sql) == (expected if expected is not None else [sql])


def test_statement_lines_point_at_the_first_sql_token(tmp_path: Path) -> None:
    text = (
        "-- a header\n"  # 1
        "-- migrate:up\n"  # 2
        "CREATE TABLE a (\n"  # 3
        "  id int\n"  # 4
        ");\n"  # 5
        "\n"  # 6
        "-- why the next one\n"  # 7
        "CREATE FUNCTION f() RETURNS int AS $$\n"  # 8
        "  SELECT 1;\n"  # 9
        "$$ LANGUAGE sql; CREATE TABLE b (id int);\n"  # 10
        "-- migrate:down\n"  # 11
        "DROP TABLE b; DROP FUNCTION f;\n"  # 12
        "/* multi\nline */ DROP TABLE a;\n"  # 13-14
    )
    migration = parse_migration(write(tmp_path, "20240101000000_first.sql", text))
    assert [(s.line, s.text.split()[0:2]) for s in migration.up] == [
        (3, ["CREATE", "TABLE"]),
        (8, ["CREATE", "FUNCTION"]),
        (10, ["CREATE", "TABLE"]),
    ]
    assert migration.up[0].text == "CREATE TABLE a (\n  id int\n);"
    assert [s.line for s in migration.down] == [12, 12, 14]
    assert migration.version == 20240101000000
    assert migration.name == "first"
    assert migration.label == "20240101000000_first"
    assert not migration.no_transaction
    assert migration.irreversible is None


def test_no_transaction_and_irreversible_markers(tmp_path: Path) -> None:
    text = (
        "-- created by hand\n-- migrate:no-transaction\n-- migrate:up\n"
        "CREATE INDEX CONCURRENTLY i ON t (c);\n"
        "-- migrate:down\n-- migrate:irreversible   data was deleted  \n"
    )
    migration = parse_migration(write(tmp_path, "1_idx.sql", text))
    assert migration.no_transaction
    assert migration.irreversible == "data was deleted"
    assert migration.down == ()
    bare = parse_migration(
        write(tmp_path, "2_bare.sql", "-- migrate:up\n-- migrate:down\n-- migrate:irreversible\n")
    )
    assert bare.irreversible == "no reason given"


def test_dbmate_transaction_false_is_understood(tmp_path: Path) -> None:
    path = write(tmp_path, "3_x.sql", "-- migrate:up transaction:false\nSELECT 1;\n-- migrate:down\n")
    assert parse_migration(path).no_transaction


def test_a_missing_down_section_makes_the_file_irreversible(tmp_path: Path) -> None:
    migration = parse_migration(write(tmp_path, "4_x.sql", "-- migrate:up\nSELECT 1;\n"))
    assert migration.up == (SqlStatement("SELECT 1;", 2),)
    assert migration.down == ()
    assert migration.irreversible is not None and "no `-- migrate:down` section" in migration.irreversible
    empty = parse_migration(write(tmp_path, "5_x.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\n"))
    assert empty.down == () and empty.irreversible is None


def test_a_statement_without_semicolon_ends_at_the_next_marker(tmp_path: Path) -> None:
    migration = parse_migration(
        write(tmp_path, "5_x.sql", "-- migrate:up\nSELECT 1\n-- migrate:down\nSELECT 2\n")
    )
    assert [s.text for s in migration.up] == ["SELECT 1"]
    assert [s.text for s in migration.down] == ["SELECT 2"]


def test_a_marker_inside_a_dollar_quoted_body_is_text(tmp_path: Path) -> None:
    body = "CREATE FUNCTION f() RETURNS int AS $$\n-- migrate:down\nSELECT 1;\n$$ LANGUAGE sql;"
    migration = parse_migration(
        write(tmp_path, "6_x.sql", f"-- migrate:up\n{body}\n-- migrate:down\nDROP FUNCTION f;\n")
    )
    assert [s.text for s in migration.up] == [body]
    assert [s.text for s in migration.down] == ["DROP FUNCTION f;"]


@pytest.mark.parametrize(
    ("name", "text", "line", "needle"),
    [
        ("1_a.sql", "-- just a comment\n", 1, "no `-- migrate:up`"),
        ("1_a.sql", "SELECT 1;\n", 1, "SQL before"),
        ("1_a.sql", "-- hi\nSELECT 1;\n-- migrate:up\n", 2, "SQL before"),
        ("1_a.sql", "-- migrate:up\nSELECT $x$ oops;\n-- migrate:down\n", 2, "unterminated dollar-quoted"),
        ("1_a.sql", "-- migrate:up\n\nSELECT 'oops;\n", 3, "unterminated quoted string"),
        ("1_a.sql", "-- migrate:up\nSELECT /* open\n", 2, "unterminated /* comment"),
        ("1_a.sql", "-- migrate:up\n-- migrate:donw\n", 2, "unknown directive"),
        ("1_a.sql", "-- migrate:up\n-- migrate:no-transaction\n", 2, "must come before"),
        ("1_a.sql", "-- migrate:up\n-- migrate:up\n", 2, "a second"),
        ("1_a.sql", "-- migrate:down\n-- migrate:up\n", 1, "before `-- migrate:up`"),
        ("1_a.sql", "-- migrate:up\n-- migrate:irreversible x\n", 2, "belongs in the down section"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path: Path, name: str, text: str, line: int, needle: str) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(InputError) as raised:
        parse_migration(path)
    assert raised.value.location.path == path
    assert raised.value.location.line == line
    assert needle in str(raised.value)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("name", ["add_posts.sql", "2024x_add.sql", "20240101_.sql", "_x.sql"])
def test_bad_file_names(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, "-- migrate:up\n")
    with pytest.raises(InputError, match="must be named") as raised:
        parse_migration(path)
    assert raised.value.location.path == path


def test_list_migrations_sorts_by_version_and_reads_only_sql(tmp_path: Path) -> None:
    write(tmp_path, "20240102000000_b.sql", "-- migrate:up\nSELECT 2;\n")
    write(tmp_path, "20240101000000_a.sql", "-- migrate:up\nSELECT 1;\n")
    write(tmp_path, "900_c.sql", "-- migrate:up\nSELECT 3;\n")
    write(tmp_path, "README.md", "not a migration")
    (tmp_path / "nested").mkdir()
    write(tmp_path / "nested", "1_nested.sql", "-- migrate:up\n")
    assert [m.version for m in list_migrations(tmp_path)] == [900, 20240101000000, 20240102000000]


def test_list_migrations_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert list_migrations(tmp_path / "nope") == []


def test_duplicate_versions_name_both_files(tmp_path: Path) -> None:
    write(tmp_path, "20240101000000_a.sql", "-- migrate:up\n")
    write(tmp_path, "20240101000000_b.sql", "-- migrate:up\n")
    with pytest.raises(InputError) as raised:
        list_migrations(tmp_path)
    assert "20240101000000_a.sql" in str(raised.value)
    assert "20240101000000_b.sql" in str(raised.value)


def test_render_layout() -> None:
    text = render_migration_file(
        ["CREATE TABLE a (\n  id int\n);", "CREATE INDEX a_id ON a (id);"],
        ["DROP TABLE a;"],
        header=["Generated by snapshift", "two\nlines"],
    )
    assert text == (
        "-- Generated by snapshift\n-- two\n-- lines\n-- migrate:up\n"
        "CREATE TABLE a (\n  id int\n);\n\nCREATE INDEX a_id ON a (id);\n\n"
        "-- migrate:down\nDROP TABLE a;\n"
    )


def test_render_refuses_a_header_that_reads_as_a_directive() -> None:
    with pytest.raises(ValueError, match="directive"):
        render_migration_file([], [], header=["migrate:down"])


def test_render_parse_round_trip(tmp_path: Path) -> None:
    up = [
        "CREATE TABLE \"we;ird\" (\n  note text DEFAULT 'a;b'\n);",
        "CREATE FUNCTION f() RETURNS trigger AS $fn$\nBEGIN\n  RETURN NEW; -- ;\nEND;\n$fn$"
        " LANGUAGE plpgsql;",
        "COMMENT ON TABLE \"we;ird\" IS E'it\\'s;';",
    ]
    down = ["DROP FUNCTION f;", 'DROP TABLE "we;ird";']
    text = render_migration_file(up, down, no_transaction=True, header=["h"], irreversible="drops data")
    migration = parse_migration(write(tmp_path, migration_filename(20240101000000, "weird"), text))
    assert [s.text for s in migration.up] == up
    assert [s.text for s in migration.down] == down
    assert migration.no_transaction
    assert migration.irreversible == "drops data"
    assert isinstance(migration, MigrationFile)


FRAGMENTS = [
    "SELECT 1",
    "SELECT 'a;b'",
    'SELECT "x;y" FROM t',
    "SELECT E'q\\';'",
    "SELECT $$ ; $$",
    "SELECT $t$ $$ ; $t$",
    "SELECT 1 /* ; */ + 1",
    "SELECT 1 -- ;\n + 2",
    "SELECT\n  2",
]


@given(
    st.lists(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=3), max_size=5),
    st.lists(st.sampled_from(FRAGMENTS), max_size=4),
)
def test_round_trip_property(up_parts: list[list[str]], down_parts: list[str]) -> None:
    up = [" UNION ALL ".join(parts) + ";" for parts in up_parts]
    down = [part + ";" for part in down_parts]
    text = render_migration_file(up, down)
    parsed = split_statements(text.split("-- migrate:up\n", 1)[1].split("\n-- migrate:down\n", 1)[0])
    assert parsed == up
    assert split_statements(text.split("\n-- migrate:down\n", 1)[1]) == down


def test_migration_filename() -> None:
    assert migration_filename(20240101120000, "add_posts") == "20240101120000_add_posts.sql"
    for bad in ["", "a/b", "has space", "../x/y"]:
        with pytest.raises(UsageError):
            migration_filename(1, bad)


def test_write_atomic_creates_folders_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "priv" / "repo" / "migrations" / "1_a.sql"
    write_atomic(target, "-- migrate:up\nSELECT 'é';\n")
    assert target.read_text(encoding="utf-8") == "-- migrate:up\nSELECT 'é';\n"
    write_atomic(target, "second\n")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["1_a.sql"]
