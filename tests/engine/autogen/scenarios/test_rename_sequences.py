"""Issue 18 item 1: serial and identity sequences in a table or column renamed in the same generate.

The sequence follows the rename first; whatever then happens to its column (kept, widened, its generator
dropped or swapped, the column dropped) names it by its new name, and every down, before the rename
back, too. Each case migrates up, compares with a fresh build (sequence names included) and rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from snapshift.engine.autogen.questions import Answers
from tests.engine.autogen.scenarios.scenario import Scenario, absent, find, ordered, table

NAME = 'name = { type = "text" }'


def counters(key: str, extra: str = NAME, name: str = "counters") -> str:
    return table(name, f"{key}\n{extra}")


SERIAL_KEY = 'id = { type = "bigint", primary_key = true, generated = true }'
IDENTITY_KEY = 'id = { type = "identity", primary_key = true }'
PLAIN_KEY = 'id = { type = "bigint", primary_key = true, default = 0 }'
UUID_KEY = 'id = { type = "uuid", primary_key = true }'
TABLE = Answers(table_renames={"counters": "tallies"})
COLUMN = Answers(column_renames={"counters": {"n": "m"}})
BOTH = Answers(table_renames={"counters": "tallies"}, column_renames={"tallies": {"n": "m"}})


def serial(name: str, kind: str = "integer") -> str:
    return f'{name} = {{ type = "{kind}", generated = true }}'


@dataclass(frozen=True)
class Case:
    before: str
    after: str
    answers: Answers
    new_table: str = "tallies"


CASES = {
    # the reproduction of issue 18 item 1
    "table-renamed-serial-key-becomes-a-default": Case(counters(SERIAL_KEY), counters(PLAIN_KEY), TABLE),
    "table-renamed-serial-key-becomes-an-identity": Case(counters(SERIAL_KEY), counters(IDENTITY_KEY), TABLE),
    "table-renamed-serial-widened": Case(
        counters(UUID_KEY, serial("n")), counters(UUID_KEY, serial("n", "bigint")), TABLE
    ),
    "table-renamed-serial-narrowed": Case(
        counters(UUID_KEY, serial("n", "bigint")), counters(UUID_KEY, serial("n", "smallint")), TABLE
    ),
    "table-renamed-serial-column-dropped": Case(
        counters(UUID_KEY, f"{NAME}\n{serial('n')}"), counters(UUID_KEY), TABLE
    ),
    "table-renamed-identity-becomes-a-serial": Case(counters(IDENTITY_KEY), counters(SERIAL_KEY), TABLE),
    "table-renamed-identity-becomes-a-default": Case(counters(IDENTITY_KEY), counters(PLAIN_KEY), TABLE),
    "table-renamed-identity-column-dropped": Case(
        counters(UUID_KEY, f'{NAME}\nn = {{ type = "identity" }}'), counters(UUID_KEY), TABLE
    ),
    "column-renamed-serial-becomes-a-default": Case(
        counters(UUID_KEY, serial("n")),
        counters(UUID_KEY, 'm = { type = "integer", default = 0 }'),
        COLUMN,
        "counters",
    ),
    "column-renamed-serial-becomes-an-identity": Case(
        counters(UUID_KEY, serial("n", "bigint")),
        counters(UUID_KEY, 'm = { type = "identity" }'),
        COLUMN,
        "counters",
    ),
    "column-renamed-serial-widened": Case(
        counters(UUID_KEY, serial("n")), counters(UUID_KEY, serial("m", "bigint")), COLUMN, "counters"
    ),
    "table-and-column-renamed-serial-widened": Case(
        counters(UUID_KEY, serial("n")), counters(UUID_KEY, serial("m", "bigint")), BOTH
    ),
    "table-and-column-renamed-serial-becomes-nullable-integer": Case(
        counters(UUID_KEY, serial("n")), counters(UUID_KEY, 'm = { type = "integer" }'), BOTH
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_sequence_follows_the_rename_whatever_its_column_becomes(scenario: Scenario, case: Case) -> None:
    scenario.generate({"counters": case.before})
    after = case.after.replace('table = "counters"', f'table = "{case.new_table}"')
    change = scenario.generate({case.new_table: after}, case.answers)
    scenario.roundtrip(change)


def test_serial_key_becoming_a_default_drops_the_sequence_by_its_new_name(scenario: Scenario) -> None:
    """The statements of the issue's reproduction, and their reverse."""
    scenario.generate({"counters": counters(SERIAL_KEY)})
    change = scenario.generate({"tallies": counters(PLAIN_KEY, name="tallies")}, TABLE)
    ordered(
        change.up,
        'ALTER TABLE "counters" RENAME TO "tallies";',
        'ALTER SEQUENCE "counters_id_seq" RENAME TO "tallies_id_seq";',
        'DROP SEQUENCE "tallies_id_seq";',
    )
    ordered(
        change.down,
        'CREATE SEQUENCE "tallies_id_seq" AS bigint OWNED BY "tallies"."id";',
        'ALTER SEQUENCE "tallies_id_seq" RENAME TO "counters_id_seq";',
        'ALTER TABLE "tallies" RENAME TO "counters";',
    )
    absent(change.up, '"counters_id_seq" AS')


def test_widened_serial_in_a_renamed_table_is_no_circle(scenario: Scenario) -> None:
    scenario.generate({"counters": counters(UUID_KEY, serial("n"))})
    change = scenario.generate({"tallies": counters(UUID_KEY, serial("n", "bigint"), "tallies")}, TABLE)
    ordered(
        change.up,
        'ALTER SEQUENCE "counters_n_seq" RENAME TO "tallies_n_seq";',
        'ALTER SEQUENCE "tallies_n_seq" AS bigint;',
    )
    find(change.down, 'ALTER SEQUENCE "tallies_n_seq" AS integer;')
