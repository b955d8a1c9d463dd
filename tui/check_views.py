"""What `v` (verify) and `D` (drift) show: frozen views built from the engine's results, so the screens
draw plain data. A difference is worded by the engine (`text()`); pending migrations, which drift does
not compare, are worded here for both the app and the command line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from snapshift.engine.base.relpath import shown_path

if TYPE_CHECKING:
    from snapshift.engine.checks.drift import DriftGroup, DriftResult, PendingTenants
    from snapshift.engine.checks.verify import VerifyProblem, VerifyResult
    from snapshift.engine.resources.config import RepoConfig

STEP = re.compile(r"^(tenant )?migration (\d+) ")
SECTIONS = {"up": "-- migrate:up", "up again": "-- migrate:up", "down": "-- migrate:down"}
SHOWN = 10  # names or versions listed before "and N more"


@dataclass(frozen=True)
class VerifyView:
    """The verify report: its lines, the index of the first difference (None: all verified), and the
    SQL of the migration that difference names, with the line to highlight in it."""

    ok: bool
    summary: str
    lines: tuple[str, ...]
    first: int | None
    sql_path: str
    sql: str
    sql_line: int | None


@dataclass(frozen=True)
class DriftGroupView:
    """One entry of the drift screen's list: a title, the finding in full, the repair SQL. A pending
    entry was not compared: its migrations must be applied first, so it has no repair."""

    title: str
    text: str
    sql: str
    drifted: bool
    pending: bool = False


@dataclass(frozen=True)
class DriftView:
    ok: bool
    summary: str
    groups: tuple[DriftGroupView, ...]


def verify_view(root: Path, repos: Sequence[RepoConfig], results: Sequence[VerifyResult]) -> VerifyView:
    lines: list[str] = []
    first: int | None = None
    first_problem: tuple[RepoConfig | None, VerifyProblem] | None = None
    configs = {config.name: config for config in repos}
    for result in results:
        if result.ok:
            lines.append(f"{result.repo}: {result.migrations} migration(s) verified: up, down and up again")
        else:
            lines.append(f"{result.repo}: verification failed")
            for problem in result.problems:
                if first is None:
                    first, first_problem = len(lines), (configs.get(result.repo), problem)
                lines.append(f"  {problem.text()}")
        lines += [f"  note: {note}" for note in result.notes]
    ok = all(result.ok for result in results)
    count = sum(result.migrations for result in results)
    summary = f"{count} migration(s) verified: up, down and up again" if ok else "verification failed"
    if first_problem is not None:
        summary += ": " + first_problem[1].text()
    path, sql, line = _culprit_sql(root, *first_problem) if first_problem else ("", "", None)
    return VerifyView(ok, summary, tuple(lines), first, path, sql, line)


def _culprit_sql(
    root: Path, config: RepoConfig | None, problem: VerifyProblem
) -> tuple[str, str, int | None]:
    """The migration file the problem names, and the line to highlight: the first one of the section
    that ran (up or down) that mentions the object, else the section's marker (a statement is missing)."""
    match = STEP.match(problem.step or "")
    if config is None or match is None:
        return "", "", None
    folder = config.tenant_migrations_path if match.group(1) else config.migrations_path
    files = sorted(folder.glob(f"{match.group(2)}_*.sql"))
    if not files:
        return "", "", None
    try:
        sql = files[0].read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return shown_path(root, files[0]), "", None
    return shown_path(root, files[0]), sql, _line_of(sql, problem)


def _line_of(sql: str, problem: VerifyProblem) -> int | None:
    """The object's name inside a statement about its table, else anywhere in the section, else the
    table's first statement, else the section's marker."""
    lines = sql.splitlines()
    marker = SECTIONS.get(problem.phase)
    start = next((i for i, line in enumerate(lines) if marker and line.strip() == marker), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("-- migrate:")), len(lines))
    section = [i for i in range(start + 1, end) if not lines[i].lstrip().startswith("--")]
    difference = problem.difference
    if difference is None:
        return start
    name, table = _word(difference.name), _word(difference.table.rsplit(".", 1)[-1])
    tables = [i for i in section if table and table.search(lines[i])]
    for first in tables:
        for index in range(first, end):
            if name and name.search(lines[index]):
                return index
            if lines[index].rstrip().endswith(";"):
                break
    found = [i for i in section if name and name.search(lines[i])]
    return (found or tables or [start])[0]


def _word(name: str) -> re.Pattern[str] | None:
    """`name` as an identifier, quoted or not."""
    if not name:
        return None
    return re.compile(rf'(?<![\w"]){re.escape(name)}(?![\w"])|"{re.escape(name)}"')


def drift_view(results: Sequence[DriftResult]) -> DriftView:
    groups: list[DriftGroupView] = []
    several = len(results) > 1
    for result in results:
        prefix = f"{result.repo}: " if several else ""
        groups.append(_public(prefix, result))
        if result.tenants_checked and not result.groups and not result.pending_tenants:
            groups.append(DriftGroupView(f"{prefix}no tenants", "no tenants", "-- no tenants\n", False))
        groups += [_group(prefix, group) for group in result.groups]
        groups += [_pending_group(prefix, pending) for pending in result.pending_tenants]
    ok = all(result.ok for result in results)
    summary = "nothing drifted" if ok else "; ".join(g.text for g in groups if g.drifted or g.pending)
    return DriftView(ok, summary, tuple(groups))


def public_line(result: DriftResult) -> str:
    """The database's finding: its differences, or its pending migrations (then it was not compared)."""
    if result.public_pending:
        return pending_text(result.public_pending, "snapshift migrate")
    return result.public_text()


def tenants_line(result: DriftResult) -> str:
    """The tenants' findings: the compared groups, then the tenants with pending migrations."""
    pending = [pending_tenants_text(group) for group in result.pending_tenants]
    return "; ".join([group.text() for group in result.groups] + pending) or "no tenants"


def pending_text(versions: Sequence[int], command: str) -> str:
    """Why a part was not compared: `2 migration(s) pending (1, 2): run `snapshift migrate` first, ...`."""
    listed = _listed([str(version) for version in versions])
    return f"{len(versions)} migration(s) pending ({listed}): run `{command}` first, then drift compares"


def pending_tenants_text(group: PendingTenants) -> str:
    count = len(group.tenants)
    who = f"{count} tenant{'s' if count != 1 else ''} ({_listed(group.tenants)})"
    return f"{who}: {pending_text(group.versions, 'snapshift migrate --tenants')}"


def pending_sql(result: DriftResult) -> str:
    """`drift --sql` for the parts not compared: comments saying why there is no repair for them."""
    prefix = f"-- {result.repo}: "
    lines = [prefix + "the database: " + public_line(result)] if result.public_pending else []
    lines += [prefix + pending_tenants_text(group) for group in result.pending_tenants]
    return "\n".join(lines)


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _public(prefix: str, result: DriftResult) -> DriftGroupView:
    """The database's entry: pending (not compared), drifted with its repair, or matching."""
    if result.public_pending:
        count = len(result.public_pending)
        text = public_line(result)
        sql = f"-- not compared: {text}\n-- no repair statements for migrations that are pending\n"
        return DriftGroupView(f"{prefix}database: {count} migration(s) pending", text, sql, False, True)
    public_sql = "\n\n".join(
        _block(f"the database: {schema}", [schema], statements) for schema, statements in result.public_repair
    )
    return DriftGroupView(
        f"{prefix}database: {'drifted' if result.public else 'matches'}",
        result.public_text(),
        public_sql or "-- nothing to repair: the database matches the snapshots\n",
        bool(result.public),
    )


def _pending_group(prefix: str, group: PendingTenants) -> DriftGroupView:
    count = len(group.tenants)
    who = f"{count} tenant{'s' if count != 1 else ''}"
    text = pending_tenants_text(group)
    sql = f"-- not compared: {text}\n-- no repair statements for migrations that are pending\n"
    title = f"{prefix}{who}: {len(group.versions)} migration(s) pending"
    return DriftGroupView(title, text, sql, False, True)


def _group(prefix: str, group: DriftGroup) -> DriftGroupView:
    count = len(group.tenants)
    who = f"{count} tenant{'s' if count != 1 else ''}"
    if not group.differences:
        return DriftGroupView(
            f"{prefix}{who}: match", group.text(), f"-- nothing to repair: {who} match\n", False
        )
    kinds = len(group.differences)
    title = f"{prefix}{who}: {kinds} difference{'s' if kinds != 1 else ''}"
    if group.repair:
        sql = _block(group.text(), group.tenants, group.repair)
    else:
        sql = f"-- {group.text()}\n-- no repair statements: run `snapshift migrate --tenants`\n"
    return DriftGroupView(title, group.text(), sql, True)


def _block(title: str, schemas: Sequence[str], statements: Sequence[str]) -> str:
    """The statements for each schema, with the schema first on the search path (as `drift --sql`)."""
    from snapshift.engine.checks.repair import quote

    lines = [f"-- {title}"]
    for schema in schemas:
        lines.append(f"SET search_path TO {quote(schema)}, public;")
        lines += statements
    lines.append("RESET search_path;")
    return "\n".join(lines) + "\n"
