"""Table-diff helpers: which SQL text names a column whose type changes (its checks and index
predicates are dropped before and re-created after the change)."""

from __future__ import annotations

import pytest

from snapshift.engine.autogen.diff_table import mentions


@pytest.mark.parametrize(
    ("text", "column", "found"),
    [
        ("price > 0", "price", True),
        ("PRICE > 0", "price", True),  # unquoted names fold to lower case
        ("prices > 0", "price", False),
        ('"Price" > 0', "Price", True),
        ('"we""ird" > 0', 'we"ird', True),  # a quoted identifier doubles its quotes
        ("length(title) > 0", "price", False),
    ],
)
def test_sql_text_mentions_a_column(text: str, column: str, found: bool) -> None:
    assert mentions([text], [column]) is found
