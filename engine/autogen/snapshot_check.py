"""A snapshot read back is checked as a resource file is: snapshots are committed files that reviews skip,
and what they hold becomes SQL (the down of a drop, the old side of a change). Names must be names,
types known types, expressions single SQL expressions, flags their few values: a hand edit or a crafted
pull request is exit 2 naming the file and the field, never text pasted into a migration.

Only snapshots that differ from the current resources are built into tables, so only those are checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from snapshift.engine.resources.model import Column, Index, Reference, Table
from snapshift.engine.resources.resource_columns import ON_DELETE_CHOICES, ON_UPDATE_CHOICES
from snapshift.engine.resources.resource_draft import IDENTIFIER, name_problem
from snapshift.engine.resources.resource_file import INDEX_ORDERS
from snapshift.engine.resources.types import canonical_type, expression_error

_ACTIONS = ON_DELETE_CHOICES | ON_UPDATE_CHOICES


class BadSnapshot(ValueError):
    """What is wrong, and where in the snapshot (a JSON path)."""


def check_table(table: Table) -> None:
    """BadSnapshot when `table`, built from a snapshot, holds what no resource file could have made."""
    _name("table", table.name)
    _name("repo", table.repo)
    _optional_name("schema", table.schema)
    _one_of("multitenancy.strategy", table.multitenancy.strategy, {None, "attribute", "context"})
    _optional_name("multitenancy.attribute", table.multitenancy.attribute)
    for i, column in enumerate(table.columns):
        _column(f"attributes[{i}]", column)
    for i, identity in enumerate(table.identities):
        where = f"identities[{i}]"
        _name(f"{where}.name", identity.name)
        _name(f"{where}.index_name", identity.index_name)
        _names(f"{where}.keys", identity.keys)
        _optional_expression(f"{where}.where", identity.where)
        _flags(where, nulls_distinct=identity.nulls_distinct, all_tenants=identity.all_tenants)
    for i, index in enumerate(table.indexes):
        _index(f"custom_indexes[{i}]", index)
    for i, check in enumerate(table.checks):
        _name(f"check_constraints[{i}].name", check.name)
        _expression(f"check_constraints[{i}].check", check.check)
        _names(f"check_constraints[{i}].attributes", check.attributes)
    for i, statement in enumerate(table.statements):
        _name(f"custom_statements[{i}].name", statement.name)
        for side in ("up", "down"):
            _string(f"custom_statements[{i}].{side}", getattr(statement, side))


def _column(where: str, column: Column) -> None:
    _name(f"{where}.name", column.name)
    _string(f"{where}.type", column.type)
    try:
        known = canonical_type(column.type).name == column.type
    except ValueError:
        known = False
    if not known:
        raise BadSnapshot(f"{where}.type: not a type snapshift writes: {column.type!r}")
    _flags(where, allow_nil=column.allow_nil, primary_key=column.primary_key)
    _optional_expression(f"{where}.default", column.default)
    _one_of(f"{where}.generated", column.generated, {None, "serial", "identity"})
    for key in ("size", "precision", "scale"):
        value = getattr(column, key)
        if value is not None and (type(value) is not int or value < 0):
            raise BadSnapshot(f"{where}.{key}: not a whole number: {value!r}")
    if column.references is not None:
        _reference(f"{where}.references", column.references)


def _reference(where: str, ref: Reference) -> None:
    _name(f"{where}.table", ref.table)
    _name(f"{where}.column", ref.column)
    _name(f"{where}.name", ref.name)
    _optional_name(f"{where}.schema", ref.schema)
    _optional_name(f"{where}.index_name", ref.index_name)
    _one_of(f"{where}.on_delete", ref.on_delete, {None, *_ACTIONS})
    _one_of(f"{where}.on_update", ref.on_update, {None, *_ACTIONS})
    _one_of(f"{where}.deferrable", ref.deferrable, {False, True, "initially"})
    _one_of(f"{where}.match_type", ref.match_type, {None, "simple", "full"})
    _flags(where, index=ref.index, tenant_table=ref.tenant_table)
    for pair in ref.match_with:
        _names(f"{where}.match_with", pair)


def _index(where: str, index: Index) -> None:
    _name(f"{where}.name", index.name)
    for j, field in enumerate(index.fields):
        at = f"{where}.fields[{j}]"
        _flags(at, is_column=field.is_column)
        (_name if field.is_column else _expression)(f"{at}.value", field.value)
        _one_of(f"{at}.order", field.order, {None, *INDEX_ORDERS})
    if index.using is not None and (type(index.using) is not str or not IDENTIFIER.fullmatch(index.using)):
        raise BadSnapshot(f"{where}.using: not an index method name: {index.using!r}")
    _optional_expression(f"{where}.where", index.where)
    _names(f"{where}.include", index.include)
    _flags(
        where,
        unique=index.unique,
        nulls_distinct=index.nulls_distinct,
        concurrently=index.concurrently,
        all_tenants=index.all_tenants,
    )


def _string(where: str, value: object) -> None:
    if type(value) is not str:
        raise BadSnapshot(f"{where}: not a string: {value!r}")


def _name(where: str, value: object) -> None:
    _string(where, value)
    assert isinstance(value, str)
    if name_problem(value, "a name") is not None:
        raise BadSnapshot(f"{where}: not a PostgreSQL name: {value!r}")


def _optional_name(where: str, value: object) -> None:
    if value is not None:
        _name(where, value)


def _names(where: str, values: Iterable[Any]) -> None:
    for value in values:
        _name(where, value)


def _expression(where: str, value: object) -> None:
    _string(where, value)
    assert isinstance(value, str)
    problem = expression_error(value)
    if problem is not None:
        raise BadSnapshot(f"{where}: not one SQL expression ({problem}): {value!r}")


def _optional_expression(where: str, value: object) -> None:
    if value is not None:
        _expression(where, value)


def _one_of(where: str, value: object, allowed: set[Any] | frozenset[Any]) -> None:
    if not any(value is choice or (type(value) is type(choice) and value == choice) for choice in allowed):
        raise BadSnapshot(f"{where}: unexpected value {value!r}")


def _flags(where: str, **flags: object) -> None:
    for key, value in flags.items():
        if type(value) is not bool:
            raise BadSnapshot(f"{where}.{key}: not true or false: {value!r}")
