"""Golden cases: resources before -> after, answers, and the exact SQL up and down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snapshift.engine.autogen.questions import Answers
from tests.support.harness import Workspace
from tests.support.roundtrip import write_all

AUTHORS = """
table = "authors"
[attributes]
id = { type = "bigint", primary_key = true, generated = true }
name = { type = "text", allow_nil = false }
"""

POSTS = """
table = "posts"
[attributes]
id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
title = { type = "text", allow_nil = false }
"""


@dataclass(frozen=True)
class Case:
    name: str
    before: dict[str, str]
    after: dict[str, str]
    answers: Answers = Answers()
    options: dict[str, object] = field(default_factory=dict)
    applies: bool = True  # False: up is all commented out and leaves the database as it was
    config: str | None = None  # the config of the "after" side; "before" uses the default config


def stage(root: Path, case: Case) -> Workspace:
    """A workspace where `case.before` is generated and `case.after` written, ready to plan or generate."""
    ws = Workspace(root)
    if case.before:
        write_all(ws, case.before)
        ws.generate()
    if case.config:
        (root / "snapshift.toml").write_text(case.config)
    write_all(ws, case.after)
    return ws


def posts(attributes: str, extra: str = "", table: str = "posts") -> str:
    head = f'table = "{table}"\n[attributes]\nid = {{ type = "uuid", primary_key = true }}\n'
    return f"{head}{attributes}\n{extra}"


CASES: list[Case] = []


def case(name: str, before: dict[str, str], after: dict[str, str], **kw: Any) -> None:
    CASES.append(Case(name, before, after, **kw))


POST_COLS = 'title = { type = "text", allow_nil = false }\n'

case(
    "create_table",
    {},
    {
        "posts": posts(
            'title = { type = "string", allow_nil = false, default = "\'untitled\'" }\n'
            'slug = { type = "varchar", size = 80 }\n'
            'price = { type = "decimal", precision = 10, scale = 2, default = 0 }\n'
            'tags = { type = "text[]", default = "\'{}\'" }\n'
            'views = { type = "bigint", generated = true }\n'
            'seen_at = { type = "utc_datetime" }\n'
            '"Mixed Case" = { type = "boolean", default = true }\n'
        )
    },
)
case(
    "drop_table",
    {"authors": AUTHORS, "posts": POSTS},
    {"posts": POSTS},
    answers=Answers(drop_tables=frozenset({"authors"})),
)
case(
    "rename_table",
    {"authors": AUTHORS + '[identities]\nunique_name = { keys = ["name"] }\n'},
    {
        "writers": AUTHORS.replace('"authors"', '"writers"')
        + '[identities]\nunique_name = { keys = ["name"] }\n'
    },
    answers=Answers(table_renames={"authors": "writers"}),
)
case(
    "schema_move",
    {"posts": POSTS},
    {"posts": 'schema = "blog"\n' + POSTS},
    answers=Answers(table_renames={"posts": "blog.posts"}),
)
case(
    "add_column",
    {"posts": posts(POST_COLS)},
    {"posts": posts(POST_COLS + 'status = { type = "text", allow_nil = false, default = "\'draft\'" }\n')},
)
case("remove_column", {"posts": posts(POST_COLS + 'body = { type = "text" }\n')}, {"posts": posts(POST_COLS)})
case(
    "remove_column_commented",
    {"posts": posts(POST_COLS + 'body = { type = "text" }\n')},
    {"posts": posts(POST_COLS)},
    options={"dont_drop_columns": True},
    applies=False,
)
case(
    "rename_column",
    {
        "posts": posts(
            'title = { type = "text" }\n',
            '[identities]\nunique_title = { keys = ["title"] }\n[[indexes]]\nfields = ["title"]\n',
        )
    },
    {
        "posts": posts(
            'name = { type = "text" }\n',
            '[identities]\nunique_title = { keys = ["name"] }\n[[indexes]]\nfields = ["name"]\n',
        )
    },
    answers=Answers(column_renames={"posts": {"title": "name"}}),
)
case(
    "rename_column_declined",
    {"posts": posts('title = { type = "text" }\n')},
    {"posts": posts('name = { type = "text" }\n')},
    answers=Answers(no_renames=True),
)
case(
    "alter_type",
    {"posts": posts('data = { type = "text" }\n')},
    {"posts": posts('data = { type = "jsonb" }\n')},
)
case(
    "alter_size",
    {"posts": posts('slug = { type = "varchar", size = 80 }\n')},
    {"posts": posts('slug = { type = "varchar", size = 120 }\n')},
)
case(
    "alter_precision",
    {"posts": posts('price = { type = "decimal", precision = 10, scale = 2 }\n')},
    {"posts": posts('price = { type = "decimal", precision = 12, scale = 4 }\n')},
)
case(
    "alter_nullability",
    {"posts": posts('title = { type = "text" }\n')},
    {"posts": posts('title = { type = "text", allow_nil = false }\n')},
)
case(
    "alter_default",
    {"posts": posts('status = { type = "text", default = "\'draft\'" }\n')},
    {"posts": posts('status = { type = "text", default = "\'new\'" }\n')},
)
case(
    "drop_default",
    {"posts": posts('status = { type = "text", default = "\'draft\'" }\n')},
    {"posts": posts('status = { type = "text" }\n')},
)
case(
    "default_to_serial",
    {"posts": posts('seq = { type = "bigint", allow_nil = false, default = 0 }\n')},
    {"posts": posts('seq = { type = "bigint", generated = true }\n')},
)
case(
    "serial_to_default",
    {"posts": posts('seq = { type = "bigint", generated = true }\n')},
    {"posts": posts('seq = { type = "bigint", allow_nil = false, default = 0 }\n')},
)
case(
    "add_identity",
    {"posts": posts('seq = { type = "bigint", allow_nil = false }\n')},
    {"posts": posts('seq = { type = "identity" }\n')},
)
case(
    "remove_identity",
    {"posts": posts('seq = { type = "identity" }\n')},
    {"posts": posts('seq = { type = "bigint", allow_nil = false }\n')},
)
case(
    "primary_key_change",
    {"posts": posts('slug = { type = "text", allow_nil = false }\n')},
    {"posts": posts('slug = { type = "text", primary_key = true }\n')},
)
case(
    "identity_add",
    {"posts": posts(POST_COLS)},
    {
        "posts": posts(
            POST_COLS + 'archived = { type = "boolean", allow_nil = false, default = false }\n',
            '[identities]\nunique_title = { keys = ["title"], where = "archived = false", nulls_distinct = false }\n',
        )
    },
)
case(
    "identity_index_renamed",
    {"posts": posts(POST_COLS, '[identities]\nunique_title = { keys = ["title"] }\n')},
    {
        "posts": posts(
            POST_COLS, '[identities]\nunique_title = { keys = ["title"], index_name = "posts_title_key" }\n'
        )
    },
)
case(
    "custom_index",
    {"posts": posts(POST_COLS + 'body = { type = "text" }\nslug = { type = "text" }\n')},
    {
        "posts": posts(
            POST_COLS + 'body = { type = "text" }\nslug = { type = "text" }\n',
            '[[indexes]]\nfields = ["title desc", "lower(body)"]\nname = "posts_search"\nusing = "btree"\n'
            'where = "slug IS NOT NULL"\ninclude = ["slug"]\nunique = true\n',
        )
    },
)
case(
    "custom_index_concurrently",
    {"posts": posts(POST_COLS)},
    {"posts": posts(POST_COLS, '[[indexes]]\nfields = ["title"]\nconcurrently = true\n')},
)
case(
    "check_constraints",
    {
        "posts": posts(
            'price = { type = "integer" }\n',
            '[[check_constraints]]\nname = "price_positive"\ncheck = "price > 0"\n'
            '[[check_constraints]]\nname = "price_small"\ncheck = "price < 100"\n',
        )
    },
    {
        "posts": posts(
            'price = { type = "integer" }\n',
            '[[check_constraints]]\nname = "price_positive"\ncheck = "price >= 0"\n'
            '[[check_constraints]]\nname = "price_cap"\ncheck = "price < 1000"\n',
        )
    },
)
RECENT = '[[check_constraints]]\nname = "recent"\ncheck = "seen_at > \'2000-01-01\'"\n'
RECENT_INDEX = '[[indexes]]\nfields = ["seen_at"]\nwhere = "seen_at > \'2000-01-01\'"\n'
case(
    "type_change_rebuilds_check_and_partial_index_over_the_column",
    {"posts": posts('seen_at = { type = "timestamptz" }\n', RECENT + RECENT_INDEX)},
    {"posts": posts('seen_at = { type = "timestamp" }\n', RECENT + RECENT_INDEX)},
)
FK_ALL = (
    'author_id = { type = "bigint", references = { table = "authors", on_delete = "delete", on_update = "update", '
    'deferrable = "initially", index = true, name = "posts_author_fk" } }\n'
)
case(
    "foreign_key_add",
    {"authors": AUTHORS, "posts": posts(POST_COLS)},
    {"authors": AUTHORS, "posts": posts(POST_COLS + FK_ALL)},
)
case(
    "foreign_key_change",
    {"authors": AUTHORS, "posts": posts(POST_COLS + FK_ALL)},
    {"authors": AUTHORS, "posts": posts(POST_COLS + FK_ALL.replace('"delete"', '"nilify"'))},
)
case(
    "foreign_key_index_only",
    {"authors": AUTHORS, "posts": posts(POST_COLS + FK_ALL)},
    {"authors": AUTHORS, "posts": posts(POST_COLS + FK_ALL.replace("index = true", "index = false"))},
)
case(
    "foreign_key_match_with",
    {
        "authors": AUTHORS
        + 'org = { type = "text", allow_nil = false }\n[identities]\nkey = { keys = ["id", "org"] }\n',
        "posts": posts(POST_COLS + 'author_id = { type = "bigint" }\norg = { type = "text" }\n'),
    },
    {
        "authors": AUTHORS
        + 'org = { type = "text", allow_nil = false }\n[identities]\nkey = { keys = ["id", "org"] }\n',
        "posts": posts(
            POST_COLS
            + 'author_id = { type = "bigint", references = { table = "authors", match_with = { org = "org" }, '
            'match_type = "full" } }\norg = { type = "text" }\n'
        ),
    },
)
case(
    "statements",
    {
        "posts": posts(
            POST_COLS,
            '[[statements]]\nname = "v1"\nup = "CREATE VIEW titles AS SELECT title FROM posts"\n'
            'down = "DROP VIEW titles"\n',
        )
    },
    {
        "posts": posts(
            POST_COLS,
            '[[statements]]\nname = "v1"\nup = "CREATE VIEW titles AS SELECT id, title FROM posts"\n'
            'down = "DROP VIEW titles"\n',
        )
    },
)
case(
    "extensions",
    {"posts": posts(POST_COLS)},
    {"posts": posts(POST_COLS + 'email = { type = "ci_string" }\n')},
    config='resources = ["resources/*.toml"]\n[repos.repo]\nextensions = ["citext"]\n',
)
case(
    "context_multitenancy",
    {"authors": AUTHORS},
    {
        "authors": AUTHORS,
        "notes": 'table = "notes"\nmultitenancy = { strategy = "context" }\n[attributes]\n'
        'id = { type = "uuid", primary_key = true }\nauthor_id = { type = "bigint", references = { table = "authors" } }\n',
    },
)
case(
    "attribute_multitenancy",
    {
        "posts": posts(
            POST_COLS + 'org_id = { type = "uuid", allow_nil = false }\n',
            '[identities]\nunique_title = { keys = ["title"] }\n',
        )
    },
    {
        "posts": 'multitenancy = { strategy = "attribute", attribute = "org_id" }\n'
        + posts(
            POST_COLS + 'org_id = { type = "uuid", allow_nil = false }\n',
            '[identities]\nunique_title = { keys = ["title"] }\n',
        )
    },
)
COMMENTS_BY_SLUG = (
    'table = "comments"\n[attributes]\nid = { type = "uuid", primary_key = true }\n'
    'post_slug = { type = "text", references = { table = "posts", column = "slug" } }\n'
)
case(
    "concurrent_identity_with_foreign_key",
    {"posts": posts('slug = { type = "text", allow_nil = false }\n')},
    {
        "posts": posts(
            'slug = { type = "text", allow_nil = false }\n',
            '[identities]\nunique_slug = { keys = ["slug"] }\n',
        ),
        "comments": COMMENTS_BY_SLUG,
    },
    options={"concurrent_indexes": True},
)
case(
    "drop_tables_with_foreign_keys",
    {
        "authors": AUTHORS,
        "posts": posts('author_id = { type = "bigint", references = { table = "authors" } }\n'),
        "comments": 'table = "comments"\n[attributes]\nid = { type = "uuid", primary_key = true }\n'
        'post_id = { type = "uuid", references = { table = "posts" } }\n',
    },
    {},
    answers=Answers(drop_tables=frozenset({"authors", "posts", "comments"})),
)
case(
    "quoted_identifiers",
    {},
    {
        "user": 'table = "user"\n[attributes]\n"select" = { type = "integer", primary_key = true }\n'
        '"Weird\\"Name" = { type = "text" }\n"ünïcode" = { type = "text", default = "\'é\'" }\n'
        '[identities]\norder = { keys = ["ünïcode"] }\n'
    },
)
case(
    "rename_referenced_column",
    {
        "authors": AUTHORS,
        "posts": posts('author_id = { type = "bigint", references = { table = "authors" } }\n'),
    },
    {
        "authors": AUTHORS,
        "posts": posts('writer_id = { type = "bigint", references = { table = "authors" } }\n'),
    },
    answers=Answers(column_renames={"posts": {"author_id": "writer_id"}}),
)
case(
    "rename_table_referenced",
    {
        "authors": AUTHORS,
        "posts": posts('author_id = { type = "bigint", references = { table = "authors", index = true } }\n'),
    },
    {
        "writers": AUTHORS.replace('"authors"', '"writers"'),
        "posts": posts('author_id = { type = "bigint", references = { table = "writers", index = true } }\n'),
    },
    answers=Answers(table_renames={"authors": "writers"}),
)
case(
    "rename_column_with_check_and_expression_index",
    {
        "posts": posts(
            'title = { type = "text" }\nflag = { type = "boolean" }\n',
            '[[check_constraints]]\nname = "title_not_empty"\ncheck = "title <> \'\'"\n'
            '[[indexes]]\nfields = ["lower(title)"]\nname = "posts_lower_title"\n'
            '[[indexes]]\nfields = ["flag"]\nwhere = "title IS NOT NULL"\n'
            '[identities]\nunique_title = { keys = ["title"] }\n',
        )
    },
    {
        "posts": posts(
            'name = { type = "text" }\nflag = { type = "boolean" }\n',
            '[[check_constraints]]\nname = "title_not_empty"\ncheck = "name <> \'\'"\n'
            '[[indexes]]\nfields = ["lower(name)"]\nname = "posts_lower_title"\n'
            '[[indexes]]\nfields = ["flag"]\nwhere = "name IS NOT NULL"\n'
            '[identities]\nunique_title = { keys = ["name"] }\n',
        )
    },
    answers=Answers(column_renames={"posts": {"title": "name"}}),
)
case(
    "serial_type_change",
    {"posts": posts('seq = { type = "smallint", generated = true }\n')},
    {"posts": posts('seq = { type = "integer", generated = true }\n')},
)
case(
    "identity_type_change",
    {
        "posts": posts(
            'seq = { type = "integer", generated = true, default = 1 }\nn = { type = "identity" }\n'
        )
    },
    {
        "posts": posts(
            'seq = { type = "integer", generated = true, default = 1 }\nn = { type = "integer", generated = true }\n'
        )
    },
)
# issue 11 item 8: the reference to a renamed table removed in the same generate; the down adds it
# back, naming the table by its new name, before the rename is undone
case(
    "rename_table_and_drop_a_reference_to_it",
    {
        "authors": AUTHORS,
        "posts": posts('author_id = { type = "bigint", references = { table = "authors" } }\n'),
    },
    {
        "writers": AUTHORS.replace('"authors"', '"writers"'),
        "posts": posts('author_id = { type = "bigint" }\n'),
    },
    answers=Answers(table_renames={"authors": "writers"}),
)
# issue 18 item 2: defaults DEFAULT takes only in parentheses, created and changed
case(
    "defaults_in_parentheses",
    {"posts": posts('flag = { type = "boolean", default = "NOT false" }\n')},
    {
        "posts": posts(
            'flag = { type = "boolean", default = "1 IN (1, 2)" }\n'
            'ready = { type = "boolean", default = "\'\' IS NULL" }\n'
            'n = { type = "integer", default = "-1" }\n'
        )
    },
)
