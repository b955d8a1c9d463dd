"""The reproductions of issue 11 item 8 and issue 18 items 1 and 2 through snapshift's own commands on a
real PostgreSQL: generate, migrate, rollback all exit 0 and the rollback restores the schema."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from snapshift.engine.db.catalog import Catalog, read_catalog
from snapshift.tui.cli.main import main

AUTHORS = 'table = "{}"\n[attributes]\nid = {{ type = "bigint", primary_key = true, generated = true }}\n'
POSTS = 'table = "posts"\n[attributes]\nid = {{ type = "uuid", primary_key = true }}\nauthor_id = {}\n'
COUNTERS = 'table = "{}"\n[attributes]\nid = {{ type = "bigint", primary_key = true, {} }}\n'


def project(root: Path, url: str, resources: dict[str, str]) -> list[str]:
    (root / "resources").mkdir(parents=True, exist_ok=True)
    (root / "snapshift.toml").write_text(f'resources = ["resources/*.toml"]\n\n[repos.repo]\nurl = "{url}"\n')
    write(root, resources)
    return ["-C", str(root)]


def write(root: Path, resources: dict[str, str]) -> None:
    for old in (root / "resources").glob("*.toml"):
        old.unlink()
    for name, text in resources.items():
        (root / "resources" / f"{name}.toml").write_text(text)


def catalog(url: str) -> Catalog:
    with psycopg.connect(url) as conn:
        return read_catalog(conn)


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    return captured.out


@pytest.mark.parametrize(
    ("before", "after", "flags"),
    [
        pytest.param(
            {"authors": AUTHORS.format("authors"), "posts": POSTS.format(
                '{ type = "bigint", references = { table = "authors" } }')},
            {"writers": AUTHORS.format("writers"), "posts": POSTS.format('{ type = "bigint" }')},
            ["--rename-table", "authors=writers"],
            id="issue-11.8-reference-removed",
        ),
        pytest.param(
            {"authors": AUTHORS.format("authors"), "posts": POSTS.format(
                '{ type = "bigint", references = { table = "authors" } }')},
            {"writers": AUTHORS.format("writers")},
            ["--rename-table", "authors=writers", "--drop-table", "posts"],
            id="issue-11.8-referencing-table-dropped",
        ),
        pytest.param(
            {"counters": COUNTERS.format("counters", "generated = true")},
            {"tallies": COUNTERS.format("tallies", "default = 0")},
            ["--rename-table", "counters=tallies"],
            id="issue-18.1-serial-becomes-a-default",
        ),
        pytest.param(
            {"counters": COUNTERS.format("counters", 'type = "integer", generated = true').replace(
                'type = "bigint", ', "")},
            {"tallies": COUNTERS.format("tallies", "generated = true")},
            ["--rename-table", "counters=tallies"],
            id="issue-18.1-serial-widened",
        ),
        pytest.param(
            {"counters": COUNTERS.format("counters", "generated = true")},
            {"counters": COUNTERS.format("counters", 'generated = true')
             + 'ready = { type = "boolean", default = "NOT false" }\n'},
            [],
            id="issue-18.2-default-in-parentheses",
        ),
    ],
)  # fmt: skip
def test_generate_migrate_rollback_through_the_commands(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    before: dict[str, str],
    after: dict[str, str],
    flags: list[str],
) -> None:
    at = project(tmp_path, database_url, before)
    ok(capsys, *at, "generate", "--name", "first")
    ok(capsys, *at, "migrate")
    first = catalog(database_url)
    write(tmp_path, after)
    ok(capsys, *at, "generate", "--name", "second", *flags)
    assert main([*at, "generate", "--check"]) == 0
    ok(capsys, *at, "migrate")
    ok(capsys, *at, "rollback")
    assert catalog(database_url) == first
    ok(capsys, *at, "migrate")
