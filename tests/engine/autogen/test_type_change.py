"""Which type changes generate warns about: those that can fail on rows or change values, not widenings."""

from __future__ import annotations

import pytest

from snapshift.engine.autogen.type_change import may_lose_data
from snapshift.engine.resources.model import Column


def col(
    type_: str, size: int | None = None, precision: int | None = None, scale: int | None = None
) -> Column:
    return Column("c", type_, size=size, precision=precision, scale=scale)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (col("varchar", 50), col("varchar", 20)),
        (col("text"), col("varchar", 5)),
        (col("varchar"), col("varchar", 5)),
        (col("text"), col("integer")),
        (col("bigint"), col("integer")),
        (col("numeric", precision=10, scale=2), col("numeric", precision=6, scale=1)),
        (col("numeric", precision=10, scale=2), col("numeric", precision=10, scale=1)),
        (col("numeric"), col("numeric", precision=10, scale=2)),
        (col("integer"), col("numeric", precision=3)),
        (col("text[]"), col("integer[]")),
        (col("varchar[]", 10), col("varchar[]", 5)),
        (col("text"), col("text[]")),
        (col("timestamp", precision=6), col("timestamp", precision=0)),
        (col("float8"), col("real")),
    ],
)
def test_narrowing_or_converting_is_warned_about(old: Column, new: Column) -> None:
    assert may_lose_data(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (col("varchar", 20), col("varchar", 50)),
        (col("varchar", 20), col("varchar")),
        (col("varchar", 20), col("text")),
        (col("integer"), col("bigint")),
        (col("smallint"), col("numeric")),
        (col("numeric", precision=6, scale=1), col("numeric", precision=10, scale=2)),
        (col("numeric", precision=6, scale=1), col("numeric")),
        (col("real"), col("float8")),
        (col("date"), col("timestamptz")),
        (col("text"), col("text")),
        (col("varchar[]", 5), col("varchar[]", 10)),
    ],
)
def test_widening_is_not(old: Column, new: Column) -> None:
    assert not may_lose_data(old, new)
