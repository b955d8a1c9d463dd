"""What a new user trips over (issue 12 items 1, 2, 3 and 6, acceptance 2 and 3), through the CLI on a
real PostgreSQL: extensions, the silent development database, `--to`, small things, README and --help."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from snapshift.engine.db.devdb import DevDatabase
from snapshift.tui.cli.main import build_parser
from tests.engine.workflows.test_regen import EXAMPLE, ROOT, applied, make_blog
from tests.support.gitrepo import commit_all, git
from tests.support.terminal import run
from tests.tui.cli.test_cli_db import cli, devdb_blog  # noqa: F401 - devdb_blog is a fixture used below

CONFIG = 'resources = ["resources/*.toml"]\n\n[repos.repo]\nurl = "env:DATABASE_URL"\n'


def project_with(root: Path, resources: dict[str, str], config: str = CONFIG) -> Path:
    (root / "resources").mkdir(parents=True, exist_ok=True)
    (root / "snapshift.toml").write_text(config)
    for name, text in resources.items():
        (root / "resources" / f"{name}.toml").write_text(text)
    return root


def people(type_name: str = "ci_string") -> str:
    return f'table = "people"\n\n[attributes]\nid = {{ type = "uuid", primary_key = true }}\nemail = {{ type = "{type_name}" }}\n'


@pytest.fixture
def blog(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_blog(tmp_path, database_url, monkeypatch)


# -- 12.1: a type that needs an extension the repo does not list


@pytest.mark.parametrize(
    ("spelled", "extension"), [("ci_string", "citext"), ("hstore", "hstore"), ("ltree[]", "ltree")]
)
def test_a_type_whose_extension_is_not_listed_stops_generate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spelled: str, extension: str
) -> None:
    root = project_with(tmp_path / "p", {"people": people(spelled)})
    code, out, err = cli(capsys, "-C", str(root), "generate")
    assert code == 2, out + err
    resource = root / "resources" / "people.toml"
    assert f"{resource}:5, key 'attributes.email.type'" in err  # file, line and key
    assert f"table 'people': type '{spelled}'" in err and f"extension {extension}" in err
    assert f'`extensions = ["{extension}"]` to [repos.repo] in {root / "snapshift.toml"}' in err
    assert not (root / "priv").exists()  # nothing written


def test_the_config_line_to_add_keeps_the_listed_extensions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project_with(tmp_path / "p", {"people": people()}, CONFIG + 'extensions = ["pgcrypto"]\n')
    code, _, err = cli(capsys, "-C", str(root), "generate")
    assert code == 2 and '`extensions = ["pgcrypto", "citext"]`' in err


def test_extension_and_type_in_one_generate_migrate(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One order: the extension listed with the table that needs it; the migration creates it first."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    root = project_with(tmp_path / "p", {"people": people()}, CONFIG + 'extensions = ["citext"]\n')
    assert cli(capsys, "-C", str(root), "generate")[0] == 0
    (migration,) = (root / "priv/repo/migrations").glob("*.sql")
    text = migration.read_text()
    assert text.index('CREATE EXTENSION IF NOT EXISTS "citext"') < text.index('CREATE TABLE "people"')
    assert cli(capsys, "-C", str(root), "migrate")[0] == 0
    assert column_type(database_url, "people", "email") == "citext"


def test_type_first_then_the_extension_migrate(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other order: the type first (stopped, nothing written), then the line added as told."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    root = project_with(
        tmp_path / "p",
        {"other": 'table = "other"\n\n[attributes]\nid = { type = "bigint", primary_key = true }\n'},
    )
    assert cli(capsys, "-C", str(root), "generate")[0] == 0
    assert cli(capsys, "-C", str(root), "migrate")[0] == 0
    (root / "resources" / "people.toml").write_text(people())
    code, _, err = cli(capsys, "-C", str(root), "generate")
    assert code == 2 and 'extensions = ["citext"]' in err
    assert len(list((root / "priv/repo/migrations").glob("*.sql"))) == 1
    (root / "snapshift.toml").write_text(CONFIG + 'extensions = ["citext"]\n')
    assert cli(capsys, "-C", str(root), "generate")[0] == 0
    assert cli(capsys, "-C", str(root), "migrate")[0] == 0
    assert column_type(database_url, "people", "email") == "citext"


def test_an_extension_once_created_is_not_asked_for_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Taking citext out of `extensions` drops nothing: the migrations created it. A later change to
    the table that uses it must not suddenly call it missing (whether a table changed is no reason)."""
    root = project_with(tmp_path / "p", {"people": people()}, CONFIG + 'extensions = ["citext"]\n')
    assert cli(capsys, "-C", str(root), "generate")[0] == 0
    (root / "snapshift.toml").write_text(CONFIG)
    assert cli(capsys, "-C", str(root), "generate", "--check")[0] == 0
    (root / "resources" / "people.toml").write_text(people() + 'name = { type = "text" }\n')
    code, _, err = cli(capsys, "-C", str(root), "generate")
    assert code == 0, err
    assert len(list((root / "priv/repo/migrations").glob("*.sql"))) == 2


def column_type(url: str, table: str, column: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT udt_name FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            (table, column),
        ).fetchone()
    assert row is not None
    return str(row[0])


# -- 12.2: the development database is announced, and arguments are checked before it starts


def without_database_url() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}


def test_bad_arguments_never_start_the_development_database(tmp_path: Path) -> None:
    root = tmp_path / "blog"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".snapshift"))
    env = without_database_url()
    for args in (
        ["rollback", "-n", "-3"],
        ["migrate", "-n", "-1"],
        ["migrate", "--tenants", "--jobs", "0"],
        ["migrate", "--to", "123"],
        ["migrate", "--only-tenants", "org_acme"],
    ):
        result = run("-C", str(root), *args, env=env)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert not (root / ".snapshift").exists(), args


def test_every_database_command_says_it_uses_the_development_database(devdb_blog: Path) -> None:  # noqa: F811
    env = without_database_url()
    note = f"DATABASE_URL is not set: using the development database at {devdb_blog / '.snapshift'}/ (devdb stop to stop it)"
    for args in (
        ["migrate"],
        ["migrate", "--tenants"],
        ["status"],
        ["create"],
        ["rollback", "--tenants"],
        ["rollback"],
    ):
        result = run("-C", str(devdb_blog), *args, env=env)
        assert result.returncode == 0, (args, result.stderr)
        assert note in result.stderr, (args, result.stderr)
        assert note not in result.stdout  # scripts reading stdout (status --json) are not disturbed
    assert DevDatabase(devdb_blog).status().running
    regen = run(
        "-C", str(devdb_blog), "regen", "--dry-run", env=env
    )  # not a git work tree: exit 2, said first
    assert regen.returncode == 2 and note in regen.stderr and "git" in regen.stderr
    relative = run("-C", ".", "status", env=env, cwd=devdb_blog)
    assert "using the development database at .snapshift/ (devdb stop to stop it)" in relative.stderr
    configured = run(
        "-C", str(devdb_blog), "status", env={**env, "DATABASE_URL": DevDatabase(devdb_blog).url() or ""}
    )
    assert "development database" not in configured.stderr  # said only when the variable is unset


# -- 12.3: --to must name a migration


def test_to_naming_no_migration_is_exit_2_with_the_nearest(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (public,) = (blog / "priv/repo/migrations").glob("*.sql")
    version = int(public.name.split("_")[0])
    before = applied(database_url)
    code, _, err = cli(capsys, "-C", str(blog), "rollback", "--to", "99")
    assert code == 2 and "--to 99 names no migration file or applied version" in err
    assert f"{public.stem} (after)" in err and "inclusive" in err
    assert applied(database_url) == before  # nothing rolled back
    code, _, err = cli(capsys, "-C", str(blog), "migrate", "--to", str(version + 1))
    assert (
        code == 2
        and f"--to {version + 1} names no migration file" in err
        and f"{public.stem} (before)" in err
    )
    (tenant,) = (blog / "priv/repo/tenant_migrations").glob("*.sql")
    code, _, err = cli(capsys, "-C", str(blog), "migrate", "--tenants", "--to", str(version))
    assert code == 2 and "names no tenant migration file" in err and tenant.stem in err
    code, out, _ = cli(capsys, "-C", str(blog), "rollback", "--tenants", "--to", tenant.stem)
    assert code == 0, out  # inclusive: the named migration itself is undone
    assert int(tenant.stem.split("_")[0]) not in applied(database_url, "org_acme")


def test_rollback_to_an_applied_version_without_a_file(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hand = blog / "priv/repo/migrations/20300101000000_hand.sql"
    hand.write_text("-- migrate:up\nSELECT 1;\n\n-- migrate:down\n")
    assert cli(capsys, "-C", str(blog), "migrate")[0] == 0
    hand.unlink()
    code, _, err = cli(capsys, "-C", str(blog), "rollback", "--to", "20300101000001")
    assert code == 2 and "20300101000000 (applied, no file) (before)" in err
    code, _, err = cli(capsys, "-C", str(blog), "rollback", "--to", "20300101000000")
    assert "names no" not in err  # an applied row is a valid target (its missing file is another matter)


# -- 12.6: small ones


def test_a_glob_matching_no_file_warns_and_an_empty_project_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "blog"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".snapshift"))
    config = root / "snapshift.toml"
    text = config.read_text()
    config.write_text(
        text.replace(
            'resources = ["resources/**/*.toml"]', 'resources = ["resources/**/*.toml", "resorces/*.toml"]'
        )
    )
    code, _, err = cli(capsys, "-C", str(root), "generate", "--check")
    assert code == 0 and "warning: resource glob 'resorces/*.toml'" in err and "matches no file" in err
    empty = project_with(tmp_path / "empty", {})
    (empty / "snapshift.toml").write_text(CONFIG.replace("resources/*.toml", "resource/*.toml"))
    code, _, err = cli(capsys, "-C", str(empty), "generate")
    assert code == 2 and "no resource file matches" in err and "key 'resources'" in err
    assert not (empty / "priv").exists()


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("id >", "something is missing after '>'"),
        ("lower(name", "a closing ')' is missing"),
        ("id id id", "unexpected 'id'"),
    ],
)
def test_a_bad_expression_is_said_in_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expression: str, reason: str
) -> None:
    text = 'table = "t"\n\n[attributes]\nid = { type = "bigint", primary_key = true }\nname = { type = "text" }\n'
    text += f'\n[[check_constraints]]\nname = "c"\ncheck = "{expression}"\nattributes = ["id"]\n'
    root = project_with(tmp_path / "p", {"t": text})
    code, _, err = cli(capsys, "-C", str(root), "generate")
    assert code == 2
    assert f"{root / 'resources' / 't.toml'}:9, key 'check_constraints[0].check'" in err and reason in err
    assert "<class" not in err and "Required keyword" not in err and "sqlglot" not in err


def test_version() -> None:
    version = run("--version")
    assert version.returncode == 0 and re.fullmatch(r"snapshift \S+\n", version.stdout), version


def test_a_missing_folder_says_so(tmp_path: Path) -> None:
    missing = run("-C", str(tmp_path / "nowhere"), "status")
    assert missing.returncode == 2 and f"-C {tmp_path / 'nowhere'}: no such folder" in missing.stderr


def test_an_unknown_flag_shows_its_commands_usage() -> None:
    unknown = run("migrate", "--bogus")
    assert (
        unknown.returncode == 2
        and "usage: snapshift migrate" in unknown.stderr
        and "--bogus" in unknown.stderr
    )


def test_did_you_mean_only_for_near_misses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = 'table = "t"\n\n[attributes]\nid = { type = "bigint", primary_key = true }\ntitle = { type = "text" }\ninserted_at = { type = "utc_datetime" }\n'
    far = project_with(
        tmp_path / "far", {"t": base + '\n[identities]\nby_date = { keys = ["published_at"] }\n'}
    )
    code, _, err = cli(capsys, "-C", str(far), "generate")
    assert code == 2 and "unknown attribute 'published_at'" in err and "did you mean" not in err
    near = project_with(tmp_path / "near", {"t": base + '\n[identities]\nby_title = { keys = ["titel"] }\n'})
    code, _, err = cli(capsys, "-C", str(near), "generate")
    assert code == 2 and "did you mean 'title'?" in err


# -- acceptance 2: README's "Using it" runs as written, in order, on a fresh clone and a fresh database

README_ROLLBACK = "snapshift -C examples/blog rollback -n 2"


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("## Using it", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


@pytest.fixture
def fresh_clone(tmp_path: Path, database_url: str) -> Iterator[tuple[Path, dict[str, str]]]:
    clone = tmp_path / "clone"
    shutil.copytree(EXAMPLE, clone / "examples" / "blog", ignore=shutil.ignore_patterns(".snapshift"))
    git(clone, "init", "-q")
    commit_all(clone, "clone")
    env = {**os.environ, "DATABASE_URL": database_url}
    yield clone, env
    DevDatabase(clone / "examples" / "blog").stop()


def run_readme_line(line: str, clone: Path, env: dict[str, str]) -> tuple[int, str]:
    words = shlex.split(line)
    assert words[0] == "snapshift", line
    result = run(*words[1:], env=env, cwd=clone)
    return result.returncode, result.stdout + result.stderr


def test_readme_using_it_runs_as_written(fresh_clone: tuple[Path, dict[str, str]]) -> None:
    clone, env = fresh_clone
    lines = readme_commands()
    assert len(lines) >= 8 and README_ROLLBACK in lines
    for line in lines:
        code, output = run_readme_line(line, clone, env)
        assert code == 0, f"{line}\n{output}"
    assert git(clone, "status", "--porcelain") == ""  # as written, nothing is left behind in the clone


# -- acceptance 3: --help of every command names its flags' semantics


def test_every_flag_of_every_command_says_what_it_does() -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in [("snapshift", parser), *commands.choices.items()]:
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help and action.help != argparse.SUPPRESS, (name, action.option_strings)
            assert len(action.help.split()) >= 3, (name, action.option_strings, action.help)
    assert "including VERSION" in run("migrate", "--help").stdout
    rollback = " ".join(run("rollback", "--help").stdout.split())
    assert "(inclusive)" in rollback and "do not ask to proceed" in rollback
    regen = " ".join(run("regen", "--help").stdout.split())
    assert "confirms the plan only" in regen and "--accept-renames" in regen
    assert "newest untracked migration's name" in regen
    assert "--version" in run("--help").stdout


def test_help_of_each_command_exits_0() -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name in commands.choices:
        result = run(name, "--help")
        assert result.returncode == 0 and f"usage: snapshift {name}" in result.stdout, name


@pytest.mark.parametrize(
    ("before", "after", "value"),
    [
        (
            '{ type = "varchar", size = 50 }',
            '{ type = "varchar", size = 20 }',
            "bob-with-a-long-name-xxxxxxxxxxxx",
        ),
        ('{ type = "text" }', '{ type = "varchar", size = 5 }', "abcdefghij"),
        ('{ type = "char", size = 10 }', '{ type = "char", size = 3 }', "abcdefg"),
    ],
)
def test_a_shorter_string_type_never_cuts_a_value(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    before: str,
    after: str,
    value: str,
) -> None:
    """An explicit cast to varchar(n) truncates silently: the migration must fail instead, and leave the
    row as it was (a failed migration changes nothing)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    users = 'table = "users"\n[attributes]\nid = { type = "bigint", primary_key = true }\nname = '
    root = project_with(tmp_path / "p", {"users": users + before + "\n"})
    assert cli(capsys, "-C", str(root), "generate", "init")[0] == 0
    assert cli(capsys, "-C", str(root), "migrate")[0] == 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users VALUES (1, %s)", (value,))
    (root / "resources" / "users.toml").write_text(users + after + "\n")
    code, out, _ = cli(capsys, "-C", str(root), "generate", "shorter")
    assert code == 0 and "Warning: a type change can fail on existing rows" in out, out
    code, _, err = cli(capsys, "-C", str(root), "migrate")
    assert code == 1 and "value too long" in err, err
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT name FROM users").fetchone()
    assert row is not None and row[0].rstrip() == value
