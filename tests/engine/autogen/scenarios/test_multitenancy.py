"""Multitenancy: attribute switches, context tables, references across namespaces, moves between them."""

from __future__ import annotations

import pytest

from snapshift.engine.autogen.questions import Answers, TableQuestion
from tests.engine.autogen.scenarios.scenario import Scenario, absent, find, ordered, table

ATTRIBUTE = 'multitenancy = {{ strategy = "attribute", attribute = "{}" }}'
CONTEXT = 'multitenancy = { strategy = "context" }'
ORGS = table("orgs", 'id = { type = "uuid", primary_key = true }')
AUTHORS = table("authors", 'id = { type = "bigint", primary_key = true, generated = true }')


def posts(head: str = "", extra: str = "") -> str:
    """posts with two tenant candidates, an identity, a custom index and an indexed FK."""
    return table(
        "posts",
        'id = { type = "uuid", primary_key = true }\n'
        'org_id = { type = "uuid", allow_nil = false }\nteam_id = { type = "uuid", allow_nil = false }\n'
        'title = { type = "text" }\n'
        'author_id = { type = "bigint", references = { table = "authors", index = true } }',
        '[identities]\nunique_title = { keys = ["title"] }\n'
        'global_title = { keys = ["title", "id"], all_tenants = true }\n'
        '[[indexes]]\nfields = ["title"]\n' + extra,
        head,
    )


def notes(columns: str = "", extra: str = "", name: str = "notes") -> str:
    return table(name, f'id = {{ type = "uuid", primary_key = true }}\n{columns}', extra, CONTEXT)


def test_none_to_attribute_rebuilds_indexes_with_the_tenant_first(scenario: Scenario) -> None:
    scenario.generate({"authors": AUTHORS, "posts": posts()})
    change = scenario.generate({"authors": AUTHORS, "posts": posts(ATTRIBUTE.format("org_id"))})
    ordered(
        change.up,
        'DROP INDEX "posts_unique_title_index"',
        'CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("org_id", "title");',
    )
    ordered(
        change.up,
        'DROP INDEX "posts_title_index"',
        'CREATE INDEX "posts_title_index" ON "posts" ("org_id", "title");',
    )
    find(change.up, 'CREATE INDEX "posts_author_id_index" ON "posts" ("org_id", "author_id");')
    absent(change.up, "posts_global_title_index")
    absent(change.up, "CONSTRAINT")
    scenario.roundtrip(change)


def test_attribute_to_none_rebuilds_indexes_without_the_tenant(scenario: Scenario) -> None:
    scenario.generate({"authors": AUTHORS, "posts": posts(ATTRIBUTE.format("org_id"))})
    change = scenario.generate({"authors": AUTHORS, "posts": posts()})
    find(change.up, 'CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("title");')
    find(change.up, 'CREATE INDEX "posts_author_id_index" ON "posts" ("author_id");')
    absent(change.up, "posts_global_title_index")
    scenario.roundtrip(change)


def test_tenant_attribute_changes_column(scenario: Scenario) -> None:
    scenario.generate({"authors": AUTHORS, "posts": posts(ATTRIBUTE.format("org_id"))})
    change = scenario.generate({"authors": AUTHORS, "posts": posts(ATTRIBUTE.format("team_id"))})
    find(change.up, 'CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("team_id", "title");')
    find(change.up, 'CREATE INDEX "posts_title_index" ON "posts" ("team_id", "title");')
    find(change.up, 'CREATE INDEX "posts_author_id_index" ON "posts" ("team_id", "author_id");')
    absent(change.up, "ALTER TABLE")
    scenario.roundtrip(change)


def test_identity_already_listing_the_tenant_is_not_duplicated(scenario: Scenario) -> None:
    extra = 'per_org = { keys = ["org_id", "title"] }\n'
    change = scenario.generate(
        {
            "authors": AUTHORS,
            "posts": table(
                "posts",
                'id = { type = "uuid", primary_key = true }\norg_id = { type = "uuid", allow_nil = false }\n'
                'title = { type = "text" }',
                "[identities]\n" + extra + 'title_org = { keys = ["title", "org_id"] }',
                ATTRIBUTE.format("org_id"),
            ),
        }
    )
    find(change.up, 'CREATE UNIQUE INDEX "posts_per_org_index" ON "posts" ("org_id", "title");')
    find(change.up, 'CREATE UNIQUE INDEX "posts_title_org_index" ON "posts" ("org_id", "title");')
    scenario.roundtrip(change)


def test_context_table_referencing_a_public_table(scenario: Scenario) -> None:
    scenario.generate({"authors": AUTHORS})
    change = scenario.generate(
        {
            "authors": AUTHORS,
            "notes": notes(
                'author_id = { type = "bigint", references = { table = "authors", on_delete = "delete" } }'
            ),
        }
    )
    assert change.public == []
    find(change.up, 'REFERENCES "public"."authors" ("id") ON DELETE CASCADE')
    assert change.tenant[0].path.parent == scenario.tenant_folder
    scenario.roundtrip(change)


def test_context_table_referencing_a_context_table(scenario: Scenario) -> None:
    folders = notes(name="folders")
    change = scenario.generate(
        {
            "folders": folders,
            "notes": notes('folder_id = { type = "uuid", references = { table = "folders" } }'),
        }
    )
    ordered(change.up, 'CREATE TABLE "folders"', 'CREATE TABLE "notes"')
    find(change.up, 'REFERENCES "folders" ("id")')
    absent(change.up, '"public"')
    scenario.roundtrip(change)


def test_public_and_context_changes_in_one_run(scenario: Scenario) -> None:
    change = scenario.generate(
        {"authors": AUTHORS, "notes": notes('body = { type = "text" }', '[[indexes]]\nfields = ["body"]')}
    )
    assert [m.name for m in change.public] == ["migrate_resources1"]
    assert [m.name for m in change.tenant] == ["migrate_resources1"]
    assert [s.text for m in change.tenant for s in m.up][
        -1
    ] == 'CREATE INDEX "notes_body_index" ON "notes" ("body");'
    assert (scenario.snapshots / "tenants" / "notes").is_dir()
    scenario.roundtrip(change)


def test_context_table_change_touches_only_tenant_migrations(scenario: Scenario) -> None:
    scenario.generate({"authors": AUTHORS, "notes": notes()})
    change = scenario.generate(
        {"authors": AUTHORS, "notes": notes('body = { type = "text", default = "\'\'" }')}
    )
    assert change.public == []
    assert [s.text for m in change.tenant for s in m.up] == [
        'ALTER TABLE "notes" ADD COLUMN "body" text DEFAULT \'\';'
    ]
    assert [m.name for m in change.tenant] == ["migrate_resources2"]
    scenario.roundtrip(change)


def test_context_table_rename(scenario: Scenario) -> None:
    scenario.generate(
        {"notes": notes('body = { type = "text" }', '[identities]\nunique_body = { keys = ["body"] }')}
    )
    generation = scenario.plan(
        {
            "memos": notes(
                'body = { type = "text" }', '[identities]\nunique_body = { keys = ["body"] }', "memos"
            )
        }
    )
    assert generation.questions == [TableQuestion("tenants.notes", ("tenants.memos",))]
    change = scenario.generate(answers=Answers(table_renames={"tenants.notes": "tenants.memos"}))
    assert change.public == []
    ordered(
        change.up, 'ALTER TABLE "notes" RENAME TO "memos";', 'RENAME CONSTRAINT "notes_pkey" TO "memos_pkey"'
    )
    find(change.up, 'ALTER INDEX "notes_unique_body_index" RENAME TO "memos_unique_body_index";')
    scenario.roundtrip(change)


def test_public_to_context_is_a_drop_question(scenario: Scenario) -> None:
    """A table cannot be moved into every tenant schema: the public one is dropped, the tenant one created."""
    scenario.generate({"notes": table("notes", 'id = { type = "uuid", primary_key = true }')})
    generation = scenario.plan({"notes": notes()})
    assert generation.questions == [TableQuestion("notes")]
    change = scenario.generate(answers=Answers(drop_tables=frozenset({"notes"})))
    assert [s.text for m in change.public for s in m.up] == ['DROP TABLE "notes";']
    find([s.text for m in change.tenant for s in m.up], 'CREATE TABLE "notes"')
    scenario.roundtrip(change)


def test_context_to_public_is_a_drop_question(scenario: Scenario) -> None:
    scenario.generate({"notes": notes('body = { type = "text" }')})
    generation = scenario.plan(
        {"notes": table("notes", 'id = { type = "uuid", primary_key = true }\nbody = { type = "text" }')}
    )
    assert generation.questions == [TableQuestion("tenants.notes")]
    assert "--drop-table tenants.notes" in generation.questions[0].flag_hint()
    change = scenario.generate(answers=Answers(drop_tables=frozenset({"tenants.notes"})))
    find([s.text for m in change.public for s in m.up], 'CREATE TABLE "notes"')
    assert [s.text for m in change.tenant for s in m.up] == ['DROP TABLE "notes";']
    scenario.roundtrip(change)


def test_context_table_dropped_with_a_reference_into_public(scenario: Scenario) -> None:
    scenario.generate(
        {
            "authors": AUTHORS,
            "notes": notes('author_id = { type = "bigint", references = { table = "authors" } }'),
        }
    )
    change = scenario.generate({"authors": AUTHORS}, Answers(drop_tables=frozenset({"tenants.notes"})))
    assert change.public == []
    assert [s.text for m in change.tenant for s in m.up][-1] == 'DROP TABLE "notes";'
    find(change.down, 'REFERENCES "public"."authors" ("id")')
    scenario.roundtrip(change)


def test_attribute_multitenant_reference_between_tenant_tables(scenario: Scenario) -> None:
    """A composite FK carrying the tenant (match_with) into an identity that starts with the tenant."""
    head = ATTRIBUTE.format("org_id")
    folders = table(
        "folders",
        'id = { type = "uuid", primary_key = true }\norg_id = { type = "uuid", allow_nil = false }',
        '[identities]\nper_org = { keys = ["id"] }',
        head,
    )
    docs = table(
        "docs",
        'id = { type = "uuid", primary_key = true }\norg_id = { type = "uuid", allow_nil = false }\n'
        'folder_id = { type = "uuid", references = { table = "folders", match_with = { org_id = "org_id" }, '
        'match_type = "full", index = true } }',
        head=head,
    )
    change = scenario.generate({"folders": folders, "docs": docs})
    ordered(
        change.up,
        'CREATE UNIQUE INDEX "folders_per_org_index" ON "folders" ("org_id", "id");',
        'FOREIGN KEY ("folder_id", "org_id") REFERENCES "folders" ("id", "org_id") MATCH FULL',
    )
    find(change.up, 'CREATE INDEX "docs_folder_id_index" ON "docs" ("org_id", "folder_id");')
    scenario.roundtrip(change)


def test_tenant_column_added_with_the_switch(scenario: Scenario) -> None:
    """The tenant column is new in the same run: it is added before the indexes that lead with it."""
    base = 'id = { type = "uuid", primary_key = true }\ntitle = { type = "text" }'
    identity = '[identities]\nunique_title = { keys = ["title"] }'
    scenario.generate({"orgs": ORGS, "posts": table("posts", base, identity)})
    with_org = base + '\norg_id = { type = "uuid", allow_nil = false, references = { table = "orgs" } }'
    change = scenario.generate(
        {"orgs": ORGS, "posts": table("posts", with_org, identity, ATTRIBUTE.format("org_id"))}
    )
    ordered(
        change.up,
        'ADD COLUMN "org_id" uuid NOT NULL',
        'CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("org_id", "title");',
    )
    ordered(change.down, 'DROP INDEX "posts_unique_title_index"', 'DROP COLUMN "org_id"')
    scenario.roundtrip(change)


def test_public_table_renamed_under_a_context_table_reference(scenario: Scenario) -> None:
    """The tenant FK follows the renamed public table: nothing to do in the tenant migration."""
    ref = 'author_id = {{ type = "bigint", references = {{ table = "{}" }} }}'
    scenario.generate({"authors": AUTHORS, "notes": notes(ref.format("authors"))})
    writers = AUTHORS.replace('"authors"', '"writers"')
    change = scenario.generate(
        {"writers": writers, "notes": notes(ref.format("writers"))},
        Answers(table_renames={"authors": "writers"}),
    )
    assert change.tenant == []
    find(change.up, 'ALTER TABLE "authors" RENAME TO "writers";')
    scenario.roundtrip(change)


def test_public_table_dropped_under_a_context_table_reference(scenario: Scenario) -> None:
    """The tenant FK into the dropped public table must be gone before the public DROP TABLE runs,
    and `migrate` applies public migrations before tenant ones."""
    ref = 'author_id = { type = "bigint", references = { table = "authors" } }'
    scenario.generate({"authors": AUTHORS, "notes": notes(ref)})
    change = scenario.generate(
        {"notes": notes('author_id = { type = "bigint" }')}, Answers(drop_tables=frozenset({"authors"}))
    )
    find([s.text for m in change.tenant for s in m.up], 'DROP CONSTRAINT "notes_author_id_fkey"')
    find([s.text for m in change.public for s in m.up], 'DROP TABLE "authors"')
    [public] = change.public
    assert "run `snapshift migrate --tenants` before `snapshift migrate`" in public.path.read_text()
    scenario.roundtrip(change, tenants_first=True)


def test_tenant_attribute_column_renamed(scenario: Scenario) -> None:
    """Renaming the tenant column itself: every index that leads with it follows the rename."""
    head = ATTRIBUTE.format("COL")
    cols = (
        'id = { type = "uuid", primary_key = true }\nCOL = { type = "uuid", allow_nil = false }\n'
        'title = { type = "text" }\n'
        'author_id = { type = "bigint", references = { table = "authors", index = true } }'
    )
    extra = '[identities]\nunique_title = { keys = ["title"] }\n[[indexes]]\nfields = ["title"]'
    scenario.generate(
        {"authors": AUTHORS, "posts": table("posts", cols, extra, head).replace("COL", "org_id")}
    )
    change = scenario.generate(
        {"authors": AUTHORS, "posts": table("posts", cols, extra, head).replace("COL", "tenant_id")},
        Answers(column_renames={"posts": {"org_id": "tenant_id"}}),
    )
    assert change.up == ['ALTER TABLE "posts" RENAME COLUMN "org_id" TO "tenant_id";']
    scenario.roundtrip(change)


ACCOUNTS = 'id = { type = "uuid", primary_key = true }\ncode = { type = "text", allow_nil = false }'
CODE_REF = 'account_code = { type = "text", references = { table = "accounts", column = "code" } }'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('unique_code = { keys = ["code"] }', 'unique_code = { keys = ["code"], nulls_distinct = false }'),
        ('unique_code = { keys = ["code"] }', 'code_key = { keys = ["code"] }'),
    ],
    ids=["rebuilt", "renamed-identity"],
)
def test_public_unique_index_rebuilt_under_a_context_table_reference(
    scenario: Scenario, before: str, after: str
) -> None:
    """The tenant FKs depend on the public index: the public migration detaches them from every tenant
    schema, rebuilds the index and attaches them again (tenant migrations run after public ones)."""
    scenario.generate(
        {
            "accounts": table("accounts", ACCOUNTS, f"[identities]\n{before}"),
            "docs": notes(CODE_REF, name="docs"),
        }
    )
    change = scenario.generate(
        {
            "accounts": table("accounts", ACCOUNTS, f"[identities]\n{after}"),
            "docs": notes(CODE_REF, name="docs"),
        }
    )
    assert change.tenant == []
    scenario.roundtrip(change)


def test_public_primary_key_rebuilt_under_a_context_table_reference(scenario: Scenario) -> None:
    """The key widens to (id, code) and an identity keeps id unique: the tenant FK into id moves over."""
    ref = 'account_id = { type = "uuid", references = { table = "accounts" } }'
    scenario.generate({"accounts": table("accounts", ACCOUNTS), "docs": notes(ref, name="docs")})
    wider = ACCOUNTS.replace("allow_nil = false", "primary_key = true")
    change = scenario.generate(
        {
            "accounts": table("accounts", wider, '[identities]\nunique_id = { keys = ["id"] }'),
            "docs": notes(ref, name="docs"),
        }
    )
    assert change.tenant == []
    scenario.roundtrip(change)


def test_concurrent_public_unique_index_rebuilt_under_a_context_table_reference(scenario: Scenario) -> None:
    """The rebuilt index is built concurrently (a migration of its own): the tenant FKs are reattached
    in the third migration, after it, as a FK needing such an index is."""
    index = '[[indexes]]\nfields = ["code"]\nunique = true\nconcurrently = true\n'
    docs = notes(CODE_REF, name="docs")
    scenario.generate({"accounts": table("accounts", ACCOUNTS, index), "docs": docs})
    change = scenario.generate(
        {"accounts": table("accounts", ACCOUNTS, index + "nulls_distinct = false\n"), "docs": docs}
    )
    *_, last = change.public
    assert [s.text.startswith("DO $$") for s in last.up] == [
        True,
        False,
    ]  # reattach, then drop the kept table
    scenario.roundtrip(change)
