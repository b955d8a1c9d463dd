"""Memoising by identity: large projects share one object for many equal parts (resource loading hands
out one Column per distinct attribute line), so work derived from such an object is done once.

Entries hold their object, so its id cannot be reused while the entry exists; hashing the object
instead would cost as much as the work saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

MEMO_LIMIT = 100_000  # entries per memo: the app runs for hours, on projects that keep changing

T = TypeVar("T")
R = TypeVar("R")


class IdentityMemo(Generic[T, R]):
    """`compute(obj)`, remembered for `obj` itself (not for equal objects)."""

    __slots__ = ("_compute", "_entries")

    def __init__(self, compute: Callable[[T], R]) -> None:
        self._compute = compute
        self._entries: dict[int, tuple[T, R]] = {}

    def __call__(self, obj: T) -> R:
        hit = self._entries.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = self._compute(obj)
        if len(self._entries) < MEMO_LIMIT:
            self._entries[id(obj)] = (obj, value)
        return value
