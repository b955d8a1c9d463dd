"""Config discovery and validation (SPEC 2), and the TOML reader/locator that config and resources share."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapshift.engine.base.errors import ConfigError, InputError
from snapshift.engine.resources.config import find_config, load_config, parse_config
from snapshift.engine.resources.tomlpos import find_line, format_key


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def config_error(tmp_path: Path, text: str, name: str = "snapshift.toml") -> ConfigError:
    path = write(tmp_path / name, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    return raised.value


def assert_at(error: InputError, path: Path, key: str | None, line: int | None) -> None:
    assert error.location.path == path.resolve()
    assert error.location.key == key
    assert error.location.line == line
    if line is not None:
        assert f"{path.resolve()}:{line}" in str(error)
    if key is not None:
        assert f"key '{key}'" in str(error)


# --- find_config -------------------------------------------------------------------------------------------


def test_find_config_in_start_folder(tmp_path: Path) -> None:
    config = write(tmp_path / "snapshift.toml", "")
    assert find_config(tmp_path) == config.resolve()


def test_find_config_walks_up(tmp_path: Path) -> None:
    config = write(tmp_path / "snapshift.toml", "")
    nested = tmp_path / "a" / "b" / "c"
    nested.mkdir(parents=True)
    assert find_config(nested) == config.resolve()


def test_find_config_accepts_pyproject_with_tool_section(tmp_path: Path) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml", "[project]\nname = 'x'\n\n[tool.snapshift]\nresources = []\n"
    )
    assert find_config(tmp_path / ".") == pyproject.resolve()


def test_find_config_skips_pyproject_without_tool_section(tmp_path: Path) -> None:
    config = write(tmp_path / "snapshift.toml", "")
    write(tmp_path / "app" / "pyproject.toml", "[project]\nname = 'snapshift-user'\n[tool.ruff]\n")
    assert find_config(tmp_path / "app") == config.resolve()


def test_snapshift_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    config = write(tmp_path / "snapshift.toml", "")
    write(tmp_path / "pyproject.toml", "[tool.snapshift]\n")
    assert find_config(tmp_path) == config.resolve()


def test_nearest_config_wins(tmp_path: Path) -> None:
    write(tmp_path / "snapshift.toml", "")
    inner = write(tmp_path / "sub" / "pyproject.toml", "[tool.snapshift]\n")
    assert find_config(tmp_path / "sub") == inner.resolve()


def test_find_config_without_any_config_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"no snapshift\.toml"):
        find_config(tmp_path / "empty")


# --- defaults and values -----------------------------------------------------------------------------------


def test_defaults_without_repos(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "snapshift.toml", ""))
    root = tmp_path.resolve()
    assert config.root == root
    assert config.resource_globs == ("resources/**/*.toml",)
    assert [repo.name for repo in config.repos] == ["repo"]
    repo = config.default_repo
    assert repo.url is None
    assert repo.migrations_path == root / "priv/repo/migrations"
    assert repo.tenant_migrations_path == root / "priv/repo/tenant_migrations"
    assert repo.snapshots_root == root / "priv/resource_snapshots"
    assert repo.snapshots_path == root / "priv/resource_snapshots/repo"
    assert repo.extensions == ()
    assert repo.tenants is None and repo.tenants_query is None


def test_repo_defaults_use_the_repo_name(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "snapshift.toml", "[repos.main]\n[repos.analytics]\n"))
    assert [repo.name for repo in config.repos] == ["main", "analytics"]
    assert config.default_repo.name == "main"
    analytics = config.repo("analytics")
    assert analytics is not None
    assert analytics.migrations_path == tmp_path.resolve() / "priv/analytics/migrations"
    assert analytics.snapshots_path == tmp_path.resolve() / "priv/resource_snapshots/analytics"
    assert config.repo("missing") is None


def test_explicit_values_and_paths_relative_to_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = """
resources = ["schema/*.toml", "more/**/*.toml"]

[repos.repo]
url = "env:DATABASE_URL"
migrations_path = "db/migrations"
tenant_migrations_path = "db/tenant_migrations"
snapshots_path = "db/../db/snapshots"
extensions = ["citext", "ltree", "citext"]
tenants = ["org_1", "org_2"]
"""
    path = write(tmp_path / "proj" / "snapshift.toml", text)
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("proj/snapshift.toml"))
    root = path.parent.resolve()
    repo = config.default_repo
    assert config.config_path == path.resolve()
    assert config.resource_globs == ("schema/*.toml", "more/**/*.toml")
    assert repo.url == "env:DATABASE_URL"
    assert repo.migrations_path == root / "db/migrations"
    assert repo.migrations_path.is_absolute()
    assert repo.tenant_migrations_path == root / "db/tenant_migrations"
    assert repo.snapshots_root == root / "db/snapshots"
    assert repo.extensions == ("citext", "ltree")
    assert repo.tenants == ("org_1", "org_2")


def test_tenants_query(tmp_path: Path) -> None:
    query = "select nspname from pg_namespace where nspname like 'org\\\\_%'"
    config = load_config(write(tmp_path / "snapshift.toml", f'[repos.repo]\ntenants_query = "{query}"\n'))
    assert (
        config.default_repo.tenants_query == "select nspname from pg_namespace where nspname like 'org\\_%'"
    )


def test_pyproject_tool_section(tmp_path: Path) -> None:
    text = (
        '[project]\nname = "x"\n\n[tool.snapshift]\nresources = ["r/*.toml"]\n\n'
        '[tool.snapshift.repos.db]\nurl = "postgresql://localhost/x"\n'
    )
    config = load_config(write(tmp_path / "pyproject.toml", text))
    assert config.resource_globs == ("r/*.toml",)
    assert config.default_repo.name == "db"
    assert config.default_repo.url == "postgresql://localhost/x"


# --- errors ------------------------------------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    error = config_error(tmp_path, 'resources = []\nresource = ["x"]\n')
    assert_at(error, tmp_path / "snapshift.toml", "resource", 2)
    assert "did you mean 'resources'?" in str(error)


def test_unknown_repo_key(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[repos.repo]\nurl = "env:X"\nmigration_path = "m"\n')
    assert_at(error, tmp_path / "snapshift.toml", "repos.repo.migration_path", 3)
    assert "did you mean 'migrations_path'?" in str(error)


def test_wrong_value_type(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[repos.repo]\n\nextensions = "citext"\n')
    assert_at(error, tmp_path / "snapshift.toml", "repos.repo.extensions", 3)
    assert "must be an array of strings" in str(error)


def test_wrong_item_type(tmp_path: Path) -> None:
    error = config_error(tmp_path, 'resources = [\n  "a/*.toml",\n  3,\n]\n')
    assert_at(error, tmp_path / "snapshift.toml", "resources[1]", 3)


def test_repo_must_be_a_table(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[repos]\nrepo = "postgresql://x"\n')
    assert_at(error, tmp_path / "snapshift.toml", "repos.repo", 2)


def test_tenants_and_tenants_query_are_exclusive(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[repos.repo]\ntenants = ["a"]\ntenants_query = "select 1"\n')
    assert_at(error, tmp_path / "snapshift.toml", "repos.repo.tenants_query", 3)
    assert "not both" in str(error)


def test_repo_name_must_be_an_identifier(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[repos."Main-DB"]\nurl = "env:X"\n')
    assert_at(error, tmp_path / "snapshift.toml", "repos.Main-DB", 1)


def test_repos_must_not_share_a_migrations_path(tmp_path: Path) -> None:
    text = '[repos.a]\nmigrations_path = "db/migrations"\n\n[repos.b]\nmigrations_path = "db/./migrations"\n'
    error = config_error(tmp_path, text)
    assert_at(error, tmp_path / "snapshift.toml", "repos.b.migrations_path", 5)
    assert "repo 'a'" in str(error)


def test_tenant_and_normal_migrations_must_differ(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[repos.a]\nmigrations_path = "m"\ntenant_migrations_path = "m"\n')
    assert_at(error, tmp_path / "snapshift.toml", "repos.a.tenant_migrations_path", 3)


def test_snapshot_folders_must_not_nest(tmp_path: Path) -> None:
    text = '[repos.a]\nsnapshots_path = "snaps"\n[repos.b]\nsnapshots_path = "snaps/a"\n'
    error = config_error(tmp_path, text)
    assert_at(error, tmp_path / "snapshift.toml", "repos.b.snapshots_path", 4)


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[repos.repo]\nurl = "env:X"\nextensions = [citext]\n')
    assert_at(error, tmp_path / "snapshift.toml", None, 3)
    assert "invalid TOML" in str(error)


def test_empty_url(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[repos.repo]\nurl = "env:"\n')
    assert_at(error, tmp_path / "snapshift.toml", "repos.repo.url", 2)


def test_pyproject_errors_carry_the_tool_prefix(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\n\n[tool.snapshift.repos.repo]\nurll = "env:X"\n'
    error = config_error(tmp_path, text, "pyproject.toml")
    assert_at(error, tmp_path / "pyproject.toml", "tool.snapshift.repos.repo.urll", 5)
    assert "did you mean 'url'?" in str(error)


def test_pyproject_without_tool_section(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")
    assert "[tool.snapshift]" in str(error)


# --- TOML reading ------------------------------------------------------------------------------------------

DOCUMENT = """\
table = "posts"   # comment
repo = 'repo'

[attributes]
id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
price = { type = "decimal", precision = 10, scale = 2, default = -1.5e3 }
tags = { type = "text[]", default = "'{}'" }
quoted = { "type" = "text", 'default' = "'a\\\\b \\"c\\"'" }

[attributes.body]
type = "text"

[identities]
unique = { keys = [
    "slug",  # why
    "org_id",
] }

[[indexes]]
fields = ["a", "b",]

[[indexes]]
fields = []

[schema.x.y]
z = 1
[schema.x]
w = {}
"""


def test_find_line_tables_keys_and_inline_tables() -> None:
    assert find_line(DOCUMENT, ["table"]) == 1
    assert find_line(DOCUMENT, ["attributes"]) == 4
    assert find_line(DOCUMENT, ["attributes", "price", "scale"]) == 6
    assert find_line(DOCUMENT, ["attributes", "quoted", "default"]) == 8
    assert find_line(DOCUMENT, ["attributes", "body", "type"]) == 11
    assert find_line(DOCUMENT, ["identities", "unique", "keys", 0]) == 15
    assert find_line(DOCUMENT, ["identities", "unique", "keys", 1]) == 16


def test_find_line_arrays_of_tables_and_fallback_to_parent() -> None:
    assert find_line(DOCUMENT, ["indexes", 0]) == 19
    assert find_line(DOCUMENT, ["indexes", 0, "fields", 1]) == 20
    assert find_line(DOCUMENT, ["indexes", 1, "fields"]) == 23
    assert find_line(DOCUMENT, ["indexes", 1, "name"]) == 22
    assert find_line(DOCUMENT, ["attributes", "body", "missing"]) == 10
    assert find_line(DOCUMENT, ["schema", "x", "y", "z"]) == 26
    assert find_line(DOCUMENT, ["schema", "x", "w"]) == 28
    assert find_line(DOCUMENT, ["nothing"]) == 1  # missing at the top: the file from its first line


def test_find_line_dotted_keys_and_multiline_strings() -> None:
    text = 'a = """\none\ntwo\n"""\nb.c = 1\n[t]\n"q.k" = 2\n'
    assert find_line(text, ["b", "c"]) == 5
    assert find_line(text, ["t", "q.k"]) == 7


def test_format_key() -> None:
    assert format_key(["attributes", "id", "type"]) == "attributes.id.type"
    assert format_key(["indexes", 0, "fields", 2]) == "indexes[0].fields[2]"
    assert format_key(["attributes", "my col"]) == 'attributes."my col"'


def test_parse_config_validates_text_without_reading_the_file(tmp_path: Path) -> None:
    config = parse_config('[repos.main]\nurl = "env:X"\n', tmp_path / "snapshift.toml")
    assert config.default_repo.migrations_path == tmp_path.resolve() / "priv/main/migrations"
    with pytest.raises(ConfigError) as raised:
        parse_config("[repos.main]\n\nurl = 1\n", tmp_path / "snapshift.toml")
    assert_at(raised.value, tmp_path / "snapshift.toml", "repos.main.url", 3)
    with pytest.raises(ConfigError) as raised:
        parse_config("[repos.main\n", tmp_path / "snapshift.toml")
    assert_at(raised.value, tmp_path / "snapshift.toml", None, 1)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("/", "outside the project"),
        ("../elsewhere", "outside the project"),
        ("db/../../elsewhere", "outside the project"),
        ("~/migrations", "outside the project"),
        (".", "the project folder itself"),
        ("snapshift.toml", "is a file"),
        (".git/migrations", "inside .git"),
    ],
)
def test_a_config_cannot_send_generated_files_outside_the_project(
    tmp_path: Path, value: str, says: str
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / ".git").mkdir()
    if value.startswith("~"):
        value = str(tmp_path / "home" / "migrations")  # what ~ would expand to: outside the project
    for key in ("migrations_path", "tenant_migrations_path", "snapshots_path"):
        error = config_error(root, f'[repos.repo]\n{key} = "{value}"\n')
        assert_at(error, root / "snapshift.toml", f"repos.repo.{key}", 2)
        assert says in str(error)


def test_a_symlink_inside_the_project_cannot_lead_generated_files_out(tmp_path: Path) -> None:
    root, outside = tmp_path / "project", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "priv").symlink_to(outside)
    error = config_error(root, '[repos.repo]\nmigrations_path = "priv/migrations"\n')
    assert_at(error, root / "snapshift.toml", "repos.repo.migrations_path", 2)
    assert "symbolic link" in str(error)
    assert not any(outside.iterdir())
    error = config_error(root, "[repos.repo]\n")  # the default folders, under the same link
    assert "migrations_path 'priv/repo/migrations' leads outside" in str(error)


def test_migrations_cannot_go_into_a_snapshot_folder(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[repos.repo]\nmigrations_path = "priv/resource_snapshots/repo/posts"\n')
    assert_at(error, tmp_path / "snapshift.toml", "repos.repo.migrations_path", 2)
    assert "inside the snapshots" in str(error)


@pytest.mark.parametrize("glob", ["../*.toml", "/etc/*.toml", "resources/../../*.toml", "~/*.toml"])
def test_resource_globs_stay_inside_the_project(tmp_path: Path, glob: str) -> None:
    error = config_error(tmp_path, f'resources = ["{glob}"]\n')
    assert_at(error, tmp_path / "snapshift.toml", "resources[0]", 1)
    assert "inside the project" in str(error)


def test_a_resource_file_linked_from_outside_is_refused(tmp_path: Path) -> None:
    from snapshift.engine.resources.loading import resource_paths

    outside = write(tmp_path / "outside" / "secret.toml", 'table = "secret"\n')
    root = tmp_path / "project"
    (root / "resources").mkdir(parents=True)
    write(root / "resources" / "posts.toml", 'table = "posts"\n')
    config = load_config(write(root / "snapshift.toml", 'resources = ["resources/**/*.toml"]\n'))
    assert [p.name for p in resource_paths(config)] == ["posts.toml"]
    for link, target in (
        (root / "resources" / "evil.toml", outside),
        (root / "resources" / "sub", outside.parent),
    ):
        link.symlink_to(target)
        with pytest.raises(ConfigError, match="symbolic link") as raised:
            resource_paths(config)
        assert raised.value.location.path == root / "snapshift.toml"
        link.unlink()
