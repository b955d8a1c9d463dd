"""Issue 18 item 2: defaults PostgreSQL takes only in parentheses (`DEFAULT` is a restricted expression).

Each one is written in CREATE TABLE, ADD COLUMN and SET DEFAULT, up and down, on a real database; the
snapshot keeps the text as the user wrote it, and generating again finds nothing to do.
"""

from __future__ import annotations

import json

import pytest

from snapshift.engine.autogen.default_sql import needs_parentheses
from tests.engine.autogen.scenarios.scenario import Scenario, find, table

ID = 'id = { type = "uuid", primary_key = true }'
# (column type, default) the issue names, plus arithmetic, concatenation and a trailing comment
RESTRICTED = {
    "b_not": ("boolean", "NOT false"),
    "b_in": ("boolean", "1 IN (1, 2)"),
    "b_is_null": ("boolean", "'' IS NULL"),
    "b_like": ("boolean", "'a' LIKE 'a%'"),
    "b_and": ("boolean", "true AND false"),
    "b_between": ("boolean", "2 BETWEEN 1 AND 3"),
    "b_or_not": ("boolean", "NOT (1 = 2) OR false"),
    "i_arith": ("integer", "1 + 2 * 3"),
    "t_concat": ("text", "'a' || 'b'"),
    "b_commented": ("boolean", "NOT true -- off by default"),
}
# another restricted default for each column, for SET DEFAULT
OTHER = {
    "b_not": "NOT true",
    "b_in": "3 IN (1, 2)",
    "b_is_null": "'' IS NOT NULL",
    "b_like": "'a' NOT LIKE 'a%'",
    "b_and": "true OR false",
    "b_between": "2 NOT BETWEEN 1 AND 3",
    "b_or_not": "NOT (1 = 2) AND true",
    "i_arith": "(1 + 2) * 3",
    "t_concat": "'c' || 'd'",
    "b_commented": "NOT false -- on by default",
}


def columns(defaults: dict[str, str]) -> str:
    return "\n".join(
        f"{name} = {{ type = {json.dumps(RESTRICTED[name][0])}, default = {json.dumps(text)} }}"
        for name, text in defaults.items()
    )


FIRST = {name: text for name, (_, text) in RESTRICTED.items()}


def test_restricted_defaults_in_create_add_and_set_default_walk_up_and_back(scenario: Scenario) -> None:
    created = scenario.generate(
        {"flags": table("flags", f"{ID}\n{columns(FIRST)}"), "more": table("more", ID)}
    )
    find(created.up, '"b_not" boolean DEFAULT (NOT false)')
    find(created.up, '"b_in" boolean DEFAULT (1 IN (1, 2))')
    find(created.up, '"b_commented" boolean DEFAULT (NOT true -- off by default\n)')
    scenario.roundtrip(created)
    snapshot = next((scenario.snapshots / "flags").iterdir()).read_text()
    for text in FIRST.values():
        assert json.dumps(text) in snapshot, "the snapshot keeps the user's text"

    moved = scenario.generate({"flags": table("flags", ID), "more": table("more", f"{ID}\n{columns(FIRST)}")})
    find(moved.up, 'ALTER TABLE "more" ADD COLUMN "b_between" boolean DEFAULT (2 BETWEEN 1 AND 3)')
    find(moved.down, "ALTER TABLE \"flags\" ADD COLUMN \"b_like\" boolean DEFAULT ('a' LIKE 'a%')")
    scenario.roundtrip(moved)

    changed = scenario.generate(
        {"flags": table("flags", ID), "more": table("more", f"{ID}\n{columns(OTHER)}")}
    )
    find(changed.up, "ALTER COLUMN \"b_is_null\" SET DEFAULT ('' IS NOT NULL)")
    find(changed.down, "ALTER COLUMN \"b_is_null\" SET DEFAULT ('' IS NULL)")
    scenario.roundtrip(changed)


@pytest.mark.parametrize(
    "text",
    ["0", "-1", "0.5", "true", "NULL", "'draft'", "'é'", "'{}'::jsonb", "'{}'::text[]", "now()",
     "gen_random_uuid()", "pg_catalog.now()", "CURRENT_TIMESTAMP", "(1 + 2)", "abs(-3)", "'7'::integer",
     "CAST(1 AS text)", "coalesce(1, 2)", "CASE WHEN true THEN 1 ELSE 2 END", "ARRAY[1, 2]", "now() -- c"],
)  # fmt: skip
def test_literals_calls_casts_and_parenthesized_defaults_stay_as_written(text: str) -> None:
    assert not needs_parentheses(text)


@pytest.mark.parametrize(
    "text",
    [*FIRST.values(), *OTHER.values(), "x AND y", "(1) + (2)", "'{}'::jsonb -> 'a'", "'x' COLLATE \"C\"",
     "interval '1 day'", "1 +", "((("],
)  # fmt: skip
def test_other_and_unparseable_defaults_go_in_parentheses(text: str) -> None:
    assert needs_parentheses(text)
