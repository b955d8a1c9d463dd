"""Whole-run behaviour: no-op regenerates, snapshots, numbering, names, extensions, statements, questions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from snapshift.engine.autogen.planview import plan_warnings
from snapshift.engine.autogen.questions import Answers, ColumnRenameQuestion, TableQuestion
from snapshift.engine.base.errors import UnansweredQuestions
from tests.engine.autogen.scenarios.scenario import Scenario, absent, find, ordered, table
from tests.support.paths import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "blog"
EXTENSIONS = 'resources = ["resources/*.toml"]\n[repos.repo]\nextensions = [{}]\n'


def posts(columns: str = 'title = { type = "text" }', extra: str = "") -> str:
    return table("posts", f'id = {{ type = "uuid", primary_key = true }}\n{columns}', extra)


def tags(columns: str = "") -> str:
    return table("tags", f'id = {{ type = "bigint", primary_key = true, generated = true }}\n{columns}')


def snapshot_files(scenario: Scenario) -> set[Path]:
    return set(scenario.snapshots.rglob("*.json"))


# --- no-op regenerate ----------------------------------------------------------------------------

RICH = {
    "orgs": table("orgs", 'id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }'),
    "authors": table(
        "authors",
        'id = { type = "bigint", primary_key = true, generated = true }\n'
        'email = { type = "ci_string", allow_nil = false }\nname = { type = "varchar", size = 80 }\n'
        'org_id = { type = "uuid", allow_nil = false, '
        'references = { table = "orgs", on_delete = "delete", index = true } }',
        "[identities]\n"
        'unique_email = { keys = ["email"], where = "name IS NOT NULL", nulls_distinct = false }\n'
        '[[check_constraints]]\nname = "name_long_enough"\ncheck = "length(name) > 1"\n'
        '[[statements]]\nname = "view"\nup = "CREATE VIEW author_names AS SELECT name FROM authors"\n'
        'down = "DROP VIEW author_names"',
        'multitenancy = { strategy = "attribute", attribute = "org_id" }',
    ),
    "notes": table(
        "notes",
        'id = { type = "identity", primary_key = true }\n'
        'author_id = { type = "bigint", references = { table = "authors", deferrable = "initially" } }\n'
        'body = { type = "text", default = "\'\'" }',
        '[[indexes]]\nfields = ["lower(body)"]\nname = "notes_body_lower"\nusing = "btree"',
        'multitenancy = { strategy = "context" }',
    ),
    "events": table(
        "events",
        'id = { type = "uuid", primary_key = true }\n'
        'price = { type = "decimal", precision = 10, scale = 2 }\n'
        'author_id = { type = "bigint", references = { table = "authors", schema = "public" } }',
        '[[indexes]]\nfields = ["price desc"]\ninclude = ["author_id"]\nconcurrently = true',
        'schema = "audit"',
    ),
}


def test_generating_twice_gives_no_second_migration(scenario: Scenario) -> None:
    scenario.configure(EXTENSIONS.format('"citext"'))
    change = scenario.generate(RICH)
    assert len(change.migrations) == 3, "main, concurrent index, tenant"
    before = scenario.files()
    generation = scenario.plan()
    assert not generation.has_changes and generation.files == [] and generation.questions == []
    assert scenario.generate().migrations == []
    assert scenario.files() == before
    scenario.roundtrip(change)


def test_example_project_builds_and_regenerates_to_nothing(scenario: Scenario) -> None:
    scenario.configure(
        (EXAMPLE / "snapshift.toml").read_text().replace('"resources/**/*.toml"', '"resources/*.toml"')
    )
    resources = {p.stem: p.read_text() for p in sorted((EXAMPLE / "resources").rglob("*.toml"))}
    change = scenario.generate(resources)
    assert change.public and change.tenant
    assert scenario.plan().files == []
    scenario.roundtrip(change)


def test_snapshot_files_are_byte_stable_across_projects(offline: Scenario, tmp_path: Path) -> None:
    offline.configure(EXTENSIONS.format('"citext"'))  # RICH has a ci_string column
    offline.generate(RICH)
    other = Scenario(tmp_path / "other", "", lambda: "")
    other.configure(EXTENSIONS.format('"citext"'))
    other.generate(RICH)

    def contents(s: Scenario) -> dict[str, str]:
        return {str(p.parent.relative_to(s.snapshots)): p.read_text() for p in s.snapshots.rglob("*.json")}

    assert contents(offline) == contents(other)


# --- snapshots -----------------------------------------------------------------------------------


def test_snapshots_only_written_for_changed_tables(offline: Scenario) -> None:
    offline.generate(
        {
            "posts": posts(),
            "tags": tags(),
            "orgs": table("orgs", 'id = { type = "uuid", primary_key = true }'),
        }
    )
    before = snapshot_files(offline)
    assert len(before) == 3
    offline.generate(
        {
            "posts": posts(),
            "tags": tags('label = { type = "text" }'),
            "orgs": table("orgs", 'id = { type = "uuid", primary_key = true }'),
        }
    )
    new = snapshot_files(offline) - before
    assert [p.parent.name for p in new] == ["tags"]
    assert json.loads(next(iter(new)).read_text())["attributes"][-1]["name"] == "label"


def test_snapshots_only_writes_snapshots_and_no_migration(offline: Scenario) -> None:
    offline.generate({"posts": posts()})
    change = offline.generate(
        {"posts": posts('title = { type = "text" }\nbody = { type = "text" }')}, snapshots_only=True
    )
    assert change.migrations == []
    assert len(list((offline.snapshots / "posts").glob("*.json"))) == 2
    assert offline.plan().files == []


# --- names and numbering -------------------------------------------------------------------------


def test_migrate_resources_numbering_and_explicit_names(offline: Scenario) -> None:
    first = offline.generate({"posts": posts()})
    second = offline.generate(
        {"posts": posts('title = { type = "text" }\nbody = { type = "text" }')}, name="add_body"
    )
    third = offline.generate(
        {"posts": posts('title = { type = "text" }\nbody = { type = "text" }\nc = { type = "text" }')}
    )
    fourth = offline.generate(
        {"posts": posts('title = { type = "text" }\nbody = { type = "text" }\nd = { type = "text" }')},
        Answers(no_renames=True),
    )
    assert [c.names for c in (first, second, third, fourth)] == [
        ["migrate_resources1"],
        ["add_body"],
        ["migrate_resources2"],
        ["migrate_resources3"],
    ]
    versions = [m.version for m in offline.ws.migrations()]
    assert versions == sorted(versions) and len(set(versions)) == 4


def test_tenant_and_public_numbering_are_independent(offline: Scenario) -> None:
    context = 'multitenancy = { strategy = "context" }'
    notes = table("notes", 'id = { type = "uuid", primary_key = true }', head=context)
    offline.generate({"posts": posts()})
    offline.generate({"posts": posts('title = { type = "text" }\nbody = { type = "text" }')})
    change = offline.generate(
        {"posts": posts('title = { type = "text" }\nbody = { type = "text" }'), "notes": notes}
    )
    assert change.names == ["migrate_resources1"]
    assert change.tenant and not change.public
    later = offline.generate({"posts": posts(), "notes": notes}, Answers(no_renames=True))
    assert later.names == ["migrate_resources3"]


def test_every_file_of_a_run_has_a_distinct_increasing_version(offline: Scenario) -> None:
    context = 'multitenancy = { strategy = "context" }'
    change = offline.generate(
        {
            "posts": posts('slug = { type = "text" }', '[[indexes]]\nfields = ["slug"]\nconcurrently = true'),
            "notes": table("notes", 'id = { type = "uuid", primary_key = true }', head=context),
        }
    )
    versions = [m.version for m in change.migrations]
    assert len(versions) == 3 and versions == sorted(set(versions))


# --- extensions ----------------------------------------------------------------------------------


def test_extension_added_before_the_table_that_uses_it(scenario: Scenario) -> None:
    scenario.generate({"posts": posts()})
    scenario.configure(EXTENSIONS.format('"citext"'))
    change = scenario.generate({"posts": posts('title = { type = "text" }\nemail = { type = "citext" }')})
    ordered(change.up, 'CREATE EXTENSION IF NOT EXISTS "citext";', 'ADD COLUMN "email" citext')
    assert change.down[-1] == 'DROP EXTENSION IF EXISTS "citext";'
    assert json.loads((scenario.snapshots / "extensions.json").read_text()) == {"installed": ["citext"]}
    assert scenario.plan().files == []
    scenario.roundtrip(change)


def test_extension_used_by_a_context_table(scenario: Scenario) -> None:
    """The extension goes to the public migration; the tenant table using its type is created after it."""
    scenario.configure(EXTENSIONS.format('"citext"'))
    notes = table(
        "notes",
        'id = { type = "uuid", primary_key = true }\nemail = { type = "ci_string" }',
        head='multitenancy = { strategy = "context" }',
    )
    change = scenario.generate({"notes": notes})
    assert [s.text for m in change.public for s in m.up] == ['CREATE EXTENSION IF NOT EXISTS "citext";']
    find([s.text for m in change.tenant for s in m.up], '"email" citext')
    scenario.roundtrip(change)


def test_second_extension_only_creates_the_new_one(scenario: Scenario) -> None:
    scenario.configure(EXTENSIONS.format('"citext"'))
    scenario.generate({"posts": posts()})
    scenario.configure(EXTENSIONS.format('"citext", "ltree"'))
    change = scenario.generate({"posts": posts('title = { type = "text" }\npath = { type = "ltree" }')})
    ordered(change.up, 'CREATE EXTENSION IF NOT EXISTS "ltree";', 'ADD COLUMN "path" ltree')
    absent(change.up, '"citext"')
    scenario.roundtrip(change)


# --- custom statements ---------------------------------------------------------------------------

FUNCTION = (
    '[[statements]]\nname = "function"\n'
    'up = "CREATE FUNCTION posts_touch() RETURNS trigger LANGUAGE plpgsql AS '
    '$$ BEGIN NEW.title = trim(NEW.title); RETURN NEW; END $$"\ndown = "DROP FUNCTION posts_touch()"\n'
)
TRIGGER = (
    '[[statements]]\nname = "trigger"\n'
    'up = "CREATE TRIGGER posts_touch BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION posts_touch()"\n'
    'down = "DROP TRIGGER posts_touch ON posts"\n'
)
VIEW = (
    '[[statements]]\nname = "view"\nup = "CREATE VIEW post_bodies AS SELECT id, body FROM posts"\n'
    'down = "DROP VIEW post_bodies"\n'
)


def test_statements_run_in_declaration_order_after_the_table(scenario: Scenario) -> None:
    change = scenario.generate({"posts": posts('title = { type = "text" }', FUNCTION + TRIGGER)})
    ordered(change.up, 'CREATE TABLE "posts"', "CREATE FUNCTION posts_touch()", "CREATE TRIGGER posts_touch")
    ordered(change.down, "DROP TRIGGER posts_touch", "DROP FUNCTION posts_touch()", 'DROP TABLE "posts"')
    scenario.roundtrip(change)


def test_new_statement_runs_after_the_column_it_uses(scenario: Scenario) -> None:
    scenario.generate({"posts": posts()})
    change = scenario.generate({"posts": posts('title = { type = "text" }\nbody = { type = "text" }', VIEW)})
    ordered(change.up, 'ADD COLUMN "body" text', "CREATE VIEW post_bodies")
    scenario.roundtrip(change)


def test_removed_statement_runs_before_the_column_it_used_is_dropped(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('title = { type = "text" }\nbody = { type = "text" }', VIEW)})
    change = scenario.generate({"posts": posts()})
    ordered(change.up, "DROP VIEW post_bodies", 'DROP COLUMN "body"')
    ordered(change.down, 'ADD COLUMN "body" text', "CREATE VIEW post_bodies")
    scenario.roundtrip(change)


def test_changed_view_statement_is_undone_then_redone(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('title = { type = "text" }\nbody = { type = "text" }', VIEW)})
    changed = VIEW.replace("SELECT id, body", "SELECT id, title, body")
    change = scenario.generate(
        {"posts": posts('title = { type = "text" }\nbody = { type = "text" }', changed)}
    )
    assert change.up == [
        "DROP VIEW post_bodies;",
        "CREATE VIEW post_bodies AS SELECT id, title, body FROM posts;",
    ]
    assert change.down == ["DROP VIEW post_bodies;", "CREATE VIEW post_bodies AS SELECT id, body FROM posts;"]
    scenario.roundtrip(change)


def test_changed_statement_with_a_later_statement_depending_on_it(scenario: Scenario) -> None:
    """The trigger (declared after the function) depends on it: changing the function must take the
    later statements down first and run them again after it, in declaration order."""
    scenario.generate({"posts": posts('title = { type = "text" }', FUNCTION + TRIGGER)})
    changed = FUNCTION.replace("trim(NEW.title)", "lower(NEW.title)")
    change = scenario.generate({"posts": posts('title = { type = "text" }', changed + TRIGGER)})
    ordered(change.up, "DROP FUNCTION posts_touch()", "CREATE FUNCTION posts_touch()")
    scenario.roundtrip(change)


# --- warnings and unanswered questions -----------------------------------------------------------


def test_destructive_changes_are_called_out_in_the_file(offline: Scenario) -> None:
    offline.generate({"posts": posts('title = { type = "text" }\nbody = { type = "text" }'), "tags": tags()})
    answers = Answers(drop_tables=frozenset({"tags"}))
    generation = offline.plan({"posts": posts()}, answers)
    assert [w.code for w in plan_warnings(generation)] == ["destructive"]
    assert set(plan_warnings(generation)[0].facts) == {"drop table tags", "drop column posts.body"}
    change = offline.generate(answers=answers)
    header = change.text().split("-- migrate:up")[0]
    assert "drop table tags" in header and "drop column posts.body" in header


def test_all_open_questions_are_listed_and_nothing_is_written(offline: Scenario) -> None:
    offline.generate(
        {"posts": posts(), "tags": tags('label = { type = "text" }'), "orgs": tags().replace("tags", "orgs")}
    )
    offline.write({"posts": posts('name = { type = "text" }'), "tags": tags('word = { type = "text" }')})
    after_write = offline.files()
    generation = offline.plan()
    assert generation.questions == [
        TableQuestion("orgs"),
        ColumnRenameQuestion("posts", ("title",), ("name",)),
        ColumnRenameQuestion("tags", ("label",), ("word",)),
    ]
    with pytest.raises(UnansweredQuestions) as raised:
        offline.generate(answers=Answers(column_renames={"posts": {"title": "name"}}))
    assert raised.value.exit_code == 2
    message = str(raised.value)
    assert "tags.label" in message and "--drop-table orgs" in message
    assert "posts.title" not in message, "answered questions are not repeated"
    assert offline.files() == after_write, "no migration, snapshot or anything else was written"


def test_answered_questions_leave_a_clean_state(offline: Scenario) -> None:
    offline.generate({"posts": posts(), "orgs": tags().replace("tags", "orgs")})
    offline.generate(
        {"posts": posts('name = { type = "text" }')},
        Answers(column_renames={"posts": {"title": "name"}}, drop_tables=frozenset({"orgs"})),
    )
    assert offline.plan().questions == []
    assert not (offline.snapshots / "orgs").exists()
    assert offline.generate().migrations == []


def test_copy_of_a_project_regenerates_to_nothing(offline: Scenario, tmp_path: Path) -> None:
    """Snapshots are the whole state: a copied project (as after a git clone) has nothing to generate."""
    offline.configure(EXTENSIONS.format('"citext"'))  # RICH has a ci_string column
    offline.generate(RICH)
    other = Scenario(tmp_path / "copy", "", lambda: "")
    shutil.copytree(offline.ws.root, other.ws.root, dirs_exist_ok=True)
    assert other.plan().files == []
    assert other.plan().questions == []


# --- SQL comments in user fragments --------------------------------------------------------------

COMMENTED = (
    'score = { type = "integer", allow_nil = false, default = "0 -- starts at zero" }\n'
    'title = { type = "text", default = """\'untitled\' -- until named\n""" }',
    '[identities]\nunique_title = { keys = ["title"], where = "score > 0 -- scored only" }\n'
    '[[indexes]]\nname = "posts_lower_title"\nfields = ["lower(title) -- case-blind"]\nwhere = "score >= 0 /* never negative */"\n'
    '[[check_constraints]]\nname = "score_small"\ncheck = "score < 1000 -- a sanity bound"\n'
    'attributes = ["score"]\n'
    '[[statements]]\nname = "score_view"\n'
    'up = "CREATE VIEW scores AS SELECT id, score FROM posts -- the view"\n'
    'down = "DROP VIEW scores; -- gone"\n',
)


def test_line_comments_in_sql_fragments_do_not_swallow_what_follows(scenario: Scenario) -> None:
    """A `--` comment ends at the line's end: a default, check, `where`, index expression or statement
    that ends in one must not comment out the comma, parenthesis or semicolon rendered after it."""
    change = scenario.generate({"posts": posts(*COMMENTED)})
    scenario.roundtrip(change)
    changed = (COMMENTED[0].replace("0 -- starts", "1 -- starts"), COMMENTED[1])
    change = scenario.generate({"posts": posts(*changed)})
    find(change.up, "SET DEFAULT 1 -- starts at zero")
    scenario.roundtrip(change)
