"""`snapshift drift`: the live catalog against the latest snapshots, tenants grouped by their difference.

The declared state is built fresh on a scratch database (dropped afterwards) and read with the same
catalog reader as the live database, so both sides are PostgreSQL's own renderings. The live side is
read in one query per kind of object for the public schemas and every tenant schema at once; each
tenant schema is compared with the fresh tenant schema, and tenants with the same differences form
one group, with the statements that would repair them (engine.checks.repair; printed, never run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from snapshift.engine.checks.catalog_compare import Difference, compare_schemas
from snapshift.engine.checks.repair import quote, repair_statements
from snapshift.engine.db import database
from snapshift.engine.db.catalog import Catalog, SchemaShape, read_catalog
from snapshift.engine.db.scratch import TENANT_SCHEMA, FreshMigrations, build_fresh, scratch_databases

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
class DriftResult:
    """One repo: differences of its public schemas, and tenant groups (with --tenants)."""

    repo: str
    public: tuple[Difference, ...]
    public_repair: tuple[tuple[str, tuple[str, ...]], ...]  # (schema, statements)
    groups: tuple[DriftGroup, ...]
    tenants_checked: bool

    @property
    def drifted(self) -> bool:
        return bool(self.public) or any(group.differences for group in self.groups)

    def public_text(self) -> str:
        if not self.public:
            return "the database matches the snapshots"
        return "the database " + " and ".join(describe(d, plural=False) for d in self.public)

    def tenants_text(self) -> str:
        if not self.groups:
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
            "public": [d.to_json() for d in self.public],
            "public_text": self.public_text(),
            "tenants_checked": self.tenants_checked,
            "groups": [group.to_json() for group in self.groups],
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
        build_fresh(conn, declared)
        return read_catalog(conn)


def drift_repo(
    repo: str,
    live_url: str,
    declared: FreshMigrations,
    tenants: Sequence[str] | None,
    progress: Callable[[str], None] | None = None,
) -> DriftResult:
    """Compare the live database of `live_url` (and each of `tenants`, when given) with `declared`."""
    say = progress or (lambda message: None)
    public_schemas = list(declared.schemas)
    say("building the declared state on a scratch database, reading the live catalog meanwhile")
    # the two sides wait on the server, not on this process: read them at once (on Ctrl-C the pool
    # waits for the build, whose own cleanup drops the scratch database)
    with ThreadPoolExecutor(max_workers=1) as pool:
        building = pool.submit(read_fresh, live_url, declared)
        with database.connect(live_url, autocommit=True) as conn:
            live = read_catalog(conn, [*public_schemas, *(tenants or ())])
        fresh = building.result()
    tenant_shape = fresh.schemas.get(TENANT_SCHEMA, SchemaShape())
    public, repairs = _public(live, fresh, public_schemas)
    groups = _groups(live, tenant_shape, tenants) if tenants is not None else []
    return DriftResult(repo, tuple(public), tuple(repairs), tuple(groups), tenants is not None)


def _public(
    live: Catalog, fresh: Catalog, schemas: Sequence[str]
) -> tuple[list[Difference], list[tuple[str, tuple[str, ...]]]]:
    missing = sorted(fresh.extensions - live.extensions)
    extensions = [Difference("extension", "", name, "", None, name) for name in missing]
    differences = list(extensions)
    repairs: list[tuple[str, tuple[str, ...]]] = []
    for schema in schemas:
        prefix = "" if schema == "public" else f"{schema}."
        have, want = live.schemas.get(schema), fresh.schemas.get(schema, SchemaShape())
        found = compare_schemas(have or SchemaShape(), want, prefix)
        statements = repair_statements(found, want, prefix)
        if have is None and found:
            statements.insert(0, f"CREATE SCHEMA IF NOT EXISTS {quote(schema)};")
        differences += found
        if statements:
            repairs.append((schema, tuple(statements)))
    if extensions:
        repairs.insert(0, ("public", tuple(repair_statements(extensions, SchemaShape()))))
    return differences, repairs


def _groups(live: Catalog, expected: SchemaShape, tenants: Sequence[str]) -> list[DriftGroup]:
    by_difference: dict[tuple[Difference, ...], list[str]] = {}
    for tenant in tenants:
        have = live.schemas.get(tenant)
        found = (MISSING_SCHEMA,) if have is None else tuple(compare_schemas(have, expected))
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
