"""A rename (table, schema move, column) in the same generate as a change to what names the renamed object.

Issue 11 item 8 and issue 18's preamble: foreign keys into the renamed table (dropped, changed,
retargeted, composite, named, from a dropped or renamed table, from a tenant table), indexes, checks
and statements. Every case migrates up, compares with a fresh build, and rolls back to the state before:
the down is the exact reverse of the up, each statement naming objects as they are at its point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from snapshift.engine.autogen.questions import Answers
from tests.engine.autogen.scenarios.scenario import Scenario, ordered, table

CONTEXT = 'multitenancy = { strategy = "context" }'
SERIAL_KEY = 'id = { type = "bigint", primary_key = true, generated = true }'
UUID_KEY = 'id = { type = "uuid", primary_key = true }'


def authors(name: str = "authors", key: str = "id", head: str = "", extra: str = "") -> str:
    return table(
        name,
        f'{key} = {{ type = "bigint", primary_key = true, generated = true }}\nname = {{ type = "text" }}',
        extra,
        head,
    )


def posts(reference: str | None = "authors", name: str = "posts", options: str = "", head: str = "") -> str:
    """posts.author_id, referencing `reference` (None: a plain column)."""
    ref = f', references = {{ table = "{reference}"{options} }}' if reference else ""
    return table(name, f'{UUID_KEY}\nauthor_id = {{ type = "bigint"{ref} }}', head=head)


def composite_authors(name: str = "authors") -> str:
    return table(
        name,
        'org = { type = "bigint", primary_key = true }\nid = { type = "bigint", primary_key = true }',
    )


def composite_posts(reference: str | None = "authors", options: str = "") -> str:
    ref = (
        f', references = {{ table = "{reference}", match_with = {{ author_org = "org" }}{options} }}'
        if reference
        else ""
    )
    return table(
        "posts",
        f'{UUID_KEY}\nauthor_org = {{ type = "bigint" }}\nauthor_id = {{ type = "bigint"{ref} }}',
    )


def coded_authors(nulls_distinct: str) -> str:
    return table(
        "authors",
        f'{SERIAL_KEY}\ncode = {{ type = "text" }}',
        f'[identities]\nunique_code = {{ keys = ["code"], nulls_distinct = {nulls_distinct} }}',
    )


def coded_posts(name: str = "posts") -> str:
    ref = 'references = { table = "authors", column = "code" }'
    return table(name, f'{UUID_KEY}\nauthor_code = {{ type = "text", {ref} }}')


def notes(reference: str | None, name: str = "notes") -> str:
    """A context-multitenant table; `reference` names a table (public or tenant) or is None."""
    ref = f', references = {{ table = "{reference}" }}' if reference else ""
    return table(name, f'{UUID_KEY}\nperson_id = {{ type = "bigint"{ref} }}', head=CONTEXT)


def people(name: str = "people") -> str:
    return table(name, SERIAL_KEY, head=CONTEXT)


@dataclass(frozen=True)
class Case:
    before: dict[str, str]
    after: dict[str, str]
    answers: Answers
    in_order: tuple[str, ...] = field(default=())  # up statements that must come in this order


RENAME = Answers(table_renames={"authors": "writers"})
CASES = {
    # the reproduction of issue 11 item 8: the reference of a kept table removed
    "reference-removed": Case(
        {"authors": authors(), "posts": posts()},
        {"writers": authors("writers"), "posts": posts(None)},
        RENAME,
    ),
    "referencing-table-dropped": Case(
        {"authors": authors(), "posts": posts()},
        {"writers": authors("writers")},
        Answers(table_renames={"authors": "writers"}, drop_tables=frozenset({"posts"})),
    ),
    "reference-changed": Case(
        {"authors": authors(), "posts": posts()},
        {"writers": authors("writers"), "posts": posts("writers", options=', on_delete = "delete"')},
        RENAME,
    ),
    "reference-retargeted": Case(
        {"authors": authors(), "editors": authors("editors"), "posts": posts()},
        {"writers": authors("writers"), "editors": authors("editors"), "posts": posts("editors")},
        RENAME,
    ),
    "retargeted-to-the-renamed-table": Case(
        {"authors": authors(), "editors": authors("editors"), "posts": posts("editors")},
        {"writers": authors("writers"), "editors": authors("editors"), "posts": posts("writers")},
        RENAME,
    ),
    "composite-key": Case(
        {"authors": composite_authors(), "posts": composite_posts()},
        {"writers": composite_authors("writers"), "posts": composite_posts(None)},
        RENAME,
    ),
    "composite-key-changed": Case(
        {"authors": composite_authors(), "posts": composite_posts()},
        {
            "writers": composite_authors("writers"),
            "posts": composite_posts("writers", ', on_update = "update"'),
        },
        RENAME,
    ),
    "both-ends-renamed": Case(
        {"authors": authors(), "posts": posts()},
        {
            "writers": authors("writers"),
            "articles": posts("writers", "articles", ', on_delete = "nilify"'),
        },
        Answers(table_renames={"authors": "writers", "posts": "articles"}),
    ),
    "named-constraint": Case(
        {"authors": authors(), "posts": posts(options=', name = "by_author"')},
        {
            "writers": authors("writers"),
            "posts": posts("writers", options=', name = "by_writer", on_delete = "restrict"'),
        },
        RENAME,
    ),
    "moved-to-another-schema": Case(
        {"authors": authors(), "posts": posts()},
        {"authors": authors(head='schema = "blog"'), "posts": posts(None)},
        Answers(table_renames={"authors": "blog.authors"}),
    ),
    "moved-and-renamed-referencing-table-dropped": Case(
        {"authors": authors(), "posts": posts()},
        {"writers": authors("writers", head='schema = "blog"')},
        Answers(table_renames={"authors": "blog.writers"}, drop_tables=frozenset({"posts"})),
    ),
    "referenced-column-renamed-and-reference-removed": Case(
        {"authors": authors(), "posts": posts()},
        {"authors": authors(key="author_no"), "posts": posts(None)},
        Answers(column_renames={"authors": {"id": "author_no"}}),
    ),
    "referenced-column-renamed-referencing-table-dropped": Case(
        {"authors": authors(), "posts": posts()},
        {"writers": authors("writers", key="author_no")},
        Answers(
            table_renames={"authors": "writers"},
            column_renames={"writers": {"id": "author_no"}},
            drop_tables=frozenset({"posts"}),
        ),
    ),
    "tenant-table-renamed-reference-removed": Case(
        {"people": people(), "notes": notes("people")},
        {"persons": people("persons"), "notes": notes(None)},
        Answers(table_renames={"tenants.people": "tenants.persons"}),
    ),
    "tenant-table-renamed-referencing-table-dropped": Case(
        {"people": people(), "notes": notes("people")},
        {"persons": people("persons")},
        Answers(
            table_renames={"tenants.people": "tenants.persons"}, drop_tables=frozenset({"tenants.notes"})
        ),
    ),
    "public-table-renamed-tenant-reference-changed": Case(
        {"authors": authors(), "notes": notes("authors")},
        {"writers": authors("writers"), "notes": notes(None)},
        RENAME,
    ),
    # the foreign key is dropped and added again around the rebuilt index: its constraint is renamed
    # with its table by that, not by a RENAME CONSTRAINT of a constraint already dropped
    "referencing-table-renamed-while-the-unique-index-it-uses-is-rebuilt": Case(
        {"authors": coded_authors("true"), "posts": coded_posts()},
        {"authors": coded_authors("false"), "articles": coded_posts("articles")},
        Answers(table_renames={"posts": "articles"}),
    ),
    "index-and-check-over-a-renamed-column-of-a-renamed-table": Case(
        {
            "authors": authors(
                extra='[[indexes]]\nname = "by_name"\nfields = ["lower(name)"]\nwhere = "name <> \'\'"\n'
                '[[check_constraints]]\nname = "named"\ncheck = "name IS NOT NULL"'
            )
        },
        {
            "writers": table(
                "writers",
                f'{SERIAL_KEY}\nfull_name = {{ type = "text" }}',
                '[[indexes]]\nname = "by_name"\nfields = ["upper(full_name)"]\nwhere = "full_name <> \'\'"\n'
                '[[check_constraints]]\nname = "named"\ncheck = "full_name <> \'x\'"',
            )
        },
        Answers(table_renames={"authors": "writers"}, column_renames={"writers": {"name": "full_name"}}),
    ),
    # a statement of another table naming the renamed table: it is undone before the rename, and the
    # new one runs after it (the down the other way around). The renamed table sorts before posts, as
    # a fresh build runs a table's statements after that table and the tables before it.
    "statement-of-another-table": Case(
        {
            "authors": authors(),
            "posts": posts(None)
            + '[[statements]]\nname = "idx"\nup = "CREATE INDEX author_names ON authors (name)"\n'
            'down = "DROP INDEX author_names"\n',
        },
        {
            "bloggers": authors("bloggers"),
            "posts": posts(None)
            + '[[statements]]\nname = "idx"\nup = "CREATE INDEX blogger_names ON bloggers (name)"\n'
            'down = "DROP INDEX blogger_names"\n',
        },
        Answers(table_renames={"authors": "bloggers"}),
        ("DROP INDEX author_names", 'RENAME TO "bloggers"', "CREATE INDEX blogger_names ON bloggers"),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_rename_with_a_change_to_what_names_it_walks_up_and_back(scenario: Scenario, case: Case) -> None:
    scenario.generate(case.before)
    change = scenario.generate(case.after, case.answers)
    if case.in_order:
        ordered(change.up, *case.in_order)
    scenario.roundtrip(change)
