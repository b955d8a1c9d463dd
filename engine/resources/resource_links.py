"""Pass two of resource loading: the drafts of all files checked against each other.

Tables must be defined once, names that share a PostgreSQL namespace must not clash, and every
reference must find its destination table and column, with types PostgreSQL can compare.
"""

from __future__ import annotations

from collections.abc import Mapping

from snapshift.engine.resources.model import Column, Reference, Table
from snapshift.engine.resources.resource_draft import Draft, NameClaim, RefSpec
from snapshift.engine.resources.tomlpos import Doc, KeyPath, did_you_mean

# Which source column types PostgreSQL accepts for a foreign key to a destination type (checked on PG 15).
_FK_SOURCES = {
    "smallint": {"integer", "bigint"},
    "integer": {"smallint", "bigint"},
    "bigint": {"smallint", "integer"},
    "numeric": {"smallint", "integer", "bigint"},
    "real": {"smallint", "integer", "bigint", "numeric", "float8"},
    "float8": {"smallint", "integer", "bigint", "numeric", "real"},
    "text": {"varchar", "char"},
    "varchar": {"text", "char"},
    "char": {"text", "varchar"},
    "timestamp": {"timestamptz", "date"},
    "timestamptz": {"timestamp", "date"},
    "date": {"timestamp", "timestamptz"},
    "uuid": set(),
}


# A draft's resolved table, by the draft's id: the draft itself, the ids of the drafts its references
# could point at (those of the tables it names), and the table. Kept by a project state between plans.
ResolvedDrafts = dict[int, tuple[Draft, tuple[int, ...], Table]]


def resolve_drafts(drafts: list[Draft], known: ResolvedDrafts | None = None) -> list[Table]:
    """The drafts' tables, in the same order, with every reference resolved; `known` holds tables
    resolved before, reused while the drafts they name are the same ones."""
    by_key: dict[tuple[str, str | None, str, bool], Draft] = {}
    by_name: dict[str, list[Draft]] = {}
    for draft in drafts:
        table = draft.table
        other = by_key.setdefault((table.repo, table.schema, table.name, table.is_tenant), draft)
        if other is not draft:
            raise draft.doc.error(
                ("table",), f"table '{table.key.display()}' is already defined in {other.doc.path}"
            )
        by_name.setdefault(table.name, []).append(draft)
    _check_namespaces(drafts)
    if known is None:
        return [_with_references(draft, by_name) if draft.references else draft.table for draft in drafts]
    return [_resolved(draft, by_name, known) if draft.references else draft.table for draft in drafts]


def _resolved(draft: Draft, by_name: Mapping[str, list[Draft]], known: ResolvedDrafts) -> Table:
    named = tuple(id(found) for spec in draft.references for found in by_name.get(spec.table, ()))
    hit = known.get(id(draft))
    if hit is not None and hit[0] is draft and hit[1] == named:
        return hit[2]
    table = _with_references(draft, by_name)
    known[id(draft)] = (draft, named, table)
    return table


def _check_namespaces(drafts: list[Draft]) -> None:
    """Two tables of one schema must not claim the same table, index or sequence name."""
    spaces: dict[tuple[str, str | None, bool], dict[str, tuple[Draft, NameClaim]]] = {}
    for draft in drafts:
        table = draft.table
        space = spaces.setdefault((table.repo, table.schema, table.is_tenant), {})
        for claim in draft.relations:
            other, first = space.setdefault(claim[0], (draft, claim))
            if other is not draft:
                name, what, key = claim
                message = f"{what} '{name}' clashes with the {first[1]} of the same name in {other.doc.path}"
                raise draft.doc.error(key, message)


def _with_references(draft: Draft, by_name: Mapping[str, list[Draft]]) -> Table:
    table = draft.table
    columns = list(table.columns)
    positions = {column.name: n for n, column in enumerate(columns)}
    for spec in draft.references:
        position = positions[spec.column]
        old = columns[position]
        columns[position] = Column(
            old.name, old.type, old.allow_nil, old.primary_key, old.default, old.generated, old.size,
            old.precision, old.scale, _resolve_reference(draft, spec, by_name),
        )  # fmt: skip
    return Table(
        table.name, table.repo, table.schema, table.multitenancy, tuple(columns), table.identities,
        table.indexes, table.checks, table.statements, table.source,
    )  # fmt: skip


def _resolve_reference(draft: Draft, spec: RefSpec, by_name: Mapping[str, list[Draft]]) -> Reference:
    doc, source = draft.doc, draft.table
    key: KeyPath = ("attributes", spec.column, "references")
    found = _destination(draft, spec, by_name)
    destination = found.table
    target = found.columns.get(spec.target)
    if target is None:
        raise doc.error(
            (*key, "column"),
            f"table '{destination.key.display()}' has no attribute '{spec.target}'"
            + did_you_mean(spec.target, found.columns),
        )
    _check_fk_types(doc, (*key, "table"), draft.columns[spec.column], target)
    match_with = list(spec.match_with)
    for local, remote in match_with:
        remote_column = found.columns.get(remote)
        if remote_column is None:
            raise doc.error(
                (*key, "match_with", local), f"table '{destination.name}' has no attribute '{remote}'"
            )
        _check_fk_types(doc, (*key, "match_with", local), draft.columns[local], remote_column)
    match_type = spec.match_type
    src_tenant, dst_tenant = source.multitenancy.attribute, destination.multitenancy.attribute
    if src_tenant is not None and dst_tenant is not None and found.primary_key != (spec.target,):
        if spec.column != src_tenant and all(local != src_tenant for local, _ in match_with):
            match_with.append((src_tenant, dst_tenant))
        if match_type not in (None, "full"):
            raise doc.error(
                (*key, "match_type"),
                "a reference between attribute-multitenant tables to a non-primary-key column "
                "must be MATCH FULL",
            )
        match_type = "full"
    if match_with or found.primary_key != (spec.target,):
        _check_unique_target(doc, key, found, (spec.target, *(remote for _, remote in match_with)))
    with_index = spec.with_index
    return Reference(
        destination.name, spec.target, spec.name, destination.schema, spec.on_delete, spec.on_update,
        spec.deferrable, with_index, f"{source.name}_{spec.column}_index" if with_index else None,
        tuple(match_with), match_type, destination.multitenancy.strategy == "context",
    )  # fmt: skip


def _destination(draft: Draft, spec: RefSpec, by_name: Mapping[str, list[Draft]]) -> Draft:
    """The referenced table, in the same repo: explicit schema, else the same tenant, else public."""
    named = by_name.get(spec.table, ())
    source = draft.table
    if len(named) == 1 and not spec.explicit_schema:  # the usual case: one table of that name
        only = named[0].table
        if only.repo == source.repo and (not only.is_tenant or source.is_tenant):
            return named[0]
    doc = draft.doc
    key: KeyPath = ("attributes", spec.column, "references", "table")
    candidates = [other for other in named if other.table.repo == source.repo]
    if spec.explicit_schema:
        found = [c for c in candidates if not c.table.is_tenant and c.table.schema == spec.schema]
        if found:
            return found[0]
        raise doc.error(
            (*key[:-1], "schema"), f"no table '{spec.table}' in schema '{spec.schema or 'public'}'"
        )
    tenant = [c for c in candidates if c.table.is_tenant]
    shared = sorted((c for c in candidates if not c.table.is_tenant), key=lambda c: c.table.schema or "")
    if tenant and source.is_tenant:
        return tenant[0]
    if shared:
        if shared[0].table.schema is None or len(shared) == 1:
            return shared[0]
        schemas = ", ".join(c.table.schema or "public" for c in shared)
        raise doc.error(
            key, f"table '{spec.table}' exists in several schemas ({schemas}); set references.schema"
        )
    if tenant:
        raise doc.error(
            key,
            f"'{spec.table}' is a context-multitenant (per-tenant) table; "
            "a table outside the tenant schemas cannot reference it",
        )
    elsewhere = sorted({other.table.repo for other in named})
    if elsewhere:
        raise doc.error(
            key, f"table '{spec.table}' belongs to repo '{elsewhere[0]}'; references stay within a repo"
        )
    known = sorted({d.table.name for ds in by_name.values() for d in ds if d.table.repo == source.repo})
    raise doc.error(key, f"unknown table '{spec.table}'{did_you_mean(spec.table, known)}")


def _check_fk_types(doc: Doc, key: KeyPath, source: Column, target: Column) -> None:
    if source.type == target.type:
        return
    allowed = _FK_SOURCES.get(target.type)
    if allowed is not None and source.type in _FK_SOURCES and source.type not in allowed:
        raise doc.error(
            key,
            f"attribute '{source.name}' ({source.type}) cannot reference "
            f"'{target.name}' ({target.type}): PostgreSQL has no equality between these types",
        )


def _check_unique_target(doc: Doc, key: KeyPath, found: Draft, columns: tuple[str, ...]) -> None:
    """PostgreSQL needs a primary key or a non-partial unique index on exactly the referenced columns."""
    destination = found.table
    if destination.unique_index_over(frozenset(columns)) is not None:
        return
    listed = ", ".join(columns)
    raise doc.error(
        (*key, "column"),
        f"({listed}) of '{destination.key.display()}' is neither its primary key nor a unique identity; "
        "PostgreSQL can only reference unique columns",
    )
