"""Tables: renames, schema moves (and back), drops with FK chains, drops declined and remembered."""

from __future__ import annotations

import json

import pytest

from snapshift.engine.autogen.questions import Answers, TableQuestion
from snapshift.engine.base.errors import UnansweredQuestions
from tests.engine.autogen.scenarios.scenario import Scenario, absent, find, ordered, table

AUTHORS_COLS = 'id = { type = "bigint", primary_key = true, generated = true }\nname = { type = "text" }'
NAME_IDENTITY = '[identities]\nunique_name = { keys = ["name"] }'


def authors(name: str = "authors", extra: str = "", head: str = "") -> str:
    return table(name, AUTHORS_COLS, extra, head)


def posts(ref_table: str = "authors", extra: str = "", name: str = "posts", head: str = "") -> str:
    return table(
        name,
        'id = { type = "uuid", primary_key = true }\n'
        f'author_id = {{ type = "bigint", references = {{ table = "{ref_table}", index = true }} }}',
        extra,
        head,
    )


def comments(ref_table: str = "posts", head: str = "", schema: str | None = None) -> str:
    target = f'table = "{ref_table}"' + (f', schema = "{schema}"' if schema else "")
    return table(
        "comments",
        'id = { type = "uuid", primary_key = true }\n'
        f'post_id = {{ type = "uuid", references = {{ {target} }} }}',
        head=head,
    )


# --- table renames -------------------------------------------------------------------------------


def test_table_rename_question_lists_the_candidate(offline: Scenario) -> None:
    offline.generate({"authors": authors()})
    generation = offline.plan({"writers": authors("writers")})
    assert generation.questions == [TableQuestion("authors", ("writers",))]
    assert "renamed or moved to writers" in generation.questions[0].text()
    assert "--rename-table authors=writers" in generation.questions[0].flag_hint()


def test_table_rename_question_with_several_candidates(offline: Scenario) -> None:
    offline.generate({"authors": authors()})
    generation = offline.plan({"writers": authors("writers"), "editors": authors("editors")})
    assert generation.questions == [TableQuestion("authors", ("editors", "writers"))]
    assert "editors or writers" in generation.questions[0].text()


def test_table_rename_renames_identities_sequence_and_key(scenario: Scenario) -> None:
    scenario.generate({"authors": authors(extra=NAME_IDENTITY)})
    change = scenario.generate(
        {"writers": authors("writers", NAME_IDENTITY)}, Answers(table_renames={"authors": "writers"})
    )
    assert change.up[0] == 'ALTER TABLE "authors" RENAME TO "writers";'
    find(change.up, 'ALTER TABLE "writers" RENAME CONSTRAINT "authors_pkey" TO "writers_pkey";')
    find(change.up, 'ALTER INDEX "authors_unique_name_index" RENAME TO "writers_unique_name_index";')
    find(change.up, 'ALTER SEQUENCE "authors_id_seq" RENAME TO "writers_id_seq";')
    absent(change.up, "CREATE")
    absent(change.up, "DROP")
    assert change.down[-1] == 'ALTER TABLE "writers" RENAME TO "authors";'
    scenario.roundtrip(change)
    snapshots = sorted(p.name for p in scenario.snapshots.iterdir())
    assert snapshots == ["writers"], "the old table's snapshot folder is removed"


def test_table_rename_with_foreign_keys_pointing_at_it_and_from_it(scenario: Scenario) -> None:
    """posts -> articles while comments point at posts and posts points at authors."""
    scenario.generate({"authors": authors(), "posts": posts(), "comments": comments()})
    change = scenario.generate(
        {"authors": authors(), "articles": posts(name="articles"), "comments": comments("articles")},
        Answers(table_renames={"posts": "articles"}),
    )
    find(change.up, 'ALTER TABLE "posts" RENAME TO "articles";')
    find(change.up, 'RENAME CONSTRAINT "posts_author_id_fkey" TO "articles_author_id_fkey"')
    find(change.up, 'ALTER INDEX "posts_author_id_index" RENAME TO "articles_author_id_index"')
    absent(change.up, 'DROP CONSTRAINT "comments_post_id_fkey"')
    absent(change.up, "ADD CONSTRAINT")
    scenario.roundtrip(change)


def test_table_rename_with_an_identity_column(scenario: Scenario) -> None:
    cols = 'id = { type = "identity", primary_key = true }\nname = { type = "text" }'
    scenario.generate({"items": table("items", cols)})
    change = scenario.generate({"things": table("things", cols)}, Answers(table_renames={"items": "things"}))
    find(change.up, 'ALTER SEQUENCE "items_id_seq" RENAME TO "things_id_seq";')
    scenario.roundtrip(change)


def test_table_rename_with_column_renames_and_changes(scenario: Scenario) -> None:
    scenario.generate({"authors": authors(extra=NAME_IDENTITY)})
    renamed = table(
        "writers",
        'id = { type = "bigint", primary_key = true, generated = true }\n'
        'full_name = { type = "text", allow_nil = false }\nbio = { type = "text" }',
        '[identities]\nunique_name = { keys = ["full_name"] }',
    )
    generation = scenario.plan({"writers": renamed}, Answers(table_renames={"authors": "writers"}))
    assert [q.table for q in generation.questions] == ["writers"], "column questions use the new table name"
    change = scenario.generate(
        answers=Answers(
            table_renames={"authors": "writers"}, column_renames={"writers": {"name": "full_name"}}
        )
    )
    ordered(
        change.up,
        'ALTER TABLE "authors" RENAME TO "writers";',
        'ALTER TABLE "writers" RENAME COLUMN "name" TO "full_name";',
        'ALTER COLUMN "full_name" SET NOT NULL',
    )
    find(change.up, 'ADD COLUMN "bio" text')
    find(change.up, 'RENAME TO "writers_unique_name_index"')
    scenario.roundtrip(change)


def test_table_rename_declined_drops_and_creates(scenario: Scenario) -> None:
    scenario.generate({"authors": authors()})
    change = scenario.generate({"writers": authors("writers")}, Answers(drop_tables=frozenset({"authors"})))
    find(change.up, 'CREATE TABLE "writers"')
    find(change.up, 'DROP TABLE "authors";')
    absent(change.up, "RENAME")
    scenario.roundtrip(change)


# --- schema moves --------------------------------------------------------------------------------


def test_schema_move_question_offers_the_same_name(offline: Scenario) -> None:
    offline.generate({"posts": authors("posts")})
    generation = offline.plan({"posts": authors("posts", head='schema = "blog"')})
    assert generation.questions == [TableQuestion("posts", ("blog.posts",))]


def test_schema_move_and_back(scenario: Scenario) -> None:
    scenario.generate({"posts": authors("posts", NAME_IDENTITY)})
    there = scenario.generate(
        {"posts": authors("posts", NAME_IDENTITY, head='schema = "blog"')},
        Answers(table_renames={"posts": "blog.posts"}),
    )
    assert there.up == ['CREATE SCHEMA IF NOT EXISTS "blog";', 'ALTER TABLE "posts" SET SCHEMA "blog";']
    assert there.down == ['ALTER TABLE "blog"."posts" SET SCHEMA "public";', 'DROP SCHEMA IF EXISTS "blog";']
    scenario.roundtrip(there)
    back = scenario.generate(
        {"posts": authors("posts", NAME_IDENTITY)}, Answers(table_renames={"blog.posts": "posts"})
    )
    assert back.up[0] == 'ALTER TABLE "blog"."posts" SET SCHEMA "public";'
    absent(back.up, "CREATE")
    scenario.roundtrip(back)


def test_schema_move_keeps_foreign_keys_pointing_at_the_table(scenario: Scenario) -> None:
    """AshPostgres test 107: FKs into a moved table survive SET SCHEMA and are not recreated."""
    plain = 'id = { type = "uuid", primary_key = true }'
    scenario.generate({"posts": table("posts", plain), "comments": comments()})
    change = scenario.generate(
        {"posts": table("posts", plain, head='schema = "blog"'), "comments": comments(schema="blog")},
        Answers(table_renames={"posts": "blog.posts"}),
    )
    ordered(change.up, 'CREATE SCHEMA IF NOT EXISTS "blog";', 'ALTER TABLE "posts" SET SCHEMA "blog";')
    absent(change.up, "CONSTRAINT")
    scenario.roundtrip(change)


def test_schema_move_with_a_table_rename_at_once(scenario: Scenario) -> None:
    scenario.generate({"posts": authors("posts", NAME_IDENTITY)})
    change = scenario.generate(
        {"articles": authors("articles", NAME_IDENTITY, head='schema = "blog"')},
        Answers(table_renames={"posts": "blog.articles"}),
    )
    ordered(
        change.up,
        'CREATE SCHEMA IF NOT EXISTS "blog";',
        'ALTER TABLE "posts" SET SCHEMA "blog";',
        'ALTER TABLE "blog"."posts" RENAME TO "articles";',
    )
    find(change.up, 'ALTER INDEX "blog"."posts_unique_name_index" RENAME TO "articles_unique_name_index";')
    find(change.up, 'ALTER SEQUENCE "blog"."posts_id_seq" RENAME TO "articles_id_seq";')
    scenario.roundtrip(change)


def test_schema_move_declined_recreates_in_the_new_schema(scenario: Scenario) -> None:
    scenario.generate({"posts": authors("posts")})
    change = scenario.generate(
        {"posts": authors("posts", head='schema = "blog"')}, Answers(drop_tables=frozenset({"posts"}))
    )
    ordered(change.up, 'CREATE SCHEMA IF NOT EXISTS "blog";', 'CREATE TABLE "blog"."posts"')
    find(change.up, 'DROP TABLE "posts";')
    scenario.roundtrip(change)


# --- drops ---------------------------------------------------------------------------------------


def test_drop_three_tables_in_a_chain_children_first(scenario: Scenario) -> None:
    """AshPostgres test 87: comments -> posts -> authors are dropped comments first."""
    scenario.generate({"authors": authors(), "posts": posts(), "comments": comments()})
    change = scenario.generate({}, Answers(drop_tables=frozenset({"authors", "posts", "comments"})))
    ordered(change.up, 'DROP TABLE "comments";', 'DROP TABLE "posts";', 'DROP TABLE "authors";')
    ordered(change.down, 'CREATE TABLE "authors"', 'CREATE TABLE "posts"', 'CREATE TABLE "comments"')
    find(change.down, 'CREATE INDEX "posts_author_id_index"')
    scenario.roundtrip(change)
    assert not scenario.snapshots.exists() or not any(scenario.snapshots.iterdir())


def test_drop_the_middle_of_a_chain(scenario: Scenario) -> None:
    """posts goes; comments stays but loses its FK column; authors stays."""
    scenario.generate({"authors": authors(), "posts": posts(), "comments": comments()})
    comments_alone = table("comments", 'id = { type = "uuid", primary_key = true }')
    change = scenario.generate(
        {"authors": authors(), "comments": comments_alone}, Answers(drop_tables=frozenset({"posts"}))
    )
    ordered(
        change.up, 'ALTER TABLE "comments" DROP CONSTRAINT "comments_post_id_fkey";', 'DROP TABLE "posts";'
    )
    find(change.up, 'DROP COLUMN "post_id"')
    ordered(change.down, 'CREATE TABLE "posts"', 'ADD CONSTRAINT "comments_post_id_fkey"')
    scenario.roundtrip(change)


def test_drop_a_table_with_statements_and_checks(scenario: Scenario) -> None:
    extra = (
        '[[check_constraints]]\nname = "name_present"\ncheck = "name <> \'\'"\n'
        '[[statements]]\nname = "touch"\n'
        'up = "CREATE FUNCTION authors_touch() RETURNS trigger LANGUAGE plpgsql AS '
        '$$ BEGIN RETURN NEW; END $$"\n'
        'down = "DROP FUNCTION authors_touch()"\n'
        '[[statements]]\nname = "trigger"\n'
        'up = "CREATE TRIGGER authors_touch BEFORE UPDATE ON authors FOR EACH ROW '
        'EXECUTE FUNCTION authors_touch()"\n'
        'down = "DROP TRIGGER authors_touch ON authors"'
    )
    scenario.generate({"authors": authors(extra=extra), "tags": authors("tags")})
    change = scenario.generate({"tags": authors("tags")}, Answers(drop_tables=frozenset({"authors"})))
    ordered(
        change.up,
        "DROP TRIGGER authors_touch ON authors",
        "DROP FUNCTION authors_touch()",
        'DROP TABLE "authors"',
    )
    ordered(
        change.down,
        'CREATE TABLE "authors"',
        'ADD CONSTRAINT "name_present"',
        "CREATE FUNCTION",
        "CREATE TRIGGER",
    )
    scenario.roundtrip(change)


def test_unanswered_drop_names_both_flags_and_writes_nothing(offline: Scenario) -> None:
    offline.generate({"authors": authors(), "tags": authors("tags")})
    offline.write({"tags": authors("tags")})
    generation = offline.plan()
    assert generation.questions == [TableQuestion("authors")]
    assert "DROP" in generation.questions[0].text()
    before = offline.files()
    with pytest.raises(UnansweredQuestions) as raised:
        offline.generate()
    assert raised.value.exit_code == 2
    assert "--drop-table authors" in str(raised.value) and "--keep-table authors" in str(raised.value)
    assert offline.files() == before


def test_drop_declined_is_remembered_and_re_adding_diffs_against_the_snapshot(scenario: Scenario) -> None:
    """AshPostgres test 84: --keep-table writes drop_table_opted_out into the latest snapshot and the
    question is never asked again; a re-added resource is diffed against that snapshot."""
    scenario.generate({"authors": authors(), "tags": authors("tags")})
    latest = max((scenario.snapshots / "authors").glob("*.json"))
    kept = scenario.generate({"tags": authors("tags")}, Answers(keep_tables=frozenset({"authors"})))
    assert kept.migrations == []
    assert max((scenario.snapshots / "authors").glob("*.json")) == latest, "no new snapshot file"
    assert json.loads(latest.read_text())["drop_table_opted_out"] is True

    again = scenario.plan()
    assert again.questions == []
    assert not again.has_changes
    assert scenario.generate().migrations == []

    readded = table("authors", AUTHORS_COLS + '\nbio = { type = "text" }')
    change = scenario.generate({"authors": readded, "tags": authors("tags")})
    assert change.up == ['ALTER TABLE "authors" ADD COLUMN "bio" text;']
    scenario.roundtrip(change)


def test_kept_table_re_added_unchanged_needs_no_migration(offline: Scenario) -> None:
    offline.generate({"authors": authors(), "tags": authors("tags")})
    offline.generate({"tags": authors("tags")}, Answers(keep_tables=frozenset({"authors"})))
    generation = offline.plan({"authors": authors(), "tags": authors("tags")})
    assert generation.questions == []
    assert [f for f in generation.files if f.kind != "snapshot"] == []


def test_kept_table_stays_while_other_tables_change(scenario: Scenario) -> None:
    """After a keep, other tables change normally and the kept table stays in the database."""
    scenario.generate({"authors": authors(), "tags": authors("tags")})
    scenario.generate({"tags": authors("tags")}, Answers(keep_tables=frozenset({"authors"})))
    change = scenario.generate({"tags": table("tags", AUTHORS_COLS + '\ncolor = { type = "text" }')})
    assert change.up == ['ALTER TABLE "tags" ADD COLUMN "color" text;']
    scenario.apply()
    assert {"public.authors", "public.tags"} <= set(scenario.catalog().tables)


def test_drop_table_in_a_named_schema(scenario: Scenario) -> None:
    scenario.generate(
        {"posts": authors("posts", head='schema = "blog"'), "tags": authors("tags", head='schema = "blog"')}
    )
    change = scenario.generate(
        {"tags": authors("tags", head='schema = "blog"')}, Answers(drop_tables=frozenset({"blog.posts"}))
    )
    assert change.up == ['DROP TABLE "blog"."posts";']
    scenario.roundtrip(change)


def test_kept_table_re_added_then_removed_again_asks_again(offline: Scenario) -> None:
    """The remembered "keep" answered the removal of a resource; once the resource is back, removing it
    again is a new question (a changed re-add already clears the flag with its new snapshot)."""
    offline.generate({"authors": authors(), "tags": authors("tags")})
    offline.generate({"tags": authors("tags")}, Answers(keep_tables=frozenset({"authors"})))
    offline.generate({"authors": authors(), "tags": authors("tags")})
    assert offline.plan({"tags": authors("tags")}).questions == [TableQuestion("authors")]


def test_table_rename_with_a_self_reference_and_a_custom_index(scenario: Scenario) -> None:
    def nodes(name: str) -> str:
        return table(
            name,
            'id = { type = "bigint", primary_key = true }\n'
            f'parent_id = {{ type = "bigint", references = {{ table = "{name}", on_delete = "delete" }} }}',
            '[[indexes]]\nfields = ["parent_id"]',
        )

    scenario.generate({"nodes": nodes("nodes")})
    change = scenario.generate({"items": nodes("items")}, Answers(table_renames={"nodes": "items"}))
    find(change.up, 'ALTER TABLE "nodes" RENAME TO "items";')
    find(change.up, 'RENAME CONSTRAINT "nodes_parent_id_fkey" TO "items_parent_id_fkey"')
    find(change.up, 'ALTER INDEX "nodes_parent_id_index" RENAME TO "items_parent_id_index"')
    absent(change.up, "ADD CONSTRAINT")
    scenario.roundtrip(change)
