"""A new tenant built from the latest tenant snapshots (SPEC 7: `migrate --tenants` brings a new or
empty tenant to the current state).

Replaying every tenant migration from the first one fails once a public table they name was renamed or
a public key they reference was dropped (AshPostgres has this flaw), since old migration text names
public objects as they were; the latest tenant snapshots describe what every generated tenant migration
together built, with references to the public tables as they are now. So a tenant with no applied
version is built from the snapshots in one transaction: the generated migrations' versions are recorded
without running them, and hand-written ones (no generator header) are replayed after the build, in
version order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from snapshift.engine.autogen.diff_table import table_create_ops
from snapshift.engine.autogen.operations import CreateIndex, Operation
from snapshift.engine.autogen.plan import plan_migrations
from snapshift.engine.autogen.snapshots import load_state
from snapshift.engine.base.migrations import MigrationFile

# the line every generated migration's header has (engine/autogen/plan.py MigrationPlan.header)
GENERATED_HEADER = re.compile(r"^-- \d+ operation\(s\):$", re.MULTILINE)
UP_LINE = re.compile(r"^--\s*migrate:up\b", re.MULTILINE)


@dataclass(frozen=True)
class Baseline:
    """How a tenant with no applied version is brought up to date."""

    statements: tuple[str, ...]  # every tenant table of the latest snapshots
    covered: tuple[MigrationFile, ...]  # generated migrations: recorded, what they built is in `statements`
    replayed: tuple[MigrationFile, ...]  # hand-written ones, run after the build in version order

    @property
    def versions(self) -> list[MigrationFile]:
        return sorted((*self.covered, *self.replayed), key=lambda m: m.version)


def is_generated(migration: MigrationFile) -> bool:
    """Whether `generate` wrote the file: its header, above `-- migrate:up`, counts the operations."""
    try:
        text = migration.path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    up = UP_LINE.search(text)
    return bool(up and GENERATED_HEADER.search(text, 0, up.start()))


def baseline(snapshots_path: Path, migrations: Sequence[MigrationFile]) -> Baseline | None:
    """The build of a new tenant, or None when replaying every migration is the way (no generated tenant
    migration, or a hand-written one that must run outside a transaction)."""
    covered = [m for m in migrations if is_generated(m)]
    replayed = [m for m in migrations if m not in covered]
    if not covered or any(m.no_transaction for m in replayed):
        return None
    state = load_state(snapshots_path)
    ops: list[Operation] = []
    for key in sorted(state.tables, key=lambda key: key.sort_key()):
        if key.tenant:
            ops += [_in_transaction(op) for op in table_create_ops(state.tables[key].table)]
    statements = [statement for plan in plan_migrations(ops) for statement in plan.up] if ops else []
    return Baseline(tuple(statements), tuple(covered), tuple(replayed))


def _in_transaction(op: Operation) -> Operation:
    """A concurrent index is built plainly: the new tenant's tables are empty and nobody uses them yet."""
    if isinstance(op, CreateIndex) and op.index.concurrently:
        return replace(op, index=replace(op.index, concurrently=False))
    return op
