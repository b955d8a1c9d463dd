"""Bad input never crashes and never writes: exit 2 with file, key and line (issue 2, item 6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.terminal import run
from tests.tui.cli.test_cli_generate import tree

BASE = """table = "posts"

[attributes]
id = { type = "uuid", primary_key = true }
title = { type = "text" }
author_id = { type = "uuid" }
"""

AUTHORS = 'table = "authors"\n\n[attributes]\nid = { type = "uuid", primary_key = true }\n'

# (case, resource text, key the message must name, line the message must name)
BAD = [
    (
        "unknown_key",
        BASE.replace('title = { type = "text" }', 'title = { type = "text", allow_nill = false }'),
        "allow_nill",
        5,
        "did you mean 'allow_nil'",
    ),
    ("unknown_type", BASE.replace('type = "text"', 'type = "txet"'), "type", 5, "txet"),
    (
        "bad_default",
        BASE.replace('title = { type = "text" }', 'title = { type = "text", default = "now(" }'),
        "default",
        5,
        "now(",
    ),
    (
        "unknown_reference_table",
        BASE.replace(
            'author_id = { type = "uuid" }',
            'author_id = { type = "uuid", references = { table = "writers" } }',
        ),
        "table",
        6,
        "writers",
    ),
    (
        "unknown_reference_column",
        BASE.replace(
            'author_id = { type = "uuid" }',
            'author_id = { type = "uuid", references = { table = "authors", column = "uuid" } }',
        ),
        "column",
        6,
        "uuid",
    ),
    (
        "identity_unknown_column",
        BASE + '\n[identities]\nunique_slug = { keys = ["slug"] }\n',
        "keys",
        9,
        "slug",
    ),
    ("index_unknown_column", BASE + '\n[[indexes]]\nfields = ["slug"]\n', "fields", 9, "slug"),
    ("name_too_long", BASE.replace("title =", "t" * 64 + " ="), "t" * 64, 5, "63"),
    (
        "bad_size",
        BASE.replace('title = { type = "text" }', 'title = { type = "varchar", size = "big" }'),
        "size",
        5,
        "size",
    ),
    (
        "duplicate_identity_index_name",
        BASE + '\n[identities]\na = { keys = ["title"], index_name = "x" }\n'
        'b = { keys = ["author_id"], index_name = "x" }\n',
        "identities.b",
        10,
        "x",
    ),
    ("expression_index_without_name", BASE + '\n[[indexes]]\nfields = ["lower(title)"]\n', "name", 9, "name"),
    ("toml_syntax", BASE + "\noops = \n", None, 8, "TOML"),
]


@pytest.mark.parametrize(("case", "text", "key", "line", "hint"), BAD, ids=[b[0] for b in BAD])
def test_bad_resource_exits_2_naming_file_key_line(
    tmp_path: Path, case: str, text: str, key: str | None, line: int, hint: str
) -> None:
    project = tmp_path / "p"
    (project / "resources").mkdir(parents=True)
    (project / "snapshift.toml").write_text('resources = ["resources/*.toml"]\n[repos.repo]\n')
    (project / "resources" / "authors.toml").write_text(AUTHORS)
    (project / "resources" / "posts.toml").write_text(BASE)
    assert run("-C", str(project), "generate").returncode == 0
    (project / "resources" / "posts.toml").write_text(text)
    before = tree(project)
    for args in (("generate",), ("generate", "--check"), ("generate", "--dry-run")):
        result = run("-C", str(project), *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        message = result.stderr
        assert "Traceback" not in message
        assert re.search(rf"posts\.toml:{line}\b", message), message
        if key is not None:
            assert key in message, message
        assert hint in message, message
    assert tree(project) == before


def test_bad_config_key_exits_2(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "resources").mkdir(parents=True)
    (project / "snapshift.toml").write_text(
        'resources = ["resources/*.toml"]\n\n[repos.repo]\nmigration_path = "m"\n'
    )
    before = tree(project)
    result = run("-C", str(project), "generate")
    assert result.returncode == 2
    assert re.search(r"snapshift\.toml:4\b", result.stderr) and "migrations_path" in result.stderr
    assert tree(project) == before


def test_duplicate_table_names_both_files(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "resources").mkdir(parents=True)
    (project / "snapshift.toml").write_text('resources = ["resources/*.toml"]\n[repos.repo]\n')
    (project / "resources" / "a.toml").write_text(AUTHORS)
    (project / "resources" / "b.toml").write_text(AUTHORS)
    result = run("-C", str(project), "generate")
    assert result.returncode == 2
    assert "a.toml" in result.stderr and "b.toml" in result.stderr and ":1" in result.stderr
    assert not (project / "priv").exists()


def project_with_migration(tmp_path: Path, filename: str) -> Path:
    project = tmp_path / "p"
    (project / "resources").mkdir(parents=True)
    (project / "snapshift.toml").write_text('resources = ["resources/*.toml"]\n[repos.repo]\n')
    (project / "resources" / "authors.toml").write_text(AUTHORS)
    migrations = project / "priv" / "repo" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / filename).write_text("-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n")
    return project


def test_a_future_version_that_is_no_timestamp_names_its_file(tmp_path: Path) -> None:
    project = project_with_migration(tmp_path, "99999999999999_by_hand.sql")
    before = tree(project)
    result = run("-C", str(project), "generate")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "99999999999999_by_hand.sql" in result.stderr and "timestamp" in result.stderr
    assert tree(project) == before


def test_older_versions_that_are_no_timestamps_are_fine(tmp_path: Path) -> None:
    project = project_with_migration(tmp_path, "1_first.sql")
    result = run("-C", str(project), "generate")
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (project / "priv" / "repo" / "migrations").iterdir())
    assert written[0] == "1_first.sql" and re.fullmatch(r"\d{14}_migrate_resources1\.sql", written[1])


def test_a_future_version_does_not_matter_when_there_is_nothing_to_generate(tmp_path: Path) -> None:
    project = project_with_migration(tmp_path, "1_first.sql")
    assert run("-C", str(project), "generate").returncode == 0
    (project / "priv" / "repo" / "migrations" / "99999999999999_by_hand.sql").write_text("-- migrate:up\n")
    for args in (("generate", "--check"), ("generate",)):
        result = run("-C", str(project), *args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
