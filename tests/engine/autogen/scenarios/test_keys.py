"""Primary keys and foreign keys: PK changes with FKs pointing at them, every FK option, FK indexes."""

from __future__ import annotations

from snapshift.engine.autogen.questions import Answers
from tests.engine.autogen.scenarios.scenario import Scenario, absent, find, ordered, table

AUTHORS = table("authors", 'id = { type = "bigint", primary_key = true, generated = true }')


def posts(columns: str, extra: str = "") -> str:
    return table("posts", f'id = {{ type = "uuid", primary_key = true }}\n{columns}', extra)


def with_fk(options: str = "", column: str = "author_id") -> dict[str, str]:
    more = f", {options}" if options else ""
    ref = f'{column} = {{ type = "bigint", references = {{ table = "authors"{more} }} }}'
    return {"authors": AUTHORS, "posts": posts(ref)}


# --- primary keys -------------------------------------------------------------------------------


def test_primary_key_grows_to_a_composite_key(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('title = { type = "text", allow_nil = false }')})
    change = scenario.generate({"posts": posts('title = { type = "text", primary_key = true }')})
    ordered(
        change.up,
        'ALTER TABLE "posts" DROP CONSTRAINT "posts_pkey";',
        'ALTER TABLE "posts" ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("id", "title");',
    )
    ordered(change.down, 'DROP CONSTRAINT "posts_pkey"', 'PRIMARY KEY ("id");')
    scenario.roundtrip(change)


def test_removing_a_column_of_the_primary_key(scenario: Scenario) -> None:
    """AshPostgres test 16: (id, title) -> title removed: the key is rebuilt on id alone."""
    scenario.generate({"posts": posts('title = { type = "text", primary_key = true }')})
    change = scenario.generate({"posts": posts("")})
    ordered(
        change.up,
        'DROP CONSTRAINT "posts_pkey"',
        'ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("id")',
        'DROP COLUMN "title"',
    )
    ordered(change.down, 'ADD COLUMN "title" text NOT NULL', 'PRIMARY KEY ("id", "title")')
    scenario.roundtrip(change)


def test_primary_key_moves_to_a_new_column(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('code = { type = "text", allow_nil = false }')})
    change = scenario.generate(
        {
            "posts": table(
                "posts",
                'id = { type = "uuid", allow_nil = false }\ncode = { type = "text" }\n'
                'key = { type = "bigint", primary_key = true, generated = true }',
            )
        }
    )
    ordered(change.up, 'DROP CONSTRAINT "posts_pkey"', 'ADD COLUMN "key" bigserial', 'PRIMARY KEY ("key")')
    scenario.roundtrip(change)


def test_primary_key_change_with_a_foreign_key_following_it(scenario: Scenario) -> None:
    """comments.post_code follows posts' key from id to code: FK dropped before the PK, added after."""
    comments = table(
        "comments",
        'id = {{ type = "uuid", primary_key = true }}\n'
        'post_ref = {{ type = "{}", references = {{ table = "posts", column = "{}" }} }}',
    )
    scenario.generate(
        {
            "posts": posts('code = { type = "text", allow_nil = false }'),
            "comments": comments.format("uuid", "id"),
        }
    )
    change = scenario.generate(
        {
            "posts": table(
                "posts",
                'id = { type = "uuid", allow_nil = false }\ncode = { type = "text", primary_key = true }',
            ),
            "comments": comments.format("text", "code"),
        }
    )
    ordered(
        change.up,
        'ALTER TABLE "comments" DROP CONSTRAINT "comments_post_ref_fkey";',
        'ALTER TABLE "posts" DROP CONSTRAINT "posts_pkey";',
        'ALTER TABLE "posts" ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("code");',
        'ADD CONSTRAINT "comments_post_ref_fkey" FOREIGN KEY ("post_ref") REFERENCES "posts" ("code")',
    )
    ordered(change.up, 'DROP CONSTRAINT "comments_post_ref_fkey"', 'ALTER COLUMN "post_ref" TYPE text')
    scenario.roundtrip(change)


def test_primary_key_change_under_a_foreign_key_that_stays(scenario: Scenario) -> None:
    """AshPostgres test 69: posts' key grows from id to (id, version) while comments.post_id keeps
    pointing at posts.id (unique through an identity). The FK depends on posts_pkey, so it must be
    dropped before the key and added back once id is unique again."""
    comments = table(
        "comments",
        'id = { type = "uuid", primary_key = true }\n'
        'post_id = { type = "uuid", references = { table = "posts" } }',
    )
    scenario.generate(
        {"posts": posts('version = { type = "integer", allow_nil = false }'), "comments": comments}
    )
    change = scenario.generate(
        {
            "posts": posts(
                'version = { type = "integer", primary_key = true }',
                '[identities]\nunique_id = { keys = ["id"] }',
            ),
            "comments": comments,
        }
    )
    ordered(
        change.up,
        'ALTER TABLE "comments" DROP CONSTRAINT "comments_post_id_fkey";',
        'ALTER TABLE "posts" DROP CONSTRAINT "posts_pkey";',
        'ALTER TABLE "comments" ADD CONSTRAINT "comments_post_id_fkey"',
    )
    ordered(
        change.up, 'CREATE UNIQUE INDEX "posts_unique_id_index"', 'ADD CONSTRAINT "comments_post_id_fkey"'
    )
    scenario.roundtrip(change)


# --- foreign key options -------------------------------------------------------------------------


def test_on_delete_change_drops_and_adds_the_foreign_key(scenario: Scenario) -> None:
    scenario.generate(with_fk('on_delete = "delete"'))
    change = scenario.generate(with_fk('on_delete = "nilify"'))
    assert change.up == [
        'ALTER TABLE "posts" DROP CONSTRAINT "posts_author_id_fkey";',
        'ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_fkey" FOREIGN KEY ("author_id") '
        'REFERENCES "authors" ("id") ON DELETE SET NULL;',
    ]
    assert change.down[-1].endswith('REFERENCES "authors" ("id") ON DELETE CASCADE;')
    scenario.roundtrip(change)


def test_on_update_added(scenario: Scenario) -> None:
    scenario.generate(with_fk())
    change = scenario.generate(with_fk('on_update = "update", on_delete = "restrict"'))
    ordered(
        change.up,
        'DROP CONSTRAINT "posts_author_id_fkey"',
        'REFERENCES "authors" ("id") ON DELETE RESTRICT ON UPDATE CASCADE;',
    )
    scenario.roundtrip(change)


def test_on_delete_nothing_is_the_default_action(scenario: Scenario) -> None:
    """`nothing` renders no clause; switching to it from `restrict` still rebuilds the constraint."""
    scenario.generate(with_fk('on_delete = "restrict"'))
    change = scenario.generate(with_fk('on_delete = "nothing"'))
    find(change.up, 'REFERENCES "authors" ("id");')
    scenario.roundtrip(change)


def test_deferrable_becomes_initially_deferred(scenario: Scenario) -> None:
    scenario.generate(with_fk("deferrable = true"))
    change = scenario.generate(with_fk('deferrable = "initially"'))
    ordered(change.up, 'DROP CONSTRAINT "posts_author_id_fkey"', "DEFERRABLE INITIALLY DEFERRED;")
    find(change.down, "DEFERRABLE INITIALLY IMMEDIATE;")
    scenario.roundtrip(change)


def test_table_created_with_a_deferrable_foreign_key_rolls_back(scenario: Scenario) -> None:
    """AshPostgres #595: the create-table migration with a deferrable FK must be rollback-able."""
    change = scenario.generate(with_fk('deferrable = "initially", on_delete = "delete"'))
    find(change.up, "DEFERRABLE INITIALLY DEFERRED")
    assert change.down == ['DROP TABLE "posts";', 'DROP TABLE "authors";']
    scenario.roundtrip(change)


def test_match_type_full_added(scenario: Scenario) -> None:
    scenario.generate(with_fk())
    change = scenario.generate(with_fk('match_type = "full"'))
    find(change.up, 'REFERENCES "authors" ("id") MATCH FULL;')
    scenario.roundtrip(change)


def test_match_with_added_waits_for_the_new_unique_index(scenario: Scenario) -> None:
    """A composite FK into (id, org) needs the identity created in the same run first (#236, #805)."""
    authors = table(
        "authors",
        'id = { type = "bigint", primary_key = true, generated = true }\n'
        'org = { type = "text", allow_nil = false }',
    )
    scenario.generate(
        {
            "authors": authors,
            "posts": posts('author_id = { type = "bigint", references = { table = "authors" } }'),
        }
    )
    change = scenario.generate(
        {
            "authors": authors + '[identities]\nby_org = { keys = ["id", "org"] }\n',
            "posts": posts(
                'author_id = { type = "bigint", references = { table = "authors", '
                'match_with = { org = "org" }, match_type = "full" } }\norg = { type = "text" }'
            ),
        }
    )
    ordered(
        change.up,
        'CREATE UNIQUE INDEX "authors_by_org_index" ON "authors" ("id", "org");',
        'FOREIGN KEY ("author_id", "org") REFERENCES "authors" ("id", "org") MATCH FULL;',
    )
    ordered(change.up, 'DROP CONSTRAINT "posts_author_id_fkey"', 'FOREIGN KEY ("author_id", "org")')
    ordered(change.up, 'ADD COLUMN "org" text', 'FOREIGN KEY ("author_id", "org")')
    scenario.roundtrip(change)


def test_match_with_remote_column_changes(scenario: Scenario) -> None:
    authors = table(
        "authors",
        'id = { type = "bigint", primary_key = true }\norg = { type = "text", allow_nil = false }\n'
        'region = { type = "text", allow_nil = false }',
        '[identities]\nby_org = { keys = ["id", "org"] }\nby_region = { keys = ["id", "region"] }',
    )
    fk = (
        'author_id = {{ type = "bigint", '
        'references = {{ table = "authors", match_with = {{ tag = "{}" }} }} }}'
    )
    scenario.generate({"authors": authors, "posts": posts(fk.format("org") + '\ntag = { type = "text" }')})
    change = scenario.generate(
        {"authors": authors, "posts": posts(fk.format("region") + '\ntag = { type = "text" }')}
    )
    ordered(
        change.up,
        'DROP CONSTRAINT "posts_author_id_fkey"',
        'FOREIGN KEY ("author_id", "tag") REFERENCES "authors" ("id", "region");',
    )
    scenario.roundtrip(change)


def test_foreign_key_renamed_by_name_option(scenario: Scenario) -> None:
    scenario.generate(with_fk())
    change = scenario.generate(with_fk('name = "posts_written_by"'))
    assert change.up == [
        'ALTER TABLE "posts" RENAME CONSTRAINT "posts_author_id_fkey" TO "posts_written_by";'
    ]
    scenario.roundtrip(change)


def test_foreign_key_removed_keeps_the_column(scenario: Scenario) -> None:
    scenario.generate(with_fk())
    change = scenario.generate({"authors": AUTHORS, "posts": posts('author_id = { type = "bigint" }')})
    assert change.up == ['ALTER TABLE "posts" DROP CONSTRAINT "posts_author_id_fkey";']
    scenario.roundtrip(change)


def test_foreign_key_added_to_an_existing_column_into_a_new_table(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('author_id = { type = "bigint" }')})
    change = scenario.generate(with_fk())
    ordered(change.up, 'CREATE TABLE "authors"', 'ADD CONSTRAINT "posts_author_id_fkey"')
    scenario.roundtrip(change)


def test_foreign_key_pointed_at_another_table(scenario: Scenario) -> None:
    editors = table("editors", 'id = { type = "bigint", primary_key = true }')
    scenario.generate({**with_fk(), "editors": editors})
    ref = 'author_id = { type = "bigint", references = { table = "editors", name = "posts_author_id_fkey" } }'
    change = scenario.generate({"authors": AUTHORS, "editors": editors, "posts": posts(ref)})
    ordered(change.up, 'DROP CONSTRAINT "posts_author_id_fkey"', 'REFERENCES "editors" ("id")')
    scenario.roundtrip(change)


def test_foreign_key_into_a_table_in_another_schema(scenario: Scenario) -> None:
    people = table("people", 'id = { type = "bigint", primary_key = true }', head='schema = "crm"')
    ref = (
        'person_id = { type = "bigint", '
        'references = { table = "people", schema = "crm", on_delete = "delete" } }'
    )
    change = scenario.generate({"people": people, "posts": posts(ref)})
    ordered(
        change.up,
        'CREATE SCHEMA IF NOT EXISTS "crm";',
        'CREATE TABLE "crm"."people"',
        'REFERENCES "crm"."people" ("id") ON DELETE CASCADE',
    )
    scenario.roundtrip(change)


def test_self_reference_to_a_new_unique_column(scenario: Scenario) -> None:
    """#236: a new table whose FK targets its own identity: the index exists before the FK."""
    nodes = table(
        "nodes",
        'id = { type = "uuid", primary_key = true }\nslug = { type = "text", allow_nil = false }\n'
        'parent_slug = { type = "text", references = { table = "nodes", column = "slug" } }',
        '[identities]\nunique_slug = { keys = ["slug"] }',
    )
    change = scenario.generate({"nodes": nodes})
    ordered(
        change.up,
        'CREATE TABLE "nodes"',
        'CREATE UNIQUE INDEX "nodes_unique_slug_index"',
        'ADD CONSTRAINT "nodes_parent_slug_fkey" FOREIGN KEY ("parent_slug") REFERENCES "nodes" ("slug")',
    )
    scenario.roundtrip(change)


def test_two_new_tables_referencing_each_other(scenario: Scenario) -> None:
    a = table(
        "a_items",
        'id = { type = "bigint", primary_key = true }\n'
        'b_id = { type = "bigint", references = { table = "b_items" } }',
    )
    b = table(
        "b_items",
        'id = { type = "bigint", primary_key = true }\n'
        'a_id = { type = "bigint", references = { table = "a_items" } }',
    )
    change = scenario.generate({"a_items": a, "b_items": b})
    ordered(
        change.up, 'CREATE TABLE "a_items"', 'CREATE TABLE "b_items"', 'ADD CONSTRAINT "a_items_b_id_fkey"'
    )
    ordered(
        change.down, 'DROP CONSTRAINT "a_items_b_id_fkey"', 'DROP TABLE "b_items"', 'DROP TABLE "a_items"'
    )
    scenario.roundtrip(change)


def test_referenced_and_referencing_columns_widen_together(scenario: Scenario) -> None:
    parent = table("authors", 'id = { type = "TYPE", primary_key = true }')
    child = posts('author_id = { type = "TYPE", references = { table = "authors" } }')
    scenario.generate(
        {"authors": parent.replace("TYPE", "integer"), "posts": child.replace("TYPE", "integer")}
    )
    change = scenario.generate(
        {"authors": parent.replace("TYPE", "bigint"), "posts": child.replace("TYPE", "bigint")}
    )
    find(change.up, 'ALTER TABLE "authors" ALTER COLUMN "id" TYPE bigint')
    find(change.up, 'ALTER TABLE "posts" ALTER COLUMN "author_id" TYPE bigint')
    scenario.roundtrip(change)


# --- the FK index option -------------------------------------------------------------------------


def test_fk_index_turned_on_only_creates_the_index(scenario: Scenario) -> None:
    """#611: only the index option changed: no FK drop."""
    scenario.generate(with_fk('on_delete = "delete"'))
    change = scenario.generate(with_fk('on_delete = "delete", index = true'))
    assert change.up == ['CREATE INDEX "posts_author_id_index" ON "posts" ("author_id");']
    assert change.down == ['DROP INDEX "posts_author_id_index";']
    scenario.roundtrip(change)


def test_fk_index_turned_off_only_drops_the_index(scenario: Scenario) -> None:
    scenario.generate(with_fk("index = true, deferrable = true"))
    change = scenario.generate(with_fk("deferrable = true"))
    assert change.up == ['DROP INDEX "posts_author_id_index";']
    absent(change.up, "CONSTRAINT")
    scenario.roundtrip(change)


def test_fk_index_and_on_delete_change_together(scenario: Scenario) -> None:
    scenario.generate(with_fk())
    change = scenario.generate(with_fk('on_delete = "delete", index = true'))
    find(change.up, 'CREATE INDEX "posts_author_id_index"')
    ordered(change.up, 'DROP CONSTRAINT "posts_author_id_fkey"', "ON DELETE CASCADE")
    scenario.roundtrip(change)


def test_new_fk_column_with_index_on_existing_table(scenario: Scenario) -> None:
    scenario.generate({"authors": AUTHORS, "posts": posts("")})
    change = scenario.generate(with_fk('index = true, on_delete = "nilify"'))
    ordered(
        change.up,
        'ADD COLUMN "author_id" bigint',
        'ADD CONSTRAINT "posts_author_id_fkey" FOREIGN KEY ("author_id") '
        'REFERENCES "authors" ("id") ON DELETE SET NULL',
    )
    ordered(change.up, 'ADD COLUMN "author_id"', 'CREATE INDEX "posts_author_id_index"')
    scenario.roundtrip(change)


def test_dropping_a_referenced_table_drops_the_child_fk_first(scenario: Scenario) -> None:
    """AshPostgres test 88: the remaining table loses its FK column; the FK goes before the table."""
    scenario.generate(with_fk("index = true"))
    change = scenario.generate({"posts": posts("")}, Answers(drop_tables=frozenset({"authors"})))
    ordered(change.up, 'DROP CONSTRAINT "posts_author_id_fkey"', 'DROP TABLE "authors"')
    ordered(change.up, 'DROP INDEX "posts_author_id_index"', 'DROP COLUMN "author_id"')
    scenario.roundtrip(change)


def slug_tables(identity_options: str = "", fk_options: str = "") -> dict[str, str]:
    return {
        "posts": table(
            "posts",
            'id = { type = "uuid", primary_key = true }\nslug = { type = "text", allow_nil = false }',
            f'[identities]\nunique_slug = {{ keys = ["slug"]{identity_options} }}',
        ),
        "tags": table(
            "tags",
            'id = { type = "uuid", primary_key = true }\n'
            'post_slug = { type = "text", '
            f'references = {{ table = "posts", column = "slug"{fk_options} }} }}',
        ),
    }


def test_unique_index_rebuilt_under_a_foreign_key_that_stays(scenario: Scenario) -> None:
    """tags.post_slug -> posts.slug relies on posts_unique_slug_index; rebuilding that index (here to
    NULLS NOT DISTINCT) needs the FK dropped first and added back after the new index exists."""
    scenario.generate(slug_tables())
    change = scenario.generate(slug_tables(", nulls_distinct = false"))
    ordered(
        change.up,
        'ALTER TABLE "tags" DROP CONSTRAINT "tags_post_slug_fkey";',
        'DROP INDEX "posts_unique_slug_index";',
        'CREATE UNIQUE INDEX "posts_unique_slug_index" ON "posts" ("slug") NULLS NOT DISTINCT;',
        'ALTER TABLE "tags" ADD CONSTRAINT "tags_post_slug_fkey"',
    )
    scenario.roundtrip(change)


def test_renamed_match_with_column_keeps_the_composite_foreign_key(scenario: Scenario) -> None:
    authors = table(
        "authors",
        'id = { type = "bigint", primary_key = true }\norg = { type = "text", allow_nil = false }',
        '[identities]\nby_org = { keys = ["id", "org"] }',
    )
    child = posts(
        'author_id = { type = "bigint", references = { table = "authors", match_with = { COL = "org" } } }\n'
        'COL = { type = "text" }'
    )
    scenario.generate({"authors": authors, "posts": child.replace("COL", "org")})
    change = scenario.generate(
        {"authors": authors, "posts": child.replace("COL", "organization")},
        Answers(column_renames={"posts": {"org": "organization"}}),
    )
    assert change.up == ['ALTER TABLE "posts" RENAME COLUMN "org" TO "organization";']
    scenario.roundtrip(change)


def test_dropping_a_match_with_column_drops_the_foreign_key_first(scenario: Scenario) -> None:
    authors = table(
        "authors",
        'id = { type = "bigint", primary_key = true }\norg = { type = "text", allow_nil = false }',
        '[identities]\nby_org = { keys = ["id", "org"] }',
    )
    scenario.generate(
        {
            "authors": authors,
            "posts": posts(
                'author_id = { type = "bigint", '
                'references = { table = "authors", match_with = { org = "org" } } }\norg = { type = "text" }'
            ),
        }
    )
    change = scenario.generate(
        {
            "authors": authors,
            "posts": posts('author_id = { type = "bigint", references = { table = "authors" } }'),
        }
    )
    ordered(change.up, 'DROP CONSTRAINT "posts_author_id_fkey"', 'DROP COLUMN "org"')
    ordered(
        change.up,
        'DROP CONSTRAINT "posts_author_id_fkey"',
        'FOREIGN KEY ("author_id") REFERENCES "authors" ("id")',
    )
    scenario.roundtrip(change)
