"""One root error for everything snapshift reports to a user.

Every subclass carries structured fields (file, key, line; or migration and statement) so the CLI can
print one clear line and the app can show it in a panel, and each maps to an exit code from SPEC 7.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SnapshiftError(Exception):
    """Root of all errors snapshift raises on purpose; `exit_code` follows SPEC 7."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InterruptedAfterWriting(KeyboardInterrupt):
    """Ctrl-C came while generate renamed its files into place, and the renames finished first: every
    file in `written` is in place. Still a KeyboardInterrupt, so whatever stops on Ctrl-C stops."""

    def __init__(self, written: list[Path]) -> None:
        super().__init__()
        self.written = written


@dataclass(frozen=True)
class Location:
    """Where bad input sits: a file, a dotted key inside it, and a 1-based line when known."""

    path: Path | None = None
    key: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.path is not None:
            parts.append(f"{self.path}:{self.line}" if self.line else str(self.path))
        if self.key:
            parts.append(f"key '{self.key}'")
        return ", ".join(parts)


class InputError(SnapshiftError):
    """Bad input: config, resource files, snapshots or arguments (exit 2)."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.location = location or Location()
        where = str(self.location)
        super().__init__(f"{where}: {message}" if where else message)
        self.reason = message


class ConfigError(InputError):
    """The project config (snapshift.toml or [tool.snapshift]) is missing or invalid."""


class ResourceError(InputError):
    """A resource file is invalid or inconsistent with the others."""


class SnapshotError(InputError):
    """A stored snapshot cannot be read."""


class UsageError(InputError):
    """Command-line arguments that do not fit."""


class UnansweredQuestions(InputError):
    """generate needs answers (renames, drops) and has no terminal to ask them on."""

    def __init__(self, questions: list[str]) -> None:
        self.questions = questions
        super().__init__(
            "generate needs answers it cannot ask without a terminal:\n  " + "\n  ".join(questions)
        )


class OperationCycleError(SnapshiftError):
    """The operations of one migration depend on each other in a circle."""


class WriteError(SnapshiftError):
    """A file could not be written (a full disk, a read-only folder): exit 1."""


class DatabaseError(SnapshiftError):
    """The database refused or failed something outside a migration (connect, create, drop, bookkeeping)."""


class MigrationError(SnapshiftError):
    """A statement of a migration failed; names the file, the statement and its line."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        statement: str | None = None,
        line: int | None = None,
        tenant: str | None = None,
    ) -> None:
        self.path = path
        self.statement = statement
        self.line = line
        self.tenant = tenant
        where = f"{path}:{line}" if path and line else (str(path) if path else "")
        prefix = f"[{tenant}] " if tenant else ""
        text = f"{prefix}{where}: {message}" if where else f"{prefix}{message}"
        if statement:
            text += f"\n  statement: {statement.strip()[:500]}"
        super().__init__(text)


class TenantsFirstError(MigrationError):
    """`migrate` stopped before a public migration that runs after tenant migrations some tenant has not
    applied (`-- migrate:after-tenants`); `applied`: the public versions it applied before stopping."""

    def __init__(self, message: str, *, path: Path | None = None, applied: tuple[int, ...] = ()) -> None:
        super().__init__(message, path=path)
        self.applied = applied


class GitError(SnapshiftError):
    """git state needed for untracked-file workflows is unavailable (exit 2).

    `short` says why in a few words, for places that only mention it (`status`)."""

    exit_code = 2

    def __init__(self, message: str, short: str = "git failed") -> None:
        super().__init__(message)
        self.short = short


class RegenRefused(InputError):
    """regen or `rollback --untracked` will not start (exit 2): undoing the untracked migrations would run
    out of order behind a tracked one (`--force` overrides), or tracked snapshot files changed since the
    last commit, so regenerating would start from a different state than the one git holds."""


class RegenError(SnapshiftError):
    """regen or `rollback --untracked` stopped part-way; the message says what state the database and the
    files are in. The exit code is that of the cause (1 for a failed migration, 2 for bad input)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class InputProblems(InputError):
    """Every problem found in the project's input files at once (exit 2), sorted by file and line."""

    def __init__(self, problems: list[InputError]) -> None:
        self.problems = sorted(problems, key=_problem_order)
        heading = f"{len(self.problems)} problems in the project's files:"
        super().__init__("\n".join([heading, *(f"  {problem}" for problem in self.problems)]))


def all_problems(problems: list[InputError]) -> InputError:
    """The error to raise for `problems`: a lone problem as itself, several as InputProblems."""
    return problems[0] if len(problems) == 1 else InputProblems(problems)


def _problem_order(problem: InputError) -> tuple[str, int, str]:
    where = problem.location
    return (str(where.path or ""), where.line or 0, problem.message)


class Cancelled(SnapshiftError):
    """A plan was cancelled by its caller (the app re-plans when a newer save arrives)."""
