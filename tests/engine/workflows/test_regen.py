"""The regen workflow end to end (issue 4): real git repositories, real PostgreSQL, the example project.

Each test copies examples/blog into a fresh git repository, commits it, points DATABASE_URL at a fresh
database, migrates, then makes the uncommitted changes a developer would make before running regen.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from snapshift.engine.base.errors import RegenError
from snapshift.engine.db.catalog import Catalog, read_catalog
from snapshift.engine.db.runs import ProgressEvent
from snapshift.engine.project import Project
from snapshift.engine.workflows.regen import RegenEvent
from snapshift.tui.cli.main import main
from tests.support.gitrepo import commit_all, git
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT
EXAMPLE = ROOT / "examples" / "blog"
TENANTS = ("org_acme", "org_globex")
NewDatabase = Callable[[], str]


def git_project(source: Path, target: Path, gitignore: str = "") -> Path:
    """A copy of `source` as a fresh git repository with everything committed."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".snapshift"))
    git(target, "init", "-q")
    git(target, "config", "user.name", "Test")
    git(target, "config", "user.email", "test@example.com")
    if gitignore:
        (target / ".gitignore").write_text(gitignore)
    commit_all(target, "start")
    return target


@pytest.fixture
def blog(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_blog(tmp_path, database_url, monkeypatch)


def make_blog(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example project committed to git and migrated (public and tenants) on a fresh database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    root = git_project(EXAMPLE, tmp_path / "blog", gitignore="priv/repo/migrations/*_scratch.sql\n")
    project = Project.open(root)
    project.migrate()
    assert project.migrate_tenants().ok
    return root


def add_attribute(root: Path, resource: str, line: str) -> None:
    path = root / "resources" / f"{resource}.toml"
    text = path.read_text()
    assert "\n[identities]" in text
    path.write_text(text.replace("\n[identities]", f"\n{line}\n\n[identities]", 1))


def generate_and_migrate(root: Path, tenants: bool = False) -> list[Path]:
    project = Project.open(root)
    written = list(project.generate().written)
    assert written, "the change should generate something"
    project.migrate()
    if tenants:
        assert project.migrate_tenants().ok
    return written


def untracked(root: Path) -> list[str]:
    return sorted(filter(None, git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0")))


def tracked_bytes(root: Path) -> dict[str, bytes | None]:
    """Every tracked file with its bytes (None when it is gone from the work tree)."""
    names = filter(None, git(root, "ls-files", "-z").split("\0"))
    return {name: (root / name).read_bytes() if (root / name).exists() else None for name in names}


def tracked_versions(root: Path, folder: str = "migrations") -> set[int]:
    """Versions of the committed migrations in priv/repo/<folder>."""
    names = filter(None, git(root, "ls-files", "-z", "--", f"priv/repo/{folder}").split("\0"))
    return {version(name) for name in names if name.endswith(".sql")}


def tree(root: Path) -> dict[str, bytes]:
    """Every file outside .git with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def applied(url: str, schema: str | None = None) -> set[int]:
    table = sql.Identifier(schema, "schema_migrations") if schema else sql.Identifier("schema_migrations")
    with psycopg.connect(url) as conn:
        return {int(row[0]) for row in conn.execute(sql.SQL("SELECT version FROM {}").format(table))}


def catalog(url: str) -> Catalog:
    with psycopg.connect(url) as conn:
        return read_catalog(conn)


def version(path: Path | str) -> int:
    return int(Path(path).name.split("_", 1)[0])


def database_state(url: str) -> tuple[Catalog, set[int], dict[str, set[int]]]:
    return catalog(url), applied(url), {tenant: applied(url, tenant) for tenant in TENANTS}


def fresh_build(root: Path, target: Path, urls: Mapping[str, str]) -> None:
    """Build databases in one step from `root`'s config and resources, `env:NAME` urls replaced."""
    target.mkdir()
    config = (root / "snapshift.toml").read_text()
    for name, url in urls.items():
        config = config.replace(f'"env:{name}"', f'"{url}"')
    (target / "snapshift.toml").write_text(config)
    shutil.copytree(root / "resources", target / "resources")
    project = Project.open(target)
    project.generate()
    project.migrate()
    assert project.migrate_tenants().ok


def two_tag_changes(blog: Path) -> list[Path]:
    """Two generate + migrate rounds on the tags table: two applied, untracked migrations."""
    add_attribute(blog, "tags", 'color = { type = "text" }')
    first = generate_and_migrate(blog)
    add_attribute(blog, "tags", 'weight = { type = "integer", allow_nil = false, default = 0 }')
    second = generate_and_migrate(blog)
    return [p for p in first + second if p.suffix == ".sql"]


# -- acceptance 1: two applied untracked migrations become one


def test_regen_yes_migrate_folds_two_untracked_migrations_into_one(
    blog: Path,
    database_url: str,
    new_database: NewDatabase,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scratch = blog / "priv" / "repo" / "migrations" / "20000101000000_scratch.sql"
    scratch.write_text("-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 1;\n")
    Project.open(blog).migrate()
    old = two_tag_changes(blog)
    assert all(version(p) in applied(database_url) for p in old)
    assert len([f for f in untracked(blog) if f.startswith("priv/repo/migrations/")]) == 2
    tracked_before = tracked_bytes(blog)
    scratch_bytes = scratch.read_bytes()

    assert main(["-C", str(blog), "regen", "--yes", "-m"]) == 0
    out = capsys.readouterr().out
    assert all(p.stem in out for p in old), out

    migrations = [f for f in untracked(blog) if f.startswith("priv/repo/migrations/")]
    snapshots = [f for f in untracked(blog) if f.startswith("priv/resource_snapshots/")]
    assert len(migrations) == 1, untracked(blog)
    assert len(snapshots) == 1 and snapshots[0].startswith("priv/resource_snapshots/repo/tags/")
    assert untracked(blog) == sorted(migrations + snapshots)
    text = (blog / migrations[0]).read_text()
    assert 'ADD COLUMN "color" text' in text and 'ADD COLUMN "weight" integer' in text
    assert re.search(r"_migrate_resources2\.sql$", migrations[0]), "the regenerated file takes the freed name"
    assert [p for p in old if p.exists()] in ([], [blog / migrations[0]])  # same second, same name
    assert tracked_bytes(blog) == tracked_before
    assert scratch.read_bytes() == scratch_bytes  # ignored: neither rolled back nor deleted
    assert applied(database_url) == tracked_versions(blog) | {version(scratch), version(migrations[0])}
    assert not (blog / ".snapshift").exists()

    fresh = new_database()
    fresh_build(blog, tmp_path / "fresh", {"DATABASE_URL": fresh})
    assert catalog(database_url) == catalog(fresh)


# -- acceptance 2: context-multitenant resource, two tenants


def test_regen_rolls_back_and_reapplies_tenant_migrations_in_every_tenant(
    blog: Path, database_url: str, new_database: NewDatabase, tmp_path: Path
) -> None:
    add_attribute(blog, "documents", 'summary = { type = "text" }')
    first = generate_and_migrate(blog, tenants=True)
    add_attribute(blog, "documents", 'pages = { type = "integer" }')
    second = generate_and_migrate(blog, tenants=True)
    old = sorted(version(p) for p in first + second if p.suffix == ".sql")
    assert all(p.parent.name == "tenant_migrations" for p in first + second if p.suffix == ".sql")
    for tenant in TENANTS:
        assert set(old) <= applied(database_url, tenant)
    tracked_before = tracked_bytes(blog)
    events: list[ProgressEvent | RegenEvent] = []

    result = Project.open(blog).regen(migrate=True, progress=events.append)

    (rolled,) = result.rolled_back
    assert rolled.public == ()
    assert dict(rolled.tenants) == {tenant: tuple(reversed(old)) for tenant in TENANTS}
    rolled_events = {
        (e.tenant, e.version) for e in events if isinstance(e, ProgressEvent) and e.kind == "rolled_back"
    }
    assert rolled_events == {(tenant, v) for tenant in TENANTS for v in old}
    tenant_files = [f for f in untracked(blog) if f.startswith("priv/repo/tenant_migrations/")]
    assert len(tenant_files) == 1
    assert not [f for f in untracked(blog) if f.startswith("priv/repo/migrations/")]
    new = version(tenant_files[0])
    text = (blog / tenant_files[0]).read_text()
    assert 'ADD COLUMN "summary" text' in text and 'ADD COLUMN "pages" integer' in text
    (migrated,) = result.migrated
    assert dict(migrated.tenants) == {tenant: (new,) for tenant in TENANTS}
    for tenant in TENANTS:
        assert applied(database_url, tenant) == tracked_versions(blog, "tenant_migrations") | {new}
    assert tracked_bytes(blog) == tracked_before
    fresh = new_database()
    fresh_build(blog, tmp_path / "fresh", {"DATABASE_URL": fresh})
    assert catalog(database_url) == catalog(fresh)


# -- acceptance 3: --dry-run changes nothing


def test_regen_dry_run_shows_the_plan_and_changes_nothing(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = two_tag_changes(blog)
    add_attribute(blog, "documents", 'summary = { type = "text" }')
    tenant_old = [p for p in generate_and_migrate(blog, tenants=True) if p.suffix == ".sql"]
    files_before, db_before = tree(blog), database_state(database_url)

    assert main(["-C", str(blog), "regen", "--dry-run", "-m"]) == 0

    out = capsys.readouterr().out
    assert tree(blog) == files_before
    assert database_state(database_url) == db_before
    for path in [*old, *tenant_old]:
        assert path.stem in out
        assert str(path.relative_to(blog)) in out
    assert "org_acme" in out and "org_globex" in out
    assert "add column tags.color" in out and "add column tags.weight" in out
    assert "Dry run: nothing was changed." in out
    (found,) = Project.open(blog).untracked()
    assert found.migrations == tuple(sorted(old)) and found.tenant_migrations == tuple(tenant_old)
    assert [p.parent.name for p in found.snapshots] == ["tags", "tags", "documents"]
    plan = Project.open(blog).plan_regen()
    assert tree(blog) == files_before
    (repo_plan,) = plan.repos
    assert [m.version for m in repo_plan.rollback.public] == sorted((version(p) for p in old), reverse=True)
    assert set(plan.files_to_delete) == {blog / f for f in untracked(blog)} - {blog / "resources"}


# -- acceptance 4: failures leave things as they were


def test_a_failing_rollback_stops_regen_before_any_file_is_deleted(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    older, newer = two_tag_changes(blog)
    text = older.read_text()
    down = text.index("-- migrate:down")
    older.write_text(text[:down] + '-- migrate:down\nALTER TABLE "tags" DROP COLUMN "no_such_column";\n')
    files_before = tree(blog)

    assert main(["-C", str(blog), "regen", "--yes", "-m"]) == 1

    err = capsys.readouterr().err
    assert "no_such_column" in err
    assert f"rolled back: {newer.stem}" in err
    assert f"still applied: {older.stem}" in err
    assert "before deleting any file" in err
    assert tree(blog) == files_before
    assert version(older) in applied(database_url)
    assert version(newer) not in applied(database_url)


def test_an_invalid_resource_stops_regen_before_anything_changes(
    blog: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    two_tag_changes(blog)
    add_attribute(blog, "tags", 'broken = { type = "no_such_type" }')
    files_before, db_before = tree(blog), database_state(database_url)

    assert main(["-C", str(blog), "regen", "--yes", "-m"]) == 2

    assert "no_such_type" in capsys.readouterr().err
    assert tree(blog) == files_before
    assert database_state(database_url) == db_before


def test_a_generate_failing_after_the_rollback_puts_every_file_back(blog: Path, database_url: str) -> None:
    old = two_tag_changes(blog)
    files_before = tree(blog)
    resource = blog / "resources" / "tags.toml"

    def break_resource_when_generating(event: ProgressEvent | RegenEvent) -> None:
        if isinstance(event, RegenEvent) and event.stage == "generate":
            assert not any(p.exists() for p in old), "the untracked files are moved aside by now"
            resource.write_text(resource.read_text() + '\n[attributes.broken]\ntype = "no_such_type"\n')

    with pytest.raises(RegenError) as caught:
        Project.open(blog).regen(migrate=True, progress=break_resource_when_generating)

    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert "generate failed" in message and "no_such_type" in message
    assert "every untracked migration and snapshot file is back" in message
    assert "snapshift migrate" in message
    after = tree(blog)
    assert after.pop("resources/tags.toml") != files_before.pop("resources/tags.toml")
    assert after == files_before
    assert not (blog / ".snapshift").exists()
    assert not {version(p) for p in old} & applied(database_url)


# -- acceptance 5: two repos


TWO_REPOS = """
resources = ["resources/*.toml"]

[repos.main]
url = "env:MAIN_URL"

[repos.other]
url = "env:OTHER_URL"
"""


@pytest.fixture
def two_repos(
    tmp_path: Path, new_database: NewDatabase, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str, str]:
    source = tmp_path / "source"
    (source / "resources").mkdir(parents=True)
    (source / "snapshift.toml").write_text(TWO_REPOS)
    (source / "resources" / "alpha.toml").write_text(
        'table = "alpha"\n\n[attributes]\nid = { type = "bigint", primary_key = true, generated = true }\n'
    )
    (source / "resources" / "beta.toml").write_text(
        'table = "beta"\nrepo = "other"\n\n[attributes]\nid = { type = "uuid", primary_key = true }\n'
    )
    main_url, other_url = new_database(), new_database()
    monkeypatch.setenv("MAIN_URL", main_url)
    monkeypatch.setenv("OTHER_URL", other_url)
    Project.open(source).generate()
    root = git_project(source, tmp_path / "project")
    Project.open(root).migrate()
    return root, main_url, other_url


def append_attribute(root: Path, resource: str, line: str) -> None:
    path = root / "resources" / f"{resource}.toml"
    path.write_text(path.read_text() + line + "\n")


def test_regen_handles_every_repo(
    two_repos: tuple[Path, str, str], new_database: NewDatabase, tmp_path: Path
) -> None:
    root, main_url, other_url = two_repos
    append_attribute(root, "alpha", 'title = { type = "text" }')
    append_attribute(root, "beta", 'label = { type = "text" }')
    generate_and_migrate(root)
    append_attribute(root, "alpha", 'rank = { type = "integer" }')
    append_attribute(root, "beta", 'score = { type = "bigint" }')
    generate_and_migrate(root)
    for repo in ("main", "other"):
        assert len([f for f in untracked(root) if f.startswith(f"priv/{repo}/migrations/")]) == 2
    tracked_before = tracked_bytes(root)

    assert main(["-C", str(root), "regen", "--yes", "-m"]) == 0

    for repo, url, columns in (
        ("main", main_url, ("title", "rank")),
        ("other", other_url, ("label", "score")),
    ):
        files = [f for f in untracked(root) if f.startswith(f"priv/{repo}/migrations/")]
        assert len(files) == 1, untracked(root)
        text = (root / files[0]).read_text()
        assert all(f'ADD COLUMN "{column}"' in text for column in columns)
        assert version(files[0]) in applied(url)
        assert len(applied(url)) == 2
    assert tracked_bytes(root) == tracked_before
    fresh_main, fresh_other = new_database(), new_database()
    fresh_build(root, tmp_path / "fresh", {"MAIN_URL": fresh_main, "OTHER_URL": fresh_other})
    assert catalog(main_url) == catalog(fresh_main)
    assert catalog(other_url) == catalog(fresh_other)


def test_regen_with_repo_leaves_the_other_repo_alone(two_repos: tuple[Path, str, str]) -> None:
    root, main_url, other_url = two_repos
    append_attribute(root, "alpha", 'title = { type = "text" }')
    append_attribute(root, "beta", 'label = { type = "text" }')
    generate_and_migrate(root)
    other_files = {f: (root / f).read_bytes() for f in untracked(root) if f.startswith("priv/other/")}
    other_applied = applied(other_url)

    assert main(["-C", str(root), "regen", "--yes", "--repo", "main", "only_main"]) == 0

    assert {f: (root / f).read_bytes() for f in untracked(root) if f.startswith("priv/other/")} == other_files
    assert applied(other_url) == other_applied
    (main_file,) = [f for f in untracked(root) if f.startswith("priv/main/migrations/")]
    assert main_file.endswith("_only_main.sql")
    assert version(main_file) not in applied(main_url)  # no -m
