"""Column changes: decimals, varchar sizes, serial <-> default transitions, identity columns, types."""

from __future__ import annotations

from tests.engine.autogen.scenarios.scenario import Scenario, absent, find, ordered, table


def posts(column: str) -> str:
    return table("posts", f'id = {{ type = "uuid", primary_key = true }}\n{column}')


def change_column(scenario: Scenario, before: str, after: str) -> list[str]:
    scenario.generate({"posts": posts(before)})
    change = scenario.generate({"posts": posts(after)})
    scenario.roundtrip(change)
    return change.up


# --- decimals ------------------------------------------------------------------------------------


def test_decimal_gains_precision_and_scale(scenario: Scenario) -> None:
    up = change_column(
        scenario, 'price = { type = "decimal" }', 'price = { type = "decimal", precision = 10, scale = 2 }'
    )
    assert up == ['ALTER TABLE "posts" ALTER COLUMN "price" TYPE numeric(10,2) USING "price"::numeric(10,2);']


def test_decimal_loses_precision_and_scale(scenario: Scenario) -> None:
    up = change_column(
        scenario, 'price = { type = "decimal", precision = 10, scale = 2 }', 'price = { type = "numeric" }'
    )
    assert up == ['ALTER TABLE "posts" ALTER COLUMN "price" TYPE numeric USING "price"::numeric;']


def test_decimal_scale_only(scenario: Scenario) -> None:
    up = change_column(
        scenario,
        'price = { type = "decimal", precision = 10, scale = 2, default = 0 }',
        'price = { type = "decimal", precision = 10, scale = 4, default = 0 }',
    )
    ordered(up, "DROP DEFAULT", "TYPE numeric(10,4)", "SET DEFAULT 0")


def test_decimal_added_with_a_default(scenario: Scenario) -> None:
    up = change_column(
        scenario,
        'title = { type = "text" }',
        'title = { type = "text" }\n'
        'price = { type = "decimal", precision = 8, scale = 3, default = 0, allow_nil = false }',
    )
    assert up == ['ALTER TABLE "posts" ADD COLUMN "price" numeric(8,3) DEFAULT 0 NOT NULL;']


# --- varchar sizes -------------------------------------------------------------------------------


def test_varchar_grows(scenario: Scenario) -> None:
    up = change_column(
        scenario, 'slug = { type = "varchar", size = 80 }', 'slug = { type = "varchar", size = 255 }'
    )
    assert up == ['ALTER TABLE "posts" ALTER COLUMN "slug" TYPE varchar(255) USING "slug"::varchar;']


def test_varchar_shrinks_with_a_default(scenario: Scenario) -> None:
    up = change_column(
        scenario,
        'slug = { type = "varchar", size = 80, default = "\'none\'" }',
        'slug = { type = "varchar", size = 10, default = "\'none\'" }',
    )
    ordered(up, "DROP DEFAULT", "TYPE varchar(10)", "SET DEFAULT 'none'")


def test_varchar_size_removed(scenario: Scenario) -> None:
    up = change_column(scenario, 'slug = { type = "varchar", size = 80 }', 'slug = { type = "varchar" }')
    assert up == ['ALTER TABLE "posts" ALTER COLUMN "slug" TYPE varchar USING "slug"::varchar;']


def test_text_becomes_sized_varchar(scenario: Scenario) -> None:
    up = change_column(
        scenario, 'slug = { type = "string" }', 'slug = { type = "varchar", size = 40, allow_nil = false }'
    )
    assert up == [
        'ALTER TABLE "posts" ALTER COLUMN "slug" TYPE varchar(40) USING "slug"::varchar, '
        'ALTER COLUMN "slug" SET NOT NULL;'
    ]


def test_varchar_array_size(scenario: Scenario) -> None:
    change_column(
        scenario,
        'tags = { type = "varchar[]", size = 20, default = "\'{}\'" }',
        'tags = { type = "varchar[]", size = 50, default = "\'{}\'" }',
    )


# --- serial <-> default ----------------------------------------------------------------------------


def test_serial_to_nullable_default(scenario: Scenario) -> None:
    up = change_column(
        scenario, 'seq = { type = "bigint", generated = true }', 'seq = { type = "bigint", default = 0 }'
    )
    ordered(up, 'ALTER COLUMN "seq" DROP DEFAULT', 'DROP SEQUENCE "posts_seq_seq"')
    find(up, "DROP NOT NULL")


def test_nullable_default_to_serial(scenario: Scenario) -> None:
    up = change_column(
        scenario, 'seq = { type = "bigint", default = 5 }', 'seq = { type = "bigint", generated = true }'
    )
    ordered(
        up, 'CREATE SEQUENCE "posts_seq_seq" AS bigint', "setval", "SET DEFAULT nextval('\"posts_seq_seq\"')"
    )
    find(up, "SET NOT NULL")


def test_plain_column_to_serial_continues_after_existing_values(scenario: Scenario) -> None:
    up = change_column(
        scenario,
        'seq = { type = "integer", allow_nil = false }',
        'seq = { type = "integer", generated = true }',
    )
    find(up, 'CREATE SEQUENCE "posts_seq_seq" AS integer OWNED BY "posts"."seq";')
    find(up, 'SELECT setval(\'"posts_seq_seq"\', COALESCE(MAX("seq"), 0) + 1, false) FROM "posts";')


def test_serial_widened_from_integer_to_bigint(scenario: Scenario) -> None:
    """serial -> bigserial: the column and its sequence both become bigint, as a fresh build has them."""
    up = change_column(
        scenario,
        'seq = { type = "integer", generated = true }',
        'seq = { type = "bigint", generated = true }',
    )
    find(up, "TYPE bigint")


def test_serial_to_identity(scenario: Scenario) -> None:
    up = change_column(scenario, 'seq = { type = "bigint", generated = true }', 'seq = { type = "identity" }')
    ordered(
        up, 'DROP SEQUENCE "posts_seq_seq"', "ADD GENERATED BY DEFAULT AS IDENTITY", "pg_get_serial_sequence"
    )


def test_identity_to_serial(scenario: Scenario) -> None:
    up = change_column(scenario, 'seq = { type = "identity" }', 'seq = { type = "bigint", generated = true }')
    ordered(up, 'ALTER COLUMN "seq" DROP IDENTITY', 'CREATE SEQUENCE "posts_seq_seq" AS bigint')


def test_identity_column_to_plain_default(scenario: Scenario) -> None:
    up = change_column(
        scenario, 'seq = { type = "identity" }', 'seq = { type = "bigint", allow_nil = false, default = 1 }'
    )
    ordered(up, "DROP IDENTITY", "SET DEFAULT 1")


# --- identity columns ----------------------------------------------------------------------------


def test_identity_primary_key_table_created(scenario: Scenario) -> None:
    change = scenario.generate(
        {"items": table("items", 'id = { type = "identity", primary_key = true }\nname = { type = "text" }')}
    )
    find(change.up, '"id" bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL')
    scenario.roundtrip(change)


def test_identity_column_added_and_removed(scenario: Scenario) -> None:
    scenario.generate({"posts": posts('title = { type = "text" }')})
    added = scenario.generate({"posts": posts('title = { type = "text" }\nnumber = { type = "identity" }')})
    assert added.up == [
        'ALTER TABLE "posts" ADD COLUMN "number" bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL;'
    ]
    scenario.roundtrip(added)
    removed = scenario.generate({"posts": posts('title = { type = "text" }')})
    assert removed.up == ['ALTER TABLE "posts" DROP COLUMN "number";']
    scenario.roundtrip(removed)


def test_serial_column_added_to_an_existing_table(scenario: Scenario) -> None:
    up = change_column(
        scenario,
        'title = { type = "text" }',
        'title = { type = "text" }\nposition = { type = "smallint", generated = true }',
    )
    assert up == ['ALTER TABLE "posts" ADD COLUMN "position" smallserial;']


# --- other column changes ------------------------------------------------------------------------


def test_type_nullability_and_default_change_together(scenario: Scenario) -> None:
    up = change_column(
        scenario,
        'count = { type = "integer", default = 0 }',
        'count = { type = "bigint", allow_nil = false, default = 1 }',
    )
    assert up == [
        'ALTER TABLE "posts" ALTER COLUMN "count" DROP DEFAULT, '
        'ALTER COLUMN "count" TYPE bigint USING "count"::bigint, '
        'ALTER COLUMN "count" SET NOT NULL, ALTER COLUMN "count" SET DEFAULT 1;'
    ]


def test_function_default_changed(scenario: Scenario) -> None:
    up = change_column(
        scenario,
        'seen_at = { type = "utc_datetime_usec", default = "now()" }',
        'seen_at = { type = "utc_datetime_usec", default = "(now() AT TIME ZONE \'utc\')" }',
    )
    assert up == ['ALTER TABLE "posts" ALTER COLUMN "seen_at" SET DEFAULT (now() AT TIME ZONE \'utc\');']


def test_text_to_jsonb_with_a_cast(scenario: Scenario) -> None:
    """AshPostgres #149: a plain modify fails without USING; the generated ALTER casts."""
    up = change_column(scenario, 'data = { type = "text" }', 'data = { type = "map", default = "\'{}\'" }')
    find(up, 'TYPE jsonb USING "data"::jsonb')
    absent(up, "DROP DEFAULT")
