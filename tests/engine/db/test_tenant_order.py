"""Public and tenant migrations in one order (SPEC 7; issue 18 items 3-5, issue 12 item 4), on a real
PostgreSQL through snapshift's own commands."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from snapshift.engine.base.migrations import list_migrations
from snapshift.engine.db.catalog import Catalog, read_catalog
from snapshift.tui.cli.main import main
from tests.support.gitrepo import commit_all, git
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT
EXAMPLE = ROOT / "examples" / "blog"
TENANTS = ("org_a", "org_b")
CONFIG = """
resources = ["resources/*.toml"]

[repos.repo]
url = "env:DATABASE_URL"
tenants = [{tenants}]
"""
AUTHORS = """
table = "authors"
[attributes]
id = { type = "bigint", primary_key = true }
email = { type = "text", allow_nil = false }
"""
EMAIL_IDENTITY = '[identities]\nunique_email = { keys = ["email"] }\n'
TAGS = """
table = "tags"
[attributes]
id = { type = "bigint", primary_key = true }
"""
NOTES = """
table = "notes"
multitenancy = { strategy = "context" }
[attributes]
id = { type = "bigint", primary_key = true }
"""


class Project:
    """A project folder driven through `tui.cli.main`, on one database."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str], tenants: tuple[str, ...] = TENANTS):
        self.root, self.capsys = root, capsys
        (root / "resources").mkdir(parents=True)
        self.tenants(tenants)
        git(root, "init", "-q")

    def tenants(self, names: tuple[str, ...]) -> None:
        listed = ", ".join(f'"{name}"' for name in names)
        (self.root / "snapshift.toml").write_text(textwrap.dedent(CONFIG.format(tenants=listed)))

    def resource(self, name: str, text: str) -> None:
        (self.root / "resources" / f"{name}.toml").write_text(textwrap.dedent(text))

    def remove(self, name: str) -> None:
        (self.root / "resources" / f"{name}.toml").unlink()

    def run(self, *args: str) -> tuple[int, str]:
        """Exit code and stdout + stderr of one command."""
        code = main(["-C", str(self.root), *args])
        captured = self.capsys.readouterr()
        return code, captured.out + captured.err

    def ok(self, *args: str) -> str:
        code, output = self.run(*args)
        assert code == 0, output
        return output

    def files(self, tenant: bool = False) -> list[Path]:
        folder = "tenant_migrations" if tenant else "migrations"
        return sorted((self.root / "priv" / "repo" / folder).glob("*.sql"))


def catalog(url: str) -> Catalog:
    with psycopg.connect(url) as conn:
        return read_catalog(conn)


def versions(url: str, schema: str | None = None) -> set[int]:
    table = sql.Identifier(schema, "schema_migrations") if schema else sql.Identifier("schema_migrations")
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (table.as_string(conn),)).fetchone()
        if not exists or exists[0] is None:
            return set()
        return {row[0] for row in conn.execute(sql.SQL("SELECT version FROM {}").format(table))}


def stamp(path: Path) -> int:
    return int(path.name.split("_", 1)[0])


@pytest.fixture
def project(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Project:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return Project(tmp_path / "project", capsys)


def with_email_key(project: Project) -> None:
    """authors(email unique) and tenant notes.author_email referencing it; migrated everywhere."""
    project.resource("authors", AUTHORS + EMAIL_IDENTITY)
    ref = 'author_email = { type = "text", references = { table = "authors", column = "email" } }\n'
    project.resource("notes", NOTES + ref)
    project.ok("generate", "--name", "init")
    project.ok("migrate")
    project.ok("migrate", "--tenants")


def test_the_note_of_a_waiting_migration_names_what_waits_not_its_neighbours(project: Project) -> None:
    """An unrelated drop that lands in the same public migration is no reason to run tenants first."""
    project.resource("tags", TAGS + 'label = { type = "text" }\n')
    with_email_key(project)
    project.resource("authors", AUTHORS)
    project.resource("notes", NOTES + 'author_email = { type = "text" }\n')
    project.resource("tags", TAGS)
    out = project.ok("generate", "--name", "drop_key")
    note = next(line for line in out.splitlines() if "tenant tables use what this migration" in line)
    assert "drop index authors_unique_email_index" in note, note
    assert "tags.label" not in note, note


# -- 18.3: a public object that tenant objects depend on is dropped after its tenant dependents


def test_a_public_index_that_tenant_keys_use_is_dropped_after_them_and_migrate_enforces_it(
    project: Project, database_url: str
) -> None:
    with_email_key(project)
    before = catalog(database_url)
    project.resource("authors", AUTHORS)
    project.resource("notes", NOTES + 'author_email = { type = "text" }\n')
    out = project.ok("generate", "--name", "drop_key")
    assert "run `snapshift migrate --tenants` before `snapshift migrate`" in out
    [public] = [p for p in project.files() if "drop_key" in p.name]
    [tenant] = [p for p in project.files(tenant=True) if "drop_key" in p.name]
    assert stamp(tenant) < stamp(public), "the tenant migration must come first in generation order"
    assert f"-- migrate:after-tenants {stamp(tenant)}\n" in public.read_text()
    assert list_migrations(public.parent)[-1].after_tenants == (stamp(tenant),)

    code, out = project.run("migrate")
    assert code == 1, out
    assert (
        "snapshift migrate --tenants" in out
        and "org_a, org_b" in out
        and "nothing was applied" in out
        and "migrate stopped before" in out
    )
    assert catalog(database_url) == before
    assert stamp(public) not in versions(database_url)

    project.ok("migrate", "--tenants")
    project.ok("migrate")
    assert "authors_unique_email_index" not in str(catalog(database_url))

    # the tenant migration cannot be undone while the public one that runs after it is applied
    code, out = project.run("rollback", "--tenants")
    assert code == 1, out
    assert f"snapshift rollback --to {stamp(public)}" in out and "nothing was rolled back" in out
    assert all(stamp(tenant) in versions(database_url, name) for name in TENANTS)

    project.ok("rollback")
    project.ok("rollback", "--tenants")
    assert catalog(database_url) == before


def test_a_partly_migrated_tenant_blocks_migrate_and_a_new_tenant_does_not(
    project: Project, database_url: str
) -> None:
    with_email_key(project)
    project.resource("authors", AUTHORS)
    project.resource("notes", NOTES + 'author_email = { type = "text" }\n')
    project.ok("generate", "--name", "drop_key")
    project.ok("migrate", "--tenants", "--only-tenants", "org_a")
    code, out = project.run("migrate")
    assert code == 1 and "tenant org_b has not applied" in out, out
    project.ok("migrate", "--tenants")
    project.tenants((*TENANTS, "org_new"))  # no schema yet: `migrate --tenants` builds it later
    project.ok("migrate")
    project.ok("migrate", "--tenants")
    assert versions(database_url, "org_new") == versions(database_url, "org_a")


def test_a_dropped_public_table_waits_for_the_tenants_and_rollback_all_walks_back(
    project: Project, database_url: str
) -> None:
    project.resource("authors", AUTHORS)
    project.resource("notes", NOTES + 'author_id = { type = "bigint", references = { table = "authors" } }\n')
    project.ok("generate", "--name", "init")
    project.ok("migrate")
    project.ok("migrate", "--tenants")
    project.remove("authors")
    project.resource("notes", NOTES + 'author_id = { type = "bigint" }\n')
    project.ok("generate", "--name", "drop_authors", "--drop-table", "authors")
    assert project.run("migrate")[0] == 1
    project.ok("migrate", "--tenants")
    project.ok("migrate")
    out = project.ok("rollback", "--all")
    assert "and 4 tenant migration run(s) in 2 tenant(s)" in out
    assert versions(database_url) == set()
    assert all(versions(database_url, name) == set() for name in TENANTS)
    tables = catalog(database_url).tables
    assert not [name for name in tables if not name.endswith("schema_migrations")], tables


# -- 18.4: rollback --untracked undoes in the exact reverse of the order applied


def test_rollback_untracked_undoes_a_dropped_public_table_before_the_tenant_keys_return(
    project: Project, database_url: str
) -> None:
    project.resource("authors", AUTHORS)
    project.resource("tags", TAGS)
    refs = (
        'author_id = { type = "bigint", references = { table = "authors" } }\n'
        'tag_id = { type = "bigint", references = { table = "tags" } }\n'
    )
    project.resource("notes", NOTES + refs)
    project.ok("generate", "--name", "init")
    project.ok("migrate")
    project.ok("migrate", "--tenants")
    commit_all(project.root)
    committed = catalog(database_url)

    project.remove("authors")
    project.resource(
        "notes",
        NOTES
        + 'author_id = { type = "bigint" }\ntag_id = { type = "bigint", references = { table = "tags" } }\n',
    )
    project.ok("generate", "--name", "drop_authors", "--drop-table", "authors")
    project.ok("migrate", "--tenants")
    project.ok("migrate")
    assert "public.authors" not in catalog(database_url).tables

    out = project.ok("rollback", "--untracked", "--yes")
    assert "rolled back 1 untracked migration(s) and 2 tenant migration run(s) in 2 tenant(s)" in out
    assert catalog(database_url) == committed
    assert len(versions(database_url)) == 1
    assert all(len(versions(database_url, name)) == 1 for name in TENANTS)


# -- 12.4: README's `rollback -n 2` on the bundled example


def test_readme_rollback_n_2_runs_on_the_bundled_example(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    blog = tmp_path / "blog"
    shutil.copytree(EXAMPLE, blog, ignore=shutil.ignore_patterns(".snapshift"))
    at = ["-C", str(blog)]
    assert main([*at, "migrate"]) == 0
    assert main([*at, "migrate", "--tenants"]) == 0
    capsys.readouterr()
    assert main([*at, "rollback", "-n", "2"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "rolled back 1 migration(s) and 2 tenant migration run(s) in 2 tenant(s)" in out
    assert out.index("org_acme: rolled back") < out.index("== rolled back 2026")
    assert versions(database_url) == set()
    assert all(versions(database_url, name) == set() for name in ("org_acme", "org_globex"))
    tables = catalog(database_url).tables
    assert not [name for name in tables if not name.endswith("schema_migrations")], tables
    # and back up again
    assert main([*at, "migrate"]) == 0
    assert main([*at, "migrate", "--tenants"]) == 0


# -- 18.5: a tenant added after a public rename comes up to the current state


def tenant_catalog(url: str, tenant: str) -> str:
    """One tenant schema's tables (the reader takes the schema's own name out), for comparing tenants."""
    with psycopg.connect(url) as conn:
        return repr(read_catalog(conn, [tenant]).schemas.get(tenant))


def renamed_authors(project: Project) -> None:
    """authors and tenant notes referencing it, migrated; then authors renamed to writers, migrated."""
    project.resource("authors", AUTHORS)
    ref = 'author_id = {{ type = "bigint", references = {{ table = "{}" }} }}\n'
    project.resource("notes", NOTES + ref.format("authors"))
    project.ok("generate", "--name", "init")
    project.ok("migrate")
    project.ok("migrate", "--tenants")
    project.remove("authors")
    project.resource("writers", AUTHORS.replace('"authors"', '"writers"'))
    project.resource("notes", NOTES + ref.format("writers"))
    project.ok("generate", "--name", "rename", "--rename-table", "authors=writers")
    project.ok("migrate")
    project.ok("migrate", "--tenants")


def test_a_tenant_added_after_a_public_rename_comes_up(project: Project, database_url: str) -> None:
    renamed_authors(project)
    # a hand-written tenant migration is replayed in the new tenant, after the build
    folder = project.root / "priv" / "repo" / "tenant_migrations"
    (folder / "29990101000000_seed.sql").write_text(
        "-- migrate:up\nINSERT INTO notes (id) VALUES (1);\n\n-- migrate:down\nDELETE FROM notes WHERE id = 1;\n"
    )
    project.ok("migrate", "--tenants")
    project.tenants((*TENANTS, "org_new"))
    out = project.ok("migrate", "--tenants")
    assert "org_new: applied 2 migrations" in out and "1 tenant(s) migrated, 2 up to date" in out
    assert tenant_catalog(database_url, "org_new") == tenant_catalog(database_url, "org_a")
    assert versions(database_url, "org_new") == versions(database_url, "org_a")
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT id FROM org_new.notes").fetchall() == [(1,)]
    # the new tenant walks back like the others
    project.ok("rollback", "--tenants", "--all")
    assert all(versions(database_url, name) == set() for name in (*TENANTS, "org_new"))


def test_after_rolling_everything_back_public_then_tenants_migrate_again(
    project: Project, database_url: str
) -> None:
    renamed_authors(project)
    built = tenant_catalog(database_url, "org_a")
    everything = catalog(database_url)
    project.ok("rollback", "--all")  # the tenant migrations first, in the reverse of the order applied
    tables = catalog(database_url).tables
    assert not [name for name in tables if not name.endswith("schema_migrations")], tables
    project.ok("migrate")  # public to the newest
    project.ok("migrate", "--tenants")  # then every (now empty) tenant
    assert tenant_catalog(database_url, "org_b") == built
    assert catalog(database_url) == everything


def test_after_tenants_is_read_and_checked_like_the_other_directives(tmp_path: Path) -> None:
    from snapshift.engine.base.errors import InputError
    from snapshift.engine.base.migrations import parse_migration_text, render_migration_file

    text = render_migration_file(["SELECT 1;"], ["SELECT 2;"], header=["a note"], after_tenants=[5, 7])
    assert "-- migrate:after-tenants 5 7\n-- migrate:up\n" in text
    parsed = parse_migration_text(text, path=tmp_path / "9_x.sql", version=9, name="x")
    assert parsed.after_tenants == (5, 7)
    for bad, line in (
        ("-- migrate:after-tenants next\n-- migrate:up\n-- migrate:down\n", 1),
        ("-- migrate:up\n-- migrate:after-tenants 5\n-- migrate:down\n", 2),
    ):
        with pytest.raises(InputError) as raised:
            parse_migration_text(bad, path=tmp_path / "9_x.sql", version=9, name="x")
        assert raised.value.exit_code == 2 and "after-tenants" in str(raised.value)
        assert raised.value.location.line == line


def test_regen_rolls_back_a_tenant_first_change_in_the_reverse_order(
    project: Project, database_url: str
) -> None:
    with_email_key(project)
    commit_all(project.root)
    committed = catalog(database_url)
    project.resource("authors", AUTHORS)
    project.resource("notes", NOTES + 'author_email = { type = "text" }\n')
    project.ok("generate", "--name", "drop_key")
    project.ok("migrate", "--tenants")
    project.ok("migrate")
    project.ok("regen", "--yes")  # the public down first: the tenant keys need the index back
    assert catalog(database_url) == committed
    public, tenant = project.files()[-1], project.files(tenant=True)[-1]  # regenerated, not applied
    assert stamp(tenant) < stamp(public) and "-- migrate:after-tenants" in public.read_text()


def test_regen_migrate_applies_a_tenant_first_change_tenants_first(
    project: Project, database_url: str
) -> None:
    """`regen -m` of a change that needs tenants first: migrate stops at the public migration that waits,
    so regen migrates the tenants and then the rest (it used to stop, exit 1, half applied)."""
    with_email_key(project)
    commit_all(project.root)
    project.resource("authors", AUTHORS)
    project.resource("notes", NOTES + 'author_email = { type = "text" }\n')
    project.ok("generate", "--name", "drop_key")
    project.ok("migrate", "--tenants")
    project.ok("migrate")
    migrated = catalog(database_url)
    out = project.ok("regen", "--yes", "-m")
    assert "error" not in out
    assert catalog(database_url) == migrated
    public, tenant = project.files()[-1], project.files(tenant=True)[-1]
    assert stamp(public) in versions(database_url)
    assert all(stamp(tenant) in versions(database_url, name) for name in TENANTS)


def test_a_tenant_key_moved_from_a_dropped_table_to_a_new_one_migrates_in_the_documented_order(
    project: Project, database_url: str
) -> None:
    """One generate drops `authors` (the tenant key on it goes first) and creates `people` (the tenant key
    to it comes after it): the public migrations are split around the tenant one, so that `migrate`,
    `migrate --tenants`, `migrate` applies everything (the new table used to sit in the public migration
    that waits for the tenants, so the tenant key to it failed), and rollback --all walks back."""
    project.resource("authors", AUTHORS)
    project.resource("notes", NOTES + 'author_id = { type = "bigint", references = { table = "authors" } }\n')
    project.ok("generate", "--name", "init")
    project.ok("migrate")
    project.ok("migrate", "--tenants")
    project.remove("authors")
    project.resource("people", AUTHORS.replace('"authors"', '"people"'))
    project.resource("notes", NOTES + 'author_id = { type = "bigint", references = { table = "people" } }\n')
    project.ok("generate", "--name", "move", "--drop-table", "authors")
    code, out = project.run("migrate")
    assert code == 1 and "snapshift migrate --tenants" in out, out
    project.ok("migrate", "--tenants")
    project.ok("migrate")
    tables = catalog(database_url).tables
    assert "public.people" in tables and "public.authors" not in tables
    assert "people" in str(tables["org_a.notes"])
    project.ok("rollback", "--all")
    assert versions(database_url) == set()
    assert all(versions(database_url, name) == set() for name in TENANTS)


def test_two_generates_deployed_at_once_apply_in_generation_order(
    project: Project, database_url: str
) -> None:
    """A tenant key dropped in one generate, the public table it used dropped in the next, both deployed
    at once (or migrated again after `rollback --untracked`): `migrate` stops before the public drop until
    the tenants have the older tenant migration (it used to run DROP TABLE and fail on the tenant keys)."""
    project.resource("authors", AUTHORS)
    project.resource("notes", NOTES + 'author_id = { type = "bigint", references = { table = "authors" } }\n')
    project.ok("generate", "--name", "init")
    project.ok("migrate")
    project.ok("migrate", "--tenants")
    project.resource("notes", NOTES + 'author_id = { type = "bigint" }\n')
    project.ok("generate", "--name", "let_go")
    project.remove("authors")
    project.ok("generate", "--name", "drop_authors", "--drop-table", "authors")
    code, out = project.run("migrate")
    assert code == 1 and "snapshift migrate --tenants" in out and "nothing was applied" in out, out
    project.ok("migrate", "--tenants")
    project.ok("migrate")
    assert "public.authors" not in catalog(database_url).tables
    project.ok("rollback", "--all")
    assert versions(database_url) == set()


def test_a_tenant_migration_waits_for_an_older_pending_public_one(
    project: Project, database_url: str
) -> None:
    """Deployed at once: a tenant key let go (tenant), its table dropped and `people` created (public), a
    tenant key to `people` (tenant). `migrate` waits for the first tenant migration; `migrate --tenants`
    applies it and leaves the second for after the public one (it used to run it and fail: no `people`)."""
    project.resource("authors", AUTHORS)
    project.resource("notes", NOTES + 'author_id = { type = "bigint", references = { table = "authors" } }\n')
    project.ok("generate", "--name", "init")
    project.ok("migrate")
    project.ok("migrate", "--tenants")
    project.resource("notes", NOTES + 'author_id = { type = "bigint" }\n')
    project.ok("generate", "--name", "let_go")
    project.remove("authors")
    project.resource("people", AUTHORS.replace('"authors"', '"people"'))
    project.ok("generate", "--name", "people", "--drop-table", "authors")
    project.resource("notes", NOTES + 'author_id = { type = "bigint", references = { table = "people" } }\n')
    project.ok("generate", "--name", "to_people")
    assert project.run("migrate")[0] == 1
    said = project.ok("migrate", "--tenants")
    [to_people] = [p for p in project.files(tenant=True) if "to_people" in p.name]
    [people] = [p for p in project.files() if "people" in p.name]
    assert f"1 tenant migration(s) wait for public migration {stamp(people)}, which is pending" in said
    assert "up to date" not in said, "tenants with a migration waiting are not up to date"
    assert all(stamp(to_people) not in versions(database_url, name) for name in TENANTS)
    project.ok("migrate")
    project.ok("migrate", "--tenants")
    assert all(stamp(to_people) in versions(database_url, name) for name in TENANTS)
    assert "people" in str(catalog(database_url).tables["org_a.notes"])


def tags_pending_with_a_new_tenant(project: Project) -> None:
    """notes referencing authors, migrated in org_a and org_b; then tags (public) and notes.tag_id referencing
    it (tenant) generated, not migrated; then org_new added to the tenants."""
    authors_ref = 'author_id = { type = "bigint", references = { table = "authors" } }\n'
    project.resource("authors", AUTHORS)
    project.resource("notes", NOTES + authors_ref)
    project.ok("generate", "--name", "init")
    project.ok("migrate")
    project.ok("migrate", "--tenants")
    project.resource("tags", TAGS)
    project.resource(
        "notes", NOTES + authors_ref + 'tag_id = { type = "bigint", references = { table = "tags" } }\n'
    )
    project.ok("generate", "--name", "tags")
    project.tenants((*TENANTS, "org_new"))


def test_a_tenant_added_while_a_public_migration_is_pending_waits_for_it(
    project: Project, database_url: str
) -> None:
    """A new tenant is built from the latest tenant snapshots, which may name public tables that a pending
    public migration creates: while a public migration is waited for, a new tenant waits too (it used to be
    built at once and fail on the missing table), then comes up in full after `migrate`."""
    tags_pending_with_a_new_tenant(project)
    said = project.ok("migrate", "--tenants")
    assert "1 tenant migration(s) and 1 new tenant(s) (org_new) wait for public migration" in said, said
    assert versions(database_url, "org_new") == set()
    project.ok("migrate")
    project.ok("migrate", "--tenants")
    assert tenant_catalog(database_url, "org_new") == tenant_catalog(database_url, "org_a")
    assert versions(database_url, "org_new") == versions(database_url, "org_a") != set()


def test_a_new_tenant_replays_what_n_asks_for_while_a_public_migration_is_pending(
    project: Project, database_url: str
) -> None:
    """`-n` replays (it never builds), so a new tenant takes the tenant migrations older than the pending
    public one, like the others; the newer one waits."""
    tags_pending_with_a_new_tenant(project)
    [init] = [stamp(p) for p in project.files(tenant=True) if "init" in p.name]
    project.ok("migrate", "--tenants", "-n", "5")
    assert versions(database_url, "org_new") == versions(database_url, "org_a") == {init}
