"""Whether a column's type change can fail on existing rows or lose data: the warning generate gives, as
Prisma and Atlas do, before a migration turns text into numbers or shortens a varchar."""

from __future__ import annotations

from snapshift.engine.resources.model import Column
from snapshift.engine.resources.types import SIZED_TYPES, element_type, sql_type

# (from, to): every value of the first fits the second as it is
_WIDENINGS = frozenset(
    {
        ("smallint", "integer"), ("smallint", "bigint"), ("integer", "bigint"),
        ("smallint", "numeric"), ("integer", "numeric"), ("bigint", "numeric"),
        ("real", "float8"), ("varchar", "text"), ("char", "text"), ("char", "varchar"),
        ("date", "timestamp"), ("date", "timestamptz"), ("timestamp", "timestamptz"),
    }
)  # fmt: skip


def may_lose_data(old: Column, new: Column) -> bool:
    """True when turning `old` into `new` can fail on some row or change a value: another kind of type,
    a shorter length, fewer digits or less precision. Widenings are safe."""
    if sql_type(old) == sql_type(new):
        return False
    if old.type.count("[]") != new.type.count("[]"):
        return True
    before, after = element_type(old.type), element_type(new.type)
    if before == after:
        return _narrower(old, new)
    if (before, after) not in _WIDENINGS:
        return True
    return (after in SIZED_TYPES and new.size is not None) or (
        after == "numeric" and new.precision is not None
    )


def _narrower(old: Column, new: Column) -> bool:
    """The same type with a smaller length, fewer digits before or after the point, or less precision."""
    if element_type(new.type) in SIZED_TYPES:
        return new.size is not None and (old.size is None or new.size < old.size)
    if new.precision is None:
        return False
    if old.precision is None:
        return True
    old_scale, new_scale = old.scale or 0, new.scale or 0
    return new_scale < old_scale or new.precision - new_scale < old.precision - old_scale
