"""Issue 11, items 1 and 2: every name that becomes part of a path gives a folder inside the project, and
two tables never one folder (engine/base/pathnames.py, engine/autogen/confine.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snapshift.engine.autogen.snapshots import table_folder, table_folders
from snapshift.engine.base.pathnames import decode_name, encode_name, parse_table_folder_name
from snapshift.engine.resources.model import TableKey
from tests.support.terminal import run

MAX_NAME = 255  # NAME_MAX of common file systems, in bytes

# identifiers PostgreSQL accepts (quoted): anything but NUL, 1 to 63 bytes
HOSTILE = [
    "..",
    ".",
    "...",
    "a.b",
    "a/b",
    "/",
    "//",
    "../../../../escaped/x",
    "..\\..\\x",
    "C:\\x",
    "~",
    "~root",
    "%2E%2E",
    "%",
    "%zz",
    "a%2Fb",
    '"quoted"',
    "it's",
    "tab\there",
    "new\nline",
    "\x01\x1f\x7f",
    " ",
    " leading",
    "trailing ",
    "tenants",
    "Users",
    "users",
    "ünïcödé",
    "日本語のテーブル",
    "emoji 🐘",
    "e\u0301",  # e + combining accent (NFD)
    "\u00e9",  # é (NFC)
    "x" * 63,
    "." * 63,
    "/" * 63,
    "é" * 31,
    "🐘" * 15,
    "a.b.c",
    "CON",
    "nul",
    "$dollar",
    "*?<>|:",
]

identifiers = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1).filter(
    lambda name: len(name.encode()) <= 63
)
keys = st.builds(
    lambda schema, name, tenant: TableKey(None if tenant else schema, name, tenant),
    st.none() | identifiers,
    identifiers,
    st.booleans(),
)


def check_inside(root: Path, key: TableKey) -> Path:
    """The key's folder: right inside the repo's snapshot folder (or its `tenants/`), each part a plain,
    short enough file name, and read back as the same table."""
    folder = table_folder(root, key)
    relative = folder.relative_to(root)
    expected_depth = 2 if key.tenant else 1
    assert len(relative.parts) == expected_depth, (key, relative)
    if key.tenant:
        assert relative.parts[0] == "tenants"
    name = relative.parts[-1]
    assert name not in ("", ".", "..") and "/" not in name and "\\" not in name and "\x00" not in name
    assert name.isascii() and name.isprintable(), name
    assert len(name.encode()) <= MAX_NAME, (key, len(name))
    assert os.path.normpath(folder) == str(folder)
    return folder


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_gets_a_folder_inside_the_repo(tmp_path: Path, name: str) -> None:
    assert decode_name(encode_name(name)) == name
    for key in (TableKey(None, name), TableKey(name, name), TableKey("s", name), TableKey(None, name, True)):
        check_inside(tmp_path, key)


def test_every_hostile_name_reads_back_as_its_table(tmp_path: Path) -> None:
    """Hundreds of keys made of the names above get distinct folders, which `table_folders` maps back."""
    all_keys = {TableKey(None, n) for n in HOSTILE} | {TableKey(None, n, True) for n in HOSTILE}
    all_keys |= {TableKey(schema, n) for schema in HOSTILE[:12] for n in HOSTILE}
    folders = {key: check_inside(tmp_path, key) for key in all_keys}
    assert len(set(folders.values())) == len(all_keys) > 500
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "20240101000000.json").write_text("{}")
    read = dict(table_folders(tmp_path))
    assert read == {str(folder): key for key, folder in folders.items()}


def test_ordinary_names_keep_their_folders(tmp_path: Path) -> None:
    assert table_folder(tmp_path, TableKey(None, "posts")) == tmp_path / "posts"
    assert table_folder(tmp_path, TableKey("audit", "events")) == tmp_path / "audit.events"
    assert table_folder(tmp_path, TableKey(None, "Post_Tags-2")) == tmp_path / "Post_Tags-2"
    assert table_folder(tmp_path, TableKey(None, "items", True)) == tmp_path / "tenants" / "items"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(keys, min_size=1, max_size=8, unique=True))
def test_any_identifiers_get_distinct_folders_inside_the_repo(batch: list[TableKey]) -> None:
    root = Path("/project/priv/resource_snapshots/repo")
    folders = [check_inside(root, key) for key in batch]
    assert len(set(folders)) == len(batch)
    for key, folder in zip(batch, folders, strict=True):
        if key.tenant:
            assert decode_name(folder.name) == key.name
        else:
            assert parse_table_folder_name(folder.name) == (key.schema, key.name)


# -- end to end, through the CLI ----------------------------------------------------------------------


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def project(tmp_path: Path, url: str | None = None) -> Path:
    root = tmp_path / "work" / "deep" / "p"
    (root / "resources").mkdir(parents=True)
    repo = f'[repos.repo]\nurl = "{url}"\n' if url else "[repos.repo]\n"
    (root / "snapshift.toml").write_text(repo)
    return root


def resource(root: Path, file: str, table: str, schema: str | None = None) -> Path:
    path = root / "resources" / file
    head = f"table = {json.dumps(table)}\n" + (f"schema = {json.dumps(schema)}\n" if schema else "")
    path.write_text(head + '[attributes]\nid = { type = "bigint", primary_key = true }\n')
    return path


ESCAPES = ["../../../../escaped/x", "../escaped", "..", ".", "x/y", "/tmp/abs", "tenants/../..", "a\\..\\b"]


def test_a_hostile_table_name_never_writes_outside_the_project(tmp_path: Path) -> None:
    root = project(tmp_path)
    for number, name in enumerate(ESCAPES):
        resource(root, f"t{number}.toml", name)
    resource(root, "s.toml", "x", schema="../../..")
    outside_before = {p for p in tmp_path.rglob("*") if root not in (p, *p.parents)}
    result = run("-C", str(root), "generate")
    assert result.returncode == 0, result.stdout + result.stderr
    outside_after = {p for p in tmp_path.rglob("*") if root not in (p, *p.parents)}
    assert outside_after == outside_before
    snapshots = root / "priv" / "resource_snapshots" / "repo"
    assert len([p for p in snapshots.iterdir() if p.is_dir()]) == len(ESCAPES) + 1
    for path in snapshots.rglob("*.json"):
        assert path.parent.parent == snapshots, path
    before = tree(root)
    check = run("-C", str(root), "generate", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert tree(root) == before


def test_a_public_dotted_table_and_a_schema_table_keep_two_folders(tmp_path: Path, database_url: str) -> None:
    """Public `a.b` and table `b` in schema `a` once shared folder `a.b`: the second snapshot overwrote the
    first, and the next generate created the overwritten table again (failing at migrate)."""
    root = project(tmp_path, database_url)
    resource(root, "dotted.toml", "a.b")
    resource(root, "schema.toml", "b", schema="a")
    assert run("-C", str(root), "generate").returncode == 0
    snapshots = root / "priv" / "resource_snapshots" / "repo"
    assert sorted(p.name for p in snapshots.iterdir()) == ["a%2Eb", "a.b"]
    migrate = run("-C", str(root), "migrate")
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    check = run("-C", str(root), "generate", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    (root / "resources" / "schema.toml").write_text(
        (root / "resources" / "schema.toml").read_text() + 'title = { type = "text" }\n'
    )
    assert run("-C", str(root), "generate").returncode == 0
    migrate = run("-C", str(root), "migrate")
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert run("-C", str(root), "generate", "--check").returncode == 0


def test_names_that_differ_only_in_case_are_refused_naming_both_files(tmp_path: Path) -> None:
    root = project(tmp_path)
    first = resource(root, "upper.toml", "Users")
    second = resource(root, "lower.toml", "users")
    result = run("-C", str(root), "generate")
    assert result.returncode == 2, result.stdout + result.stderr
    assert str(first) in result.stderr and str(second) in result.stderr
    assert "would share the snapshot folder" in result.stderr
    assert not (root / "priv").exists()
    second.unlink()  # the same when one of them has its snapshots already
    assert run("-C", str(root), "generate").returncode == 0
    second = resource(root, "lower.toml", "users")
    before = tree(root)
    result = run("-C", str(root), "generate")
    assert result.returncode == 2, result.stdout + result.stderr
    assert str(second) in result.stderr and "would share the snapshot folder" in result.stderr
    assert tree(root) == before


def test_a_symlinked_table_folder_is_never_written_through(tmp_path: Path) -> None:
    root = project(tmp_path)
    resource(root, "posts.toml", "posts")
    assert run("-C", str(root), "generate").returncode == 0
    folder = root / "priv" / "resource_snapshots" / "repo" / "posts"
    elsewhere = tmp_path / "elsewhere"
    folder.rename(elsewhere)
    folder.symlink_to(elsewhere)
    before = tree(elsewhere)
    (root / "resources" / "posts.toml").write_text(
        (root / "resources" / "posts.toml").read_text() + 'title = { type = "text" }\n'
    )
    migrations = tree(root / "priv" / "repo" / "migrations")
    result = run("-C", str(root), "generate")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "outside the repo's migrations and snapshot folders" in result.stderr
    assert tree(elsewhere) == before
    assert tree(root / "priv" / "repo" / "migrations") == migrations


def test_two_folders_holding_one_table_are_refused_naming_both(tmp_path: Path) -> None:
    root = project(tmp_path)
    resource(root, "posts.toml", "posts")
    assert run("-C", str(root), "generate").returncode == 0
    snapshots = root / "priv" / "resource_snapshots" / "repo"
    copy = snapshots / "posts_copy"
    copy.mkdir()
    for snapshot in (snapshots / "posts").iterdir():
        (copy / snapshot.name).write_bytes(snapshot.read_bytes())
    result = run("-C", str(root), "generate", "--check")
    assert result.returncode == 2, result.stdout + result.stderr
    assert str(snapshots / "posts") in result.stderr and str(copy) in result.stderr


def test_a_folder_an_older_snapshift_named_stays_in_use(tmp_path: Path) -> None:
    """Before names were encoded, table `my table` had folder `my table`: its snapshots stay there."""
    root = project(tmp_path)
    resource(root, "t.toml", "my table")
    assert run("-C", str(root), "generate").returncode == 0
    snapshots = root / "priv" / "resource_snapshots" / "repo"
    (snapshots / "my%20table").rename(snapshots / "my table")
    assert run("-C", str(root), "generate", "--check").returncode == 0
    (root / "resources" / "t.toml").write_text(
        (root / "resources" / "t.toml").read_text() + 'x = { type = "text" }\n'
    )
    assert run("-C", str(root), "generate").returncode == 0
    assert sorted(p.name for p in snapshots.iterdir()) == ["my table"]
    assert len(list((snapshots / "my table").iterdir())) == 2
    assert run("-C", str(root), "generate", "--check").returncode == 0
    (root / "resources" / "t.toml").unlink()
    assert run("-C", str(root), "generate", "--drop-table", "my table").returncode == 0
    assert list(snapshots.iterdir()) == []
