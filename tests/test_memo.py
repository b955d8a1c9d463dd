"""IdentityMemo: work derived from one object is done once, and only for that very object."""

from __future__ import annotations

import pytest

from engine import memo
from engine.memo import IdentityMemo


def test_the_same_object_is_computed_once_and_an_equal_one_again() -> None:
    calls: list[list[int]] = []

    def total(values: list[int]) -> int:
        calls.append(values)
        return sum(values)

    sums = IdentityMemo(total)
    first, equal = [1, 2], [1, 2]
    assert sums(first) == 3 and sums(first) == 3
    assert calls == [first]
    assert sums(equal) == 3
    assert len(calls) == 2 and calls[1] is equal


def test_past_its_limit_it_still_answers_without_remembering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "MEMO_LIMIT", 1)
    calls: list[object] = []

    def ident_of(obj: object) -> int:
        calls.append(obj)
        return id(obj)

    ident = IdentityMemo(ident_of)
    a, b = object(), object()
    assert ident(a) == id(a) and ident(b) == id(b) and ident(b) == id(b)
    assert calls == [a, b, b]
