"""`snapshift drift`: the live catalog against the latest snapshots, tenants grouped by their difference.

The declared state is built fresh on a scratch database (dropped afterwards) and read with the same
catalog reader as the live database, one query per kind of object for all schemas at once; tenants with
the same differences form one group, with the statements that would repair them (engine.checks.repair;
printed, never run). A part with pending migrations (the database's or a tenant's) is not compared:
what they will change is not drift, so it is reported as pending, with no repair.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from snapshift.engine.base.errors import MigrationError
from snapshift.engine.checks.catalog_compare import Difference, compare_schemas
from snapshift.engine.checks.repair import quote, repair_statements
from snapshift.engine.db import database
from snapshift.engine.db.catalog import Catalog, SchemaShape, read_catalog
from snapshift.engine.db.scratch import (
    TENANT_SCHEMA,
    FreshMigrations,
    build_fresh,
    fresh_build_error,
    scratch_databases,
)

SHOWN_NAMES = 10
MISSING_SCHEMA = Difference("schema", "", "", "", None, "present")


@dataclass(frozen=True)
class DriftGroup:
    """Tenants with exactly the same differences (none: they match) and the SQL that repairs them."""

    tenants: tuple[str, ...]
    differences: tuple[Difference, ...]
    repair: tuple[str, ...]

    def text(self) -> str:
        count = len(self.tenants)
        names = ", ".join(self.tenants[:SHOWN_NAMES])
        if count > SHOWN_NAMES:
            names += f" and {count - SHOWN_NAMES} more"
        who = f"{count} tenant{'s' if count != 1 else ''}"
        if not self.differences:
            return f"{who} match{'es' if count == 1 else ''}"
        return f"{who} ({names}) " + " and ".join(describe(d, plural=count != 1) for d in self.differences)

    def to_json(self) -> dict[str, Any]:
        return {
            "tenants": list(self.tenants),
            "differences": [d.to_json() for d in self.differences],
            "text": self.text(),
            "sql": list(self.repair),
        }


@dataclass(frozen=True)
class Pending:
    """The migration versions the live database has not applied: the repo's own, and each tenant's."""

    public: tuple[int, ...] = ()
    tenants: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def compared_tenants(self, tenants: Sequence[str] | None) -> list[str] | None:
        """The tenants with nothing pending, which drift compares (None: tenants are not checked)."""
        return None if tenants is None else [name for name in tenants if not self.tenants.get(name)]

    def tenant_groups(self) -> tuple[PendingTenants, ...]:
        """The tenants with pending migrations, grouped by the versions pending, largest group first."""
        by_versions: dict[tuple[int, ...], list[str]] = {}
        for tenant, versions in self.tenants.items():
            if versions:
                by_versions.setdefault(versions, []).append(tenant)
        groups = [PendingTenants(tuple(sorted(names)), versions) for versions, names in by_versions.items()]
        return tuple(sorted(groups, key=lambda g: (-len(g.tenants), g.tenants)))


KeptColumns = frozenset[tuple[str, str]]  # (table as drift shows it, column)


@dataclass(frozen=True)
class Kept:
    """Columns whose drop generate left commented out (--dont-drop-columns): still in the database on
    purpose, so no drift. `public` tables as drift names them (`schema.table`), `tenant` ones bare."""

    public: KeptColumns = frozenset()
    tenant: KeptColumns = frozenset()


def _without_kept(found: Sequence[Difference], kept: KeptColumns) -> list[Difference]:
    """`found` without the whole columns the database has and the snapshots dropped, kept on purpose."""
    return [d for d in found if not d.is_kept_column(kept)]


@dataclass(frozen=True)
class PendingTenants:
    """Tenants whose schemas have not applied the same tenant migrations: not compared, no repair."""

    tenants: tuple[str, ...]
    versions: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"tenants": list(self.tenants), "versions": list(self.versions)}


@dataclass(frozen=True)
class DriftResult:
    """One repo: differences of its public schemas, and tenant groups (with --tenants). A part with
    pending migrations is not compared: `public_pending` (then `public` is empty) and `pending_tenants`
    (those tenants are in no group) name the versions that `migrate` must apply first."""

    repo: str
    public: tuple[Difference, ...]
    public_repair: tuple[tuple[str, tuple[str, ...]], ...]  # (schema, statements)
    groups: tuple[DriftGroup, ...]
    tenants_checked: bool
    public_pending: tuple[int, ...] = ()
    pending_tenants: tuple[PendingTenants, ...] = ()

    @property
    def drifted(self) -> bool:
        """Whether a compared part differs from the snapshots (pending migrations are not drift)."""
        return bool(self.public) or any(group.differences for group in self.groups)

    @property
    def comparable(self) -> bool:
        """Whether every part was compared: no migration is pending in the database or any tenant."""
        return not self.public_pending and not self.pending_tenants

    @property
    def ok(self) -> bool:
        """Nothing drifted and nothing was left uncompared."""
        return self.comparable and not self.drifted

    def public_text(self) -> str:
        """The public finding; meaningful only when it was compared (no `public_pending`)."""
        if not self.public:
            return "the database matches the snapshots"
        return "the database " + " and ".join(describe(d, plural=False) for d in self.public)

    def tenants_text(self) -> str:
        """The compared tenants' groups; the pending tenants are data (`pending_tenants`)."""
        if not self.groups and not self.pending_tenants:
            return "no tenants"
        return "; ".join(group.text() for group in self.groups)

    def sql(self) -> str:
        """Every repair statement, per schema, with the schema first on the search path."""
        blocks = [_block(f"the database: {schema}", [schema], stmts) for schema, stmts in self.public_repair]
        for group in self.groups:
            if group.repair:
                blocks.append(_block(group.text(), group.tenants, group.repair))
        return "\n\n".join(blocks)

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "drifted": self.drifted,
            "comparable": self.comparable,
            "public_pending": list(self.public_pending),
            "public": [d.to_json() for d in self.public],
            "public_text": None if self.public_pending else self.public_text(),
            "tenants_checked": self.tenants_checked,
            "groups": [group.to_json() for group in self.groups],
            "pending_tenants": [pending.to_json() for pending in self.pending_tenants],
            "sql": self.sql(),
        }


def _block(title: str, schemas: Sequence[str], statements: Sequence[str]) -> str:
    lines = [f"-- {title}"]
    for schema in schemas:
        lines.append(f"SET search_path TO {quote(schema)}, public;")
        lines += statements
    lines.append("RESET search_path;")
    return "\n".join(lines)


def describe(d: Difference, *, plural: bool) -> str:
    """A difference as drift words it: `lack index x`, `has a column t.c that no resource declares`."""
    lack, have = ("lack", "have") if plural else ("lacks", "has")
    if d.kind == "schema" and d.found is None:
        return f"{lack} {'their' if plural else 'its'} schema (run `snapshift migrate --tenants`)"
    if d.found is None:
        return f"{lack} {d.noun}"
    return d.sentence(have, "the resources declare", "no resource declares")


def read_fresh(server_url: str, declared: FreshMigrations) -> Catalog:
    """The declared state, built on a scratch database of the server (dropped afterwards)."""
    with scratch_databases(server_url, 1) as (url,), database.connect(url, autocommit=True) as conn:
        try:
            build_fresh(conn, declared)
        except MigrationError as exc:
            raise MigrationError(fresh_build_error(exc)) from exc.__cause__
        return read_catalog(conn)


def drift_repo(
    repo: str,
    live_url: str,
    declared: FreshMigrations,
    tenants: Sequence[str] | None,
    progress: Callable[[str], None] | None = None,
    pending: Pending | None = None,
    kept: Kept = Kept(),
) -> DriftResult:
    """Compare the live database of `live_url` (and each of `tenants`, when given) with `declared`;
    the parts with `pending` migrations are reported as such, not compared; the `kept` columns (their
    drop left commented out by generate --dont-drop-columns) are no drift."""
    pending = pending or Pending()
    compared = pending.compared_tenants(tenants)
    public_schemas = [] if pending.public else list(declared.schemas)
    checked = tenants is not None
    if pending.public and not compared:
        return DriftResult(repo, (), (), (), checked, pending.public, pending.tenant_groups())
    live, fresh = _read_both(live_url, declared, [*public_schemas, *(compared or ())], progress)
    public, repairs = ([], []) if pending.public else _public(live, fresh, public_schemas, kept.public)
    tenant_shape = fresh.schemas.get(TENANT_SCHEMA, SchemaShape())
    groups = _groups(live, tenant_shape, compared, kept.tenant) if compared is not None else []
    return DriftResult(
        repo, tuple(public), tuple(repairs), tuple(groups), checked, pending.public, pending.tenant_groups()
    )


def _read_both(
    live_url: str, declared: FreshMigrations, schemas: Sequence[str], progress: Callable[[str], None] | None
) -> tuple[Catalog, Catalog]:
    """The live catalog of `schemas`, and the declared state's catalog from a fresh build."""
    say = progress or (lambda message: None)
    say("building the declared state on a scratch database, reading the live catalog meanwhile")
    # the two sides wait on the server, not on this process: read them at once (on Ctrl-C the pool
    # waits for the build, whose own cleanup drops the scratch database)
    with ThreadPoolExecutor(max_workers=1) as pool:
        building = pool.submit(read_fresh, live_url, declared)
        with database.connect(live_url, autocommit=True) as conn:
            live = read_catalog(conn, schemas)
        return live, building.result()


def _public(
    live: Catalog, fresh: Catalog, schemas: Sequence[str], kept: KeptColumns = frozenset()
) -> tuple[list[Difference], list[tuple[str, tuple[str, ...]]]]:
    missing = sorted(fresh.extensions - live.extensions)
    extensions = [Difference("extension", "", name, "", None, name) for name in missing]
    differences = list(extensions)
    repairs: list[tuple[str, tuple[str, ...]]] = []
    for schema in schemas:
        prefix = "" if schema == "public" else f"{schema}."
        have, want = live.schemas.get(schema), fresh.schemas.get(schema, SchemaShape())
        found = _without_kept(compare_schemas(have or SchemaShape(), want, prefix), kept)
        statements = repair_statements(found, want, prefix)
        if have is None and found:
            statements.insert(0, f"CREATE SCHEMA IF NOT EXISTS {quote(schema)};")
        differences += found
        if statements:
            repairs.append((schema, tuple(statements)))
    if extensions:
        repairs.insert(0, ("public", tuple(repair_statements(extensions, SchemaShape()))))
    return differences, repairs


def _groups(
    live: Catalog, expected: SchemaShape, tenants: Sequence[str], kept: KeptColumns = frozenset()
) -> list[DriftGroup]:
    by_difference: dict[tuple[Difference, ...], list[str]] = {}
    for tenant in tenants:
        have = live.schemas.get(tenant)
        found = (
            (MISSING_SCHEMA,) if have is None else tuple(_without_kept(compare_schemas(have, expected), kept))
        )
        by_difference.setdefault(found, []).append(tenant)
    groups = []
    for differences, names in by_difference.items():
        if differences == (MISSING_SCHEMA,):
            repair: tuple[str, ...] = ()
        else:
            repair = tuple(repair_statements(differences, expected))
        groups.append(DriftGroup(tuple(sorted(names)), differences, repair))
    # the matching group first, then the largest groups
    return sorted(groups, key=lambda g: (bool(g.differences), -len(g.tenants), g.tenants))
