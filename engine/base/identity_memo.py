"""A function's results remembered per argument object, for one pass over many tables: a project's
tables share the Column objects of their common attributes (id, timestamps, ...), so each one's snapshot
JSON (or dict) is made once per pass instead of once per table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class IdentityMemo(Generic[K, V]):
    """`derive(key)`, computed once per key object (by identity, so no hashing of the key's fields).

    Each entry keeps its key alive, so no other object can take its id while the memo lives; a memo is
    meant for one pass and then dropped, never kept at module level."""

    def __init__(self, derive: Callable[[K], V]) -> None:
        self._derive = derive
        self._seen: dict[int, tuple[K, V]] = {}

    def __call__(self, key: K) -> V:
        hit = self._seen.get(id(key))
        if hit is not None and hit[0] is key:
            return hit[1]
        value = self._derive(key)
        self._seen[id(key)] = (key, value)
        return value
