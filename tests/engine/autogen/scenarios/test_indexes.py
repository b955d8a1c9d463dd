"""Identities (incl. partial, base-filter-like ones), custom indexes, concurrent indexes and checks."""

from __future__ import annotations

from tests.engine.autogen.scenarios.scenario import Scenario, absent, find, ordered, table

COLS = (
    'id = { type = "uuid", primary_key = true }\ntitle = { type = "text" }\nslug = { type = "text" }\n'
    'archived = { type = "boolean", allow_nil = false, default = false }'
)


def posts(extra: str = "", cols: str = COLS, head: str = "") -> str:
    return table("posts", cols, extra, head)


def identity(spec: str, name: str = "unique_title") -> str:
    return f"[identities]\n{name} = {{ {spec} }}"


# --- identities ----------------------------------------------------------------------------------


def test_partial_identity_added(scenario: Scenario) -> None:
    """A base-filter-like identity: unique among rows that are not archived."""
    scenario.generate({"posts": posts()})
    change = scenario.generate({"posts": posts(identity('keys = ["title"], where = "NOT archived"'))})
    assert change.up == [
        'CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("title") WHERE NOT archived;'
    ]
    assert change.down == ['DROP INDEX "posts_unique_title_index";']
    scenario.roundtrip(change)


def test_partial_identity_filter_changed(scenario: Scenario) -> None:
    scenario.generate({"posts": posts(identity('keys = ["title"], where = "NOT archived"'))})
    change = scenario.generate({"posts": posts(identity('keys = ["title"], where = "slug IS NOT NULL"'))})
    assert change.up == [
        'DROP INDEX "posts_unique_title_index";',
        'CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("title") WHERE slug IS NOT NULL;',
    ]
    assert change.down[-1].endswith("WHERE NOT archived;")
    scenario.roundtrip(change)


def test_partial_identity_over_a_new_column_waits_for_it(scenario: Scenario) -> None:
    scenario.generate({"posts": posts()})
    cols = COLS + '\ndeleted_at = { type = "timestamptz" }'
    change = scenario.generate(
        {"posts": posts(identity('keys = ["slug"], where = "deleted_at IS NULL"'), cols)}
    )
    ordered(change.up, 'ADD COLUMN "deleted_at"', "WHERE deleted_at IS NULL;")
    scenario.roundtrip(change)


def test_partial_identity_over_a_dropped_filter_column(scenario: Scenario) -> None:
    """The filter names a column being removed: the index goes before the column (and comes back after it)."""
    scenario.generate({"posts": posts(identity('keys = ["title"], where = "NOT archived"'))})
    cols = 'id = { type = "uuid", primary_key = true }\ntitle = { type = "text" }\nslug = { type = "text" }'
    change = scenario.generate({"posts": posts(identity('keys = ["title"]'), cols)})
    ordered(change.up, 'DROP INDEX "posts_unique_title_index"', 'DROP COLUMN "archived"')
    ordered(change.down, 'ADD COLUMN "archived"', "WHERE NOT archived")
    scenario.roundtrip(change)


def test_identity_nulls_distinct_toggled(scenario: Scenario) -> None:
    scenario.generate({"posts": posts(identity('keys = ["title"]'))})
    change = scenario.generate({"posts": posts(identity('keys = ["title"], nulls_distinct = false'))})
    assert (
        change.up[-1]
        == 'CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("title") NULLS NOT DISTINCT;'
    )
    scenario.roundtrip(change)


def test_identity_keys_changed(scenario: Scenario) -> None:
    scenario.generate({"posts": posts(identity('keys = ["title"]'))})
    change = scenario.generate({"posts": posts(identity('keys = ["title", "slug"]'))})
    ordered(change.up, 'DROP INDEX "posts_unique_title_index"', '("title", "slug");')
    scenario.roundtrip(change)


def test_identity_renamed_renames_its_index(scenario: Scenario) -> None:
    scenario.generate({"posts": posts(identity('keys = ["title"]'))})
    change = scenario.generate({"posts": posts(identity('keys = ["title"]', "title_once"))})
    assert change.up == ['ALTER INDEX "posts_unique_title_index" RENAME TO "posts_title_once_index";']
    scenario.roundtrip(change)


def test_identity_index_renamed_in_a_named_schema(scenario: Scenario) -> None:
    """The RENAME TO target is a bare name (AshPostgres qualifies it, which PostgreSQL rejects)."""
    head = 'schema = "blog"'
    scenario.generate({"posts": posts(identity('keys = ["title"]'), head=head)})
    change = scenario.generate(
        {"posts": posts(identity('keys = ["title"], index_name = "posts_title_key"'), head=head)}
    )
    assert change.up == ['ALTER INDEX "blog"."posts_unique_title_index" RENAME TO "posts_title_key";']
    scenario.roundtrip(change)


def test_two_identities_swap_definitions(scenario: Scenario) -> None:
    """Two identities exchange keys: no rename can free a name the other still holds, so both are rebuilt."""
    two = '[identities]\nfirst = {{ keys = ["{}"] }}\nsecond = {{ keys = ["{}"] }}'
    scenario.generate({"posts": posts(two.format("title", "slug"))})
    change = scenario.generate({"posts": posts(two.format("slug", "title"))})
    assert change.up == [
        'DROP INDEX "posts_first_index";',
        'DROP INDEX "posts_second_index";',
        'CREATE UNIQUE INDEX "posts_first_index" ON "posts" ("slug");',
        'CREATE UNIQUE INDEX "posts_second_index" ON "posts" ("title");',
    ]
    scenario.roundtrip(change)


# --- custom indexes ------------------------------------------------------------------------------


def test_custom_index_options_changed(scenario: Scenario) -> None:
    index = '[[indexes]]\nfields = ["title"]\nname = "posts_title_idx"\n'
    scenario.generate({"posts": posts(index)})
    change = scenario.generate({"posts": posts(index + 'using = "hash"\nwhere = "NOT archived"')})
    assert change.up == [
        'DROP INDEX "posts_title_idx";',
        'CREATE INDEX "posts_title_idx" ON "posts" USING hash ("title") WHERE NOT archived;',
    ]
    scenario.roundtrip(change)


def test_custom_index_include_and_sort_order(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('[[indexes]]\nfields = ["title"]')})
    change = scenario.generate(
        {"posts": posts('[[indexes]]\nfields = ["title desc nulls last"]\ninclude = ["slug"]')}
    )
    find(change.up, 'CREATE INDEX "posts_title_index" ON "posts" ("title" DESC NULLS LAST) INCLUDE ("slug");')
    scenario.roundtrip(change)


def test_custom_index_over_a_dropped_column_goes_first(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('[[indexes]]\nfields = ["slug", "title"]')})
    cols = (
        'id = { type = "uuid", primary_key = true }\ntitle = { type = "text" }\n'
        'archived = { type = "boolean", allow_nil = false, default = false }'
    )
    change = scenario.generate({"posts": posts("", cols)})
    ordered(change.up, 'DROP INDEX "posts_slug_title_index"', 'DROP COLUMN "slug"')
    ordered(change.down, 'ADD COLUMN "slug"', 'CREATE INDEX "posts_slug_title_index"')
    scenario.roundtrip(change)


def test_unique_expression_index_added(scenario: Scenario) -> None:
    scenario.generate({"posts": posts()})
    change = scenario.generate(
        {"posts": posts('[[indexes]]\nfields = ["lower(slug)"]\nname = "posts_lower_slug"\nunique = true')}
    )
    assert change.up == ['CREATE UNIQUE INDEX "posts_lower_slug" ON "posts" ((lower(slug)));']
    scenario.roundtrip(change)


# --- concurrent indexes --------------------------------------------------------------------------


def built_concurrently(name: str, create: str) -> list[str]:
    """The statements of a generated concurrent index: drop an INVALID one left by a failed run, then
    CREATE ... CONCURRENTLY IF NOT EXISTS (issue 17 item 2: a re-run after a failure half way works)."""
    invalid = f"SELECT FROM pg_index WHERE indexrelid = to_regclass('\"{name}\"') AND NOT indisvalid"
    guard = f'DO $$ BEGIN IF EXISTS ({invalid}) THEN DROP INDEX "{name}"; END IF; END $$;'
    return [guard, create.replace(" CONCURRENTLY ", " CONCURRENTLY IF NOT EXISTS ", 1)]


def test_concurrent_custom_index_on_an_existing_table_gets_its_own_migration(scenario: Scenario) -> None:
    scenario.generate({"posts": posts()})
    cols = COLS + '\nbody = { type = "text" }'
    change = scenario.generate({"posts": posts('[[indexes]]\nfields = ["slug"]\nconcurrently = true', cols)})
    assert change.names == ["migrate_resources2", "migrate_resources2_1"]
    main, concurrent = change.migrations
    assert not main.no_transaction and concurrent.no_transaction
    assert [s.text for s in main.up] == ['ALTER TABLE "posts" ADD COLUMN "body" text;']
    assert [s.text for s in concurrent.up] == built_concurrently(
        "posts_slug_index", 'CREATE INDEX CONCURRENTLY "posts_slug_index" ON "posts" ("slug");'
    )
    assert [s.text for s in concurrent.down] == ['DROP INDEX CONCURRENTLY IF EXISTS "posts_slug_index";']
    assert "-- migrate:no-transaction" in concurrent.path.read_text()
    scenario.roundtrip(change)


def test_only_a_concurrent_index_is_one_non_transactional_migration(scenario: Scenario) -> None:
    scenario.generate({"posts": posts()})
    change = scenario.generate({"posts": posts('[[indexes]]\nfields = ["slug"]\nconcurrently = true')})
    assert change.names == ["migrate_resources2"]
    assert change.migrations[0].no_transaction
    scenario.roundtrip(change)


def test_dropping_a_concurrent_index_is_transactional(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('[[indexes]]\nfields = ["slug"]\nconcurrently = true')})
    change = scenario.generate({"posts": posts()})
    assert [m.no_transaction for m in change.migrations] == [False]
    assert change.up == ['DROP INDEX "posts_slug_index";']
    scenario.roundtrip(change)


def test_concurrent_indexes_flag_builds_new_identities_concurrently(scenario: Scenario) -> None:
    scenario.generate({"posts": posts()})
    cols = COLS + '\nbody = { type = "text" }'
    change = scenario.generate(
        {"posts": posts(identity('keys = ["slug"], where = "NOT archived"', "unique_slug"), cols)},
        concurrent_indexes=True,
    )
    assert [m.no_transaction for m in change.migrations] == [False, True]
    assert [s.text for s in change.migrations[1].up] == built_concurrently(
        "posts_unique_slug_index",
        'CREATE UNIQUE INDEX CONCURRENTLY "posts_unique_slug_index" ON "posts" ("slug") WHERE NOT archived;',
    )
    scenario.roundtrip(change)


def test_concurrent_identity_with_a_new_foreign_key_needs_a_third_migration(scenario: Scenario) -> None:
    """AshPostgres test 10: the FK into the concurrently built unique index waits for it."""
    scenario.generate({"posts": posts()})
    tags = table(
        "tags",
        'id = { type = "uuid", primary_key = true }\n'
        'post_slug = { type = "text", references = { table = "posts", column = "slug", '
        'on_delete = "delete" } }',
    )
    change = scenario.generate(
        {"posts": posts(identity('keys = ["slug"]', "unique_slug")), "tags": tags}, concurrent_indexes=True
    )
    assert change.names == ["migrate_resources2", "migrate_resources2_1", "migrate_resources2_2"]
    first, second, third = ([s.text for s in m.up] for m in change.migrations)
    find(first, 'CREATE TABLE "tags"')
    absent(first, "FOREIGN KEY")
    assert second == built_concurrently(
        "posts_unique_slug_index",
        'CREATE UNIQUE INDEX CONCURRENTLY "posts_unique_slug_index" ON "posts" ("slug");',
    )
    assert third == [
        'ALTER TABLE "tags" ADD CONSTRAINT "tags_post_slug_fkey" FOREIGN KEY ("post_slug") '
        'REFERENCES "posts" ("slug") ON DELETE CASCADE;'
    ]
    scenario.roundtrip(change)


def test_concurrent_indexes_with_an_explicit_name(scenario: Scenario) -> None:
    scenario.generate({"posts": posts()})
    cols = COLS + '\nbody = { type = "text" }'
    change = scenario.generate(
        {"posts": posts(identity('keys = ["slug"]', "unique_slug"), cols)},
        concurrent_indexes=True,
        name="slugs",
    )
    assert change.names == ["slugs", "slugs_1"]
    scenario.roundtrip(change)


# --- check constraints ---------------------------------------------------------------------------


def test_check_over_a_new_column_is_added_after_it(scenario: Scenario) -> None:
    scenario.generate({"posts": posts()})
    cols = COLS + '\nprice = { type = "integer", default = 1 }'
    change = scenario.generate(
        {"posts": posts('[[check_constraints]]\nname = "price_positive"\ncheck = "price > 0"', cols)}
    )
    ordered(
        change.up, 'ADD COLUMN "price" integer DEFAULT 1', 'ADD CONSTRAINT "price_positive" CHECK (price > 0)'
    )
    scenario.roundtrip(change)


def test_check_dropped_with_its_column(scenario: Scenario) -> None:
    cols = COLS + '\nprice = { type = "integer" }'
    scenario.generate(
        {"posts": posts('[[check_constraints]]\nname = "price_positive"\ncheck = "price > 0"', cols)}
    )
    change = scenario.generate({"posts": posts()})
    ordered(change.up, 'DROP CONSTRAINT "price_positive"', 'DROP COLUMN "price"')
    ordered(change.down, 'ADD COLUMN "price" integer', "CHECK (price > 0)")
    scenario.roundtrip(change)


def test_check_renamed_with_the_same_expression(scenario: Scenario) -> None:
    check = '[[check_constraints]]\nname = "{}"\ncheck = "title <> \'\'"'
    scenario.generate({"posts": posts(check.format("title_present"))})
    change = scenario.generate({"posts": posts(check.format("title_not_empty"))})
    assert change.up == ['ALTER TABLE "posts" RENAME CONSTRAINT "title_present" TO "title_not_empty";']
    scenario.roundtrip(change)


def test_check_expression_changed(scenario: Scenario) -> None:
    check = '[[check_constraints]]\nname = "short_title"\ncheck = "length(title) < {}"'
    scenario.generate({"posts": posts(check.format(100))})
    change = scenario.generate({"posts": posts(check.format(200))})
    assert change.up == [
        'ALTER TABLE "posts" DROP CONSTRAINT "short_title";',
        'ALTER TABLE "posts" ADD CONSTRAINT "short_title" CHECK (length(title) < 200);',
    ]
    scenario.roundtrip(change)


def test_concurrent_rebuild_of_a_unique_index_under_a_changing_foreign_key(scenario: Scenario) -> None:
    """With --concurrent-indexes the rebuilt identity goes to its own migration and the FK into it to a
    third; the old FK must still be dropped before the old index, in the first migration."""
    posts_with = '[identities]\nunique_slug = { keys = ["slug"]OPTIONS }'
    cols = 'id = { type = "uuid", primary_key = true }\nslug = { type = "text", allow_nil = false }'
    tags = table(
        "tags",
        'id = { type = "uuid", primary_key = true }\n'
        'post_slug = { type = "text", references = { table = "posts", column = "slug"OPTIONS } }',
    )
    scenario.generate(
        {
            "posts": table("posts", cols, posts_with.replace("OPTIONS", "")),
            "tags": tags.replace("OPTIONS", ""),
        }
    )
    change = scenario.generate(
        {
            "posts": table("posts", cols, posts_with.replace("OPTIONS", ", nulls_distinct = false")),
            "tags": tags.replace("OPTIONS", ', on_delete = "delete"'),
        },
        concurrent_indexes=True,
    )
    first = [s.text for s in change.migrations[0].up]
    ordered(
        first,
        'ALTER TABLE "tags" DROP CONSTRAINT "tags_post_slug_fkey";',
        'DROP INDEX "posts_unique_slug_index";',
    )
    last = [s.text for s in change.migrations[-1].up]
    find(last, 'ADD CONSTRAINT "tags_post_slug_fkey"')
    scenario.roundtrip(change)
