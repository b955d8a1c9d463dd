"""Issue 11, items 6 and 7 (the file side): deep nesting, tenant names, too many columns and migration
names are exit 2 naming the file and key, never a traceback or a failure at migrate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.terminal import run

DEPTH = 600
CONFIG = '[repos.repo]\nurl = "postgresql://postgres@127.0.0.1/unused"\n'


def project(tmp_path: Path, config: str = CONFIG) -> Path:
    root = tmp_path / "p"
    (root / "resources").mkdir(parents=True)
    (root / "snapshift.toml").write_text(config)
    return root


def refused(root: Path, *args: str) -> str:
    result = run("-C", str(root), *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr, result.stderr
    return result.stderr


NESTED = {
    "arrays": "x = " + "[" * DEPTH + "]" * DEPTH,
    "inline tables": "x = " + "{ a = " * DEPTH + "1" + " }" * DEPTH,
    "arrays of inline tables": "x = " + "[{ a = " * DEPTH + "1" + " }]" * DEPTH,
    "a dotted header": "[" + ".".join(["a"] * DEPTH) + "]",
    "a dotted key": ".".join(["a"] * DEPTH) + " = 1",
    "just past the limit": "x = " + "[" * 81 + "]" * 81,
}


@pytest.mark.parametrize("text", NESTED.values(), ids=NESTED.keys())
def test_deep_nesting_in_a_resource_file_is_exit_2_naming_it(tmp_path: Path, text: str) -> None:
    root = project(tmp_path)
    resource = root / "resources" / "t.toml"
    resource.write_text(f'table = "t"\n{text}\n')
    for command in (["generate"], ["generate", "--check"]):
        stderr = refused(root, *command)
        assert f"{resource}" in stderr and "nested more than 80 levels deep" in stderr, stderr
    assert not (root / "priv").exists()


def test_deep_nesting_just_below_the_limit_reads(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "resources" / "t.toml").write_text('table = "t"\nx = ' + "[" * 80 + "]" * 80 + "\n")
    stderr = refused(root, "generate")
    assert "unknown key 'x'" in stderr or "'x'" in stderr, stderr  # read, then refused as an unknown key


@pytest.mark.parametrize("text", NESTED.values(), ids=NESTED.keys())
def test_deep_nesting_in_the_config_is_exit_2_naming_it(tmp_path: Path, text: str) -> None:
    root = project(tmp_path, f"{text}\n{CONFIG}")
    config = root / "snapshift.toml"
    for command in (["generate"], ["status"], ["migrate"]):
        stderr = refused(root, *command)
        assert f"{config}" in stderr and "nested more than 80 levels deep" in stderr, (command, stderr)
    config.unlink()  # the same in pyproject.toml's [tool.snapshift]
    pyproject = root / "pyproject.toml"
    pyproject.write_text(f"[tool.snapshift]\n{text.replace('[a.', '[tool.snapshift.a.')}\n")
    stderr = refused(root, "generate")
    assert f"{pyproject}" in stderr and "nested more than 80 levels deep" in stderr, stderr


def test_a_deep_extensions_snapshot_or_journal_is_exit_2_naming_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "resources" / "t.toml").write_text(
        'table = "t"\n[attributes]\nid = { type = "bigint", primary_key = true }\n'
    )
    assert run("-C", str(root), "generate").returncode == 0
    extensions = root / "priv" / "resource_snapshots" / "repo" / "extensions.json"
    extensions.write_text('{"installed": ' + "[" * 100_000 + "]" * 100_000 + "}")
    stderr = refused(root, "generate", "--check")
    assert str(extensions) in stderr, stderr
    extensions.unlink()
    journal = root / ".snapshift-pending.json"
    journal.write_text('{"renames": ' + "[" * 100_000 + "]" * 100_000 + "}")
    stderr = refused(root, "generate")
    assert str(journal) in stderr, stderr


# -- tenants -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("tenant", ["a\\u0000b", "tab\\there", "new\\nline", "\\u007f", "\\u0085"])
def test_a_control_character_in_a_tenant_name_is_exit_2_naming_the_key(tmp_path: Path, tenant: str) -> None:
    root = project(tmp_path, f'{CONFIG}tenants = ["org_a", "{tenant}"]\n')
    for command in (["generate"], ["status"], ["migrate", "--tenants"]):
        stderr = refused(root, *command)
        assert f"{root / 'snapshift.toml'}:3, key 'repos.repo.tenants[1]'" in stderr, stderr
        assert "control character" in stderr, stderr


@pytest.mark.parametrize(
    ("tenant", "reason"),
    [
        ("public", "schema_migrations"),
        ("pg_x", "reserves"),
        ("org_b ", "ends with a space"),
        (" org_b", "starts"),
    ],
)
def test_a_tenant_named_like_the_repos_own_schema_is_refused(
    tmp_path: Path, tenant: str, reason: str
) -> None:
    root = project(tmp_path, f'{CONFIG}tenants = ["org_a", "{tenant}"]\n')
    stderr = refused(root, "generate")
    assert "key 'repos.repo.tenants[1]'" in stderr and reason in stderr, stderr


def test_a_tenant_named_like_another_schema_is_fine(tmp_path: Path) -> None:
    """Quoted, `PUBLIC` is a schema of its own; only `public` holds the repo's schema_migrations."""
    root = project(tmp_path, f'{CONFIG}tenants = ["org_a", "public_x", "PUBLIC", "Org B", "ünï"]\n')
    (root / "resources" / "t.toml").write_text(
        'table = "t"\n[attributes]\nid = { type = "uuid", primary_key = true }\n'
    )
    result = run("-C", str(root), "generate")
    assert result.returncode == 0, result.stdout + result.stderr


# -- columns -----------------------------------------------------------------------------------------


def wide(columns: int) -> str:
    lines = ['table = "wide"', "[attributes]", 'id = { type = "bigint", primary_key = true }']
    lines += [f'c{n} = {{ type = "integer" }}' for n in range(columns - 1)]
    return "\n".join(lines) + "\n"


def test_more_than_1600_columns_is_exit_2_at_generate_naming_the_file(tmp_path: Path) -> None:
    root = project(tmp_path)
    resource = root / "resources" / "wide.toml"
    resource.write_text(wide(1601))
    stderr = refused(root, "generate")
    assert f"{resource}" in stderr and "key 'attributes'" in stderr and "1601 columns" in stderr, stderr
    assert "1600" in stderr
    assert not (root / "priv").exists()


def test_1600_columns_are_fine(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "resources" / "wide.toml").write_text(wide(1600))
    result = run("-C", str(root), "generate")
    assert result.returncode == 0, result.stdout + result.stderr


# -- migration names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../../escaped",
        "a/b",
        "a\\b",
        "add\nposts",
        "add_posts\n",
        "add posts",
        "x\x00y",
        "tab\t",
        "é" * 91,
        "x" * 181,
    ],
)
def test_a_migration_name_that_is_not_a_plain_word_is_exit_2(tmp_path: Path, name: str) -> None:
    root = project(tmp_path)
    (root / "resources" / "t.toml").write_text(
        'table = "t"\n[attributes]\nid = { type = "bigint", primary_key = true }\n'
    )
    if "\x00" in name:  # an argument cannot hold NUL: the API path
        from snapshift.engine.autogen.generate import GenerateOptions
        from snapshift.engine.base.errors import UsageError
        from snapshift.engine.project import Project

        with pytest.raises(UsageError, match="invalid migration name"):
            Project.open(root).generate(options=GenerateOptions(name=name))
        assert not (root / "priv").exists()
        return
    stderr = refused(root, "generate", "--name", name)
    assert "invalid migration name" in stderr, stderr
    assert not (root / "priv").exists()
    assert not (tmp_path / "escaped").exists()


def test_a_plain_migration_name_is_fine(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "resources" / "t.toml").write_text(
        'table = "t"\n[attributes]\nid = { type = "bigint", primary_key = true }\n'
    )
    result = run("-C", str(root), "generate", "--name", "add_t.v2-final")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name.split("_", 1)[1] for p in (root / "priv" / "repo" / "migrations").iterdir()] == [
        "add_t.v2-final.sql"
    ]


def test_a_repo_name_is_a_plain_word(tmp_path: Path) -> None:
    root = project(tmp_path, '[repos."../../escaped"]\n')
    stderr = refused(root, "generate")
    assert "repo name" in stderr, stderr
    assert json.dumps("../../escaped")[1:-1] in stderr


def test_a_tenants_query_returning_the_repos_own_schema_is_refused(tmp_path: Path, database_url: str) -> None:
    root = project(tmp_path, f'[repos.repo]\nurl = "{database_url}"\ntenants_query = "SELECT \'public\'"\n')
    result = run("-C", str(root), "migrate", "--tenants")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "key 'repos.repo.tenants_query'" in result.stderr and "schema_migrations" in result.stderr
