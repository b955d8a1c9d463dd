"""Column renames: questions, answers (yes, no, partial), and what moves with a renamed column."""

from __future__ import annotations

import pytest

from snapshift.engine.autogen.questions import Answers, ColumnRenameQuestion
from snapshift.engine.base.errors import UnansweredQuestions
from tests.engine.autogen.scenarios.scenario import Scenario, absent, find, ordered, table

ID = 'id = { type = "uuid", primary_key = true }'


def posts(columns: str, extra: str = "", head: str = "") -> str:
    return table("posts", f"{ID}\n{columns}", extra, head)


def test_rename_answered_yes_keeps_the_data(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('title = { type = "text", allow_nil = false }')})
    change = scenario.generate(
        {"posts": posts('name = { type = "text", allow_nil = false }')},
        Answers(column_renames={"posts": {"title": "name"}}),
    )
    assert change.up == ['ALTER TABLE "posts" RENAME COLUMN "title" TO "name";']
    assert change.down == ['ALTER TABLE "posts" RENAME COLUMN "name" TO "title";']
    scenario.roundtrip(change)


def test_rename_answered_no_drops_and_adds(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('title = { type = "text" }')})
    change = scenario.generate(
        {"posts": posts('name = { type = "text" }')}, Answers(column_renames={"posts": {"title": None}})
    )
    find(change.up, 'ADD COLUMN "name" text')
    find(change.up, 'DROP COLUMN "title"')
    absent(change.up, "RENAME")
    assert "WARNING: destructive operations" in change.text()
    scenario.roundtrip(change)


def test_no_renames_flag_answers_every_question_no(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('a = { type = "text" }\nb = { type = "integer" }')})
    change = scenario.generate(
        {"posts": posts('c = { type = "text" }\nd = { type = "integer" }')}, Answers(no_renames=True)
    )
    for column in ("a", "b"):
        find(change.up, f'DROP COLUMN "{column}"')
    for column in ("c", "d"):
        find(change.up, f'ADD COLUMN "{column}"')
    absent(change.up, "RENAME")
    scenario.roundtrip(change)


def test_unanswered_single_rename_is_one_question_and_writes_nothing(offline: Scenario) -> None:
    offline.generate({"posts": posts('title = { type = "text" }')})
    generation = offline.plan({"posts": posts('name = { type = "text" }')})
    assert generation.questions == [ColumnRenameQuestion("posts", ("title",), ("name",))]
    assert generation.questions[0].text() == "Are you renaming posts.title to posts.name?"
    assert "--rename posts.title=NEW" in generation.questions[0].flag_hint()
    before = offline.files()
    with pytest.raises(UnansweredQuestions) as raised:
        offline.generate()
    assert raised.value.exit_code == 2
    assert "posts.title" in str(raised.value)
    assert offline.files() == before


def test_several_candidates_are_listed_in_one_question(offline: Scenario) -> None:
    offline.generate({"posts": posts('a = { type = "text" }\nb = { type = "text" }')})
    generation = offline.plan(
        {"posts": posts('x = { type = "text" }\ny = { type = "text" }\nz = { type = "text" }')}
    )
    assert generation.questions == [ColumnRenameQuestion("posts", ("a", "b"), ("x", "y", "z"))]
    text = generation.questions[0].text()
    assert "a, b" in text and "x, y, z" in text


def test_partial_answer_leaves_the_rest_open(offline: Scenario) -> None:
    offline.generate({"posts": posts('a = { type = "text" }\nb = { type = "text" }')})
    offline.write({"posts": posts('x = { type = "text" }\ny = { type = "text" }\nz = { type = "text" }')})
    generation = offline.plan(answers=Answers(column_renames={"posts": {"a": "y"}}))
    assert generation.questions == [ColumnRenameQuestion("posts", ("b",), ("x", "z"))]
    before = offline.files()
    with pytest.raises(UnansweredQuestions):
        offline.generate(answers=Answers(column_renames={"posts": {"a": "y"}}))
    assert offline.files() == before


def test_partial_answers_completed_with_a_no(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('a = { type = "text" }\nb = { type = "text" }')})
    answers = Answers().with_column("posts", "a", "y").with_column("posts", "b", None)
    change = scenario.generate(
        {"posts": posts('x = { type = "text" }\ny = { type = "text" }\nz = { type = "text" }')}, answers
    )
    assert scenario.plan().questions == []
    find(change.up, 'RENAME COLUMN "a" TO "y"')
    find(change.up, 'DROP COLUMN "b"')
    find(change.up, 'ADD COLUMN "x"')
    find(change.up, 'ADD COLUMN "z"')
    scenario.roundtrip(change)


def test_two_renames_in_one_table(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('a = { type = "text" }\nb = { type = "integer" }')})
    change = scenario.generate(
        {"posts": posts('x = { type = "integer" }\ny = { type = "text" }')},
        Answers(column_renames={"posts": {"a": "y", "b": "x"}}),
    )
    assert sorted(change.up) == [
        'ALTER TABLE "posts" RENAME COLUMN "a" TO "y";',
        'ALTER TABLE "posts" RENAME COLUMN "b" TO "x";',
    ]
    scenario.roundtrip(change)


def test_questions_in_two_tables_are_separate(offline: Scenario) -> None:
    offline.generate(
        {
            "posts": posts('title = { type = "text" }'),
            "tags": table("tags", f'{ID}\nlabel = {{ type = "text" }}'),
        }
    )
    generation = offline.plan(
        {
            "posts": posts('name = { type = "text" }'),
            "tags": table("tags", f'{ID}\nword = {{ type = "text" }}'),
        },
        Answers(column_renames={"tags": {"label": "word"}}),
    )
    assert generation.questions == [ColumnRenameQuestion("posts", ("title",), ("name",))]


def test_rename_with_type_change_renames_first(scenario: Scenario) -> None:
    """AshPostgres test 19: a rename plus other changes is a rename, then a modify (not add/remove)."""
    scenario.generate({"posts": posts('title = { type = "varchar", size = 20 }')})
    change = scenario.generate(
        {"posts": posts('name = { type = "text", allow_nil = false, default = "\'x\'" }')},
        Answers(column_renames={"posts": {"title": "name"}}),
    )
    ordered(change.up, 'RENAME COLUMN "title" TO "name"', 'ALTER COLUMN "name" TYPE text')
    find(change.up, 'ALTER COLUMN "name" SET NOT NULL')
    ordered(change.down, 'ALTER COLUMN "name" TYPE varchar(20)', 'RENAME COLUMN "name" TO "title"')
    absent(change.up, "ADD COLUMN")
    scenario.roundtrip(change)


def test_identity_over_renamed_column_keeps_its_index(scenario: Scenario) -> None:
    """The identity's index name does not contain the column: PostgreSQL carries the index along."""
    identity = '[identities]\nunique_title = {{ keys = ["{}"] }}'
    scenario.generate({"posts": posts('title = { type = "text" }', identity.format("title"))})
    change = scenario.generate(
        {"posts": posts('name = { type = "text" }', identity.format("name"))},
        Answers(column_renames={"posts": {"title": "name"}}),
    )
    assert change.up == ['ALTER TABLE "posts" RENAME COLUMN "title" TO "name";']
    scenario.roundtrip(change)


def test_partial_identity_over_renamed_column_is_rebuilt_around_the_rename(scenario: Scenario) -> None:
    """A `where` naming the old column is dropped before the rename and recreated after it."""
    identity = '[identities]\nunique_title = {{ keys = ["{0}"], where = "{0} <> \'\'" }}'
    scenario.generate({"posts": posts('title = { type = "text" }', identity.format("title"))})
    change = scenario.generate(
        {"posts": posts('name = { type = "text" }', identity.format("name"))},
        Answers(column_renames={"posts": {"title": "name"}}),
    )
    ordered(
        change.up,
        'DROP INDEX "posts_unique_title_index"',
        'RENAME COLUMN "title" TO "name"',
        'CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("name") WHERE name <> \'\'',
    )
    ordered(change.down, 'DROP INDEX "posts_unique_title_index"', 'RENAME COLUMN "name" TO "title"')
    scenario.roundtrip(change)


def test_identity_named_after_the_index_follows_a_renamed_column(scenario: Scenario) -> None:
    """An identity renamed with its column (`unique_title` -> `unique_name`) renames the index only."""
    scenario.generate(
        {"posts": posts('title = { type = "text" }', '[identities]\nunique_title = { keys = ["title"] }')}
    )
    change = scenario.generate(
        {"posts": posts('name = { type = "text" }', '[identities]\nunique_name = { keys = ["name"] }')},
        Answers(column_renames={"posts": {"title": "name"}}),
    )
    find(change.up, 'RENAME COLUMN "title" TO "name"')
    find(change.up, 'ALTER INDEX "posts_unique_title_index" RENAME TO "posts_unique_name_index"')
    absent(change.up, "CREATE UNIQUE INDEX")
    scenario.roundtrip(change)


def test_custom_index_over_renamed_column_gets_the_default_name(scenario: Scenario) -> None:
    """A default index name contains the column, so the index is renamed with it."""
    scenario.generate({"posts": posts('title = { type = "text" }', '[[indexes]]\nfields = ["title"]')})
    change = scenario.generate(
        {"posts": posts('name = { type = "text" }', '[[indexes]]\nfields = ["name"]')},
        Answers(column_renames={"posts": {"title": "name"}}),
    )
    find(change.up, 'ALTER INDEX "posts_title_index" RENAME TO "posts_name_index"')
    absent(change.up, "DROP INDEX")
    scenario.roundtrip(change)


def test_expression_index_over_renamed_column_is_rebuilt(scenario: Scenario) -> None:
    index = '[[indexes]]\nfields = ["lower({})"]\nname = "posts_lower_index"'
    scenario.generate({"posts": posts('title = { type = "text" }', index.format("title"))})
    change = scenario.generate(
        {"posts": posts('name = { type = "text" }', index.format("name"))},
        Answers(column_renames={"posts": {"title": "name"}}),
    )
    ordered(
        change.up,
        'DROP INDEX "posts_lower_index"',
        'RENAME COLUMN "title" TO "name"',
        'CREATE INDEX "posts_lower_index" ON "posts" ((lower(name)))',
    )
    scenario.roundtrip(change)


def test_check_over_renamed_column_is_dropped_first(scenario: Scenario) -> None:
    check = '[[check_constraints]]\nname = "positive"\ncheck = "{} > 0"'
    scenario.generate({"posts": posts('price = { type = "integer" }', check.format("price"))})
    change = scenario.generate(
        {"posts": posts('cost = { type = "integer" }', check.format("cost"))},
        Answers(column_renames={"posts": {"price": "cost"}}),
    )
    ordered(
        change.up,
        'DROP CONSTRAINT "positive"',
        'RENAME COLUMN "price" TO "cost"',
        'ADD CONSTRAINT "positive" CHECK (cost > 0)',
    )
    ordered(change.down, 'DROP CONSTRAINT "positive"', 'RENAME COLUMN "cost" TO "price"', "CHECK (price > 0)")
    scenario.roundtrip(change)


def test_renamed_foreign_key_column_renames_constraint_and_index(scenario: Scenario) -> None:
    authors = table("authors", 'id = { type = "bigint", primary_key = true, generated = true }')
    ref = '{} = {{ type = "bigint", references = {{ table = "authors", index = true }} }}'
    scenario.generate({"authors": authors, "posts": posts(ref.format("author_id"))})
    change = scenario.generate(
        {"authors": authors, "posts": posts(ref.format("writer_id"))},
        Answers(column_renames={"posts": {"author_id": "writer_id"}}),
    )
    ordered(
        change.up,
        'RENAME COLUMN "author_id" TO "writer_id"',
        'RENAME CONSTRAINT "posts_author_id_fkey" TO "posts_writer_id_fkey"',
    )
    find(change.up, 'ALTER INDEX "posts_author_id_index" RENAME TO "posts_writer_id_index"')
    absent(change.up, "DROP CONSTRAINT")
    absent(change.up, "ADD CONSTRAINT")
    scenario.roundtrip(change)


def test_renamed_referenced_column_keeps_the_foreign_key(scenario: Scenario) -> None:
    """posts.author_slug -> authors.slug; authors.slug renamed to handle: the FK follows, nothing rebuilt."""
    author = 'id = {{ type = "uuid", primary_key = true }}\n{} = {{ type = "text", allow_nil = false }}'
    keys = '[identities]\nunique_slug = {{ keys = ["{}"] }}'
    ref = 'author_slug = {{ type = "text", references = {{ table = "authors", column = "{}" }} }}'
    scenario.generate(
        {
            "authors": table("authors", author.format("slug"), keys.format("slug")),
            "posts": posts(ref.format("slug")),
        }
    )
    change = scenario.generate(
        {
            "authors": table("authors", author.format("handle"), keys.format("handle")),
            "posts": posts(ref.format("handle")),
        },
        Answers(column_renames={"authors": {"slug": "handle"}}),
    )
    assert change.up == ['ALTER TABLE "authors" RENAME COLUMN "slug" TO "handle";']
    scenario.roundtrip(change)


def test_renamed_primary_key_column_with_foreign_key_pointing_at_it(scenario: Scenario) -> None:
    parent = table("authors", 'COL = { type = "bigint", primary_key = true }')
    child = posts('author_id = { type = "bigint", references = { table = "authors", column = "COL" } }')
    scenario.generate({"authors": parent.replace("COL", "id"), "posts": child.replace("COL", "id")})
    change = scenario.generate(
        {"authors": parent.replace("COL", "author_no"), "posts": child.replace("COL", "author_no")},
        Answers(column_renames={"authors": {"id": "author_no"}}),
    )
    assert change.up == ['ALTER TABLE "authors" RENAME COLUMN "id" TO "author_no";']
    scenario.roundtrip(change)


def test_renamed_serial_column_renames_its_sequence(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('seq = { type = "bigint", generated = true }')})
    change = scenario.generate(
        {"posts": posts('counter = { type = "bigint", generated = true }')},
        Answers(column_renames={"posts": {"seq": "counter"}}),
    )
    ordered(
        change.up,
        'RENAME COLUMN "seq" TO "counter"',
        'ALTER SEQUENCE "posts_seq_seq" RENAME TO "posts_counter_seq"',
    )
    scenario.roundtrip(change)


def test_rename_in_a_named_schema_table(scenario: Scenario) -> None:
    head = 'schema = "blog"'
    scenario.generate({"posts": posts('title = { type = "text" }', head=head)})
    generation = scenario.plan({"posts": posts('name = { type = "text" }', head=head)})
    assert generation.questions == [ColumnRenameQuestion("blog.posts", ("title",), ("name",))]
    change = scenario.generate(answers=Answers(column_renames={"blog.posts": {"title": "name"}}))
    assert change.up == ['ALTER TABLE "blog"."posts" RENAME COLUMN "title" TO "name";']
    scenario.roundtrip(change)


def test_rename_in_a_context_multitenant_table(scenario: Scenario) -> None:
    head = 'multitenancy = { strategy = "context" }'
    scenario.generate({"notes": table("notes", f'{ID}\nbody = {{ type = "text" }}', head=head)})
    generation = scenario.plan({"notes": table("notes", f'{ID}\ntext = {{ type = "text" }}', head=head)})
    assert generation.questions == [ColumnRenameQuestion("tenants.notes", ("body",), ("text",))]
    change = scenario.generate(answers=Answers(column_renames={"tenants.notes": {"body": "text"}}))
    assert change.public == []
    assert [s.text for m in change.tenant for s in m.up] == [
        'ALTER TABLE "notes" RENAME COLUMN "body" TO "text";'
    ]
    scenario.roundtrip(change)


def test_dont_drop_columns_comments_out_a_declined_rename(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('title = { type = "text" }')})
    change = scenario.generate(
        {"posts": posts('name = { type = "text" }')}, Answers(no_renames=True), dont_drop_columns=True
    )
    assert change.up == ['ALTER TABLE "posts" ADD COLUMN "name" text;']
    assert '-- ALTER TABLE "posts" DROP COLUMN "title";' in change.text()
    assert "WARNING: steps commented out" in change.text()
    scenario.apply()
    assert set(scenario.catalog().tables["public.posts"].columns) == {"id", "title", "name"}
