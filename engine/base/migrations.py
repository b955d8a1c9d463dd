"""Migration files (SPEC 5): names, versions, the up/down sections, and splitting SQL into statements.

Pure file handling: no database. The splitter understands enough PostgreSQL lexing (quotes, E'' strings,
dollar quotes, comments) that a semicolon only ends a statement where PostgreSQL itself would end it,
so hand-written files with function bodies are first-class.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from snapshift.engine.base.errors import InputError, Location, UsageError

FILENAME_RE = re.compile(r"^(\d+)_(.+)\.sql$")
NAME_RE = re.compile(r"[\w.-]+")  # fullmatch: `$` would let a trailing newline through
MAX_NAME_BYTES = 180  # with the version, `.sql`, a part suffix and a temp file's `.<pid>.<n>.tmp`: < 255
DIRECTIVE_RE = re.compile(r"^--\s*migrate:(\S+)[ \t]*(.*?)\s*$")
DIRECTIVES = ("up", "down", "no-transaction", "irreversible", "after-tenants")
# PostgreSQL's tag: a letter, `_` or any non-ASCII character, then those or digits. Written as negated
# ASCII classes: a range up to U+FFFF made `re` build a 64k-entry charset at import.
_TAG_START = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"  # not ASCII, or A-Z a-z _
_TAG_REST = r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"  # the same, or 0-9
DOLLAR_TAG_RE = re.compile(rf"\$(?:{_TAG_START}{_TAG_REST}*)?\$")
NO_REASON = "no reason given"
NO_DOWN_SECTION = (
    "the file has no `-- migrate:down` section (add one; leave it empty for a rollback that does nothing)"
)
MAX_VERSION = 2**63 - 1  # schema_migrations.version is a bigint
_WORD_RE = re.compile(rf"{_TAG_START}(?:{_TAG_REST}|\$)*")
# Statements that end or start a transaction: inside a migration's own transaction they would commit half
# of it (`ROLLBACK TO [SAVEPOINT] x` stays inside the transaction and is allowed).
_TRANSACTION_CONTROL_RE = re.compile(
    r"(?:commit|end|abort|begin|start\s+transaction|prepare\s+transaction"
    r"|rollback(?!\s+(?:(?:work|transaction)\s+)?to\b))(?![\w$])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SqlStatement:
    """One statement as written (first SQL token to its `;`) and the 1-based file line it starts on."""

    text: str
    line: int


@dataclass(frozen=True)
class MigrationFile:
    """A parsed migration file; `irreversible` is the reason given in `down`, which makes rollback refuse."""

    version: int
    name: str
    path: Path
    no_transaction: bool
    up: tuple[SqlStatement, ...]
    down: tuple[SqlStatement, ...]
    irreversible: str | None = None
    # `-- migrate:after-tenants V ...`: tenant migrations that must be applied in every tenant first
    after_tenants: tuple[int, ...] = ()
    # (table as written, column) of each `DROP COLUMN` generate left commented out (--dont-drop-columns)
    kept_columns: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """The file's stem, how people refer to a migration (`20240101120000_add_posts`)."""
        return f"{self.version}_{self.name}"

    def statements(self, direction: Literal["up", "down"]) -> tuple[SqlStatement, ...]:
        return self.up if direction == "up" else self.down


@dataclass(frozen=True)
class _Statement:
    """Where one statement lies in the text: `text[start:end]`."""

    start: int
    end: int


@dataclass(frozen=True)
class _Directive:
    """A `-- migrate:NAME ARGUMENT` line and the offset where it starts."""

    name: str
    argument: str
    start: int


class _UnterminatedError(Exception):
    def __init__(self, what: str, start: int) -> None:
        super().__init__(what)
        self.what = what
        self.start = start


def _is_ident_char(char: str) -> bool:
    return char != "" and (char.isalnum() or char in "_$")


def _skip_quoted(text: str, start: int, quote: str, backslash: bool) -> int:
    """Index after the closing `quote` of the literal opening at `start`; a doubled quote is an escape."""
    index = start + 1
    while True:
        found = text.find(quote, index)
        if backslash:
            slash = text.find("\\", index)
            if slash != -1 and (found == -1 or slash < found):
                index = slash + 2
                continue
        if found == -1:
            kind = "identifier" if quote == '"' else "string"
            raise _UnterminatedError(f"unterminated quoted {kind}", start)
        if text.startswith(quote, found + 1):
            index = found + 2
            continue
        return found + 1


def _skip_block_comment(text: str, start: int) -> int:
    """Index after the `*/` closing the (possibly nested, as in PostgreSQL) comment opening at `start`."""
    depth, index = 0, start
    while index < len(text):
        if text.startswith("/*", index):
            depth, index = depth + 1, index + 2
        elif text.startswith("*/", index):
            depth, index = depth - 1, index + 2
            if depth == 0:
                return index
        else:
            index += 1
    raise _UnterminatedError("unterminated /* comment", start)


def _skip_token(text: str, index: int) -> int | None:
    """End of the quoted literal or dollar-quoted body starting at `index`, or None when there is none."""
    char = text[index]
    prev = text[index - 1] if index else ""
    if char == "'":
        escaped = prev in ("e", "E") and (index < 2 or not _is_ident_char(text[index - 2]))
        return _skip_quoted(text, index, "'", backslash=escaped)
    if char == '"':
        return _skip_quoted(text, index, '"', backslash=False)
    if char == "$" and not _is_ident_char(prev):
        match = DOLLAR_TAG_RE.match(text, index)
        if match:
            close = text.find(match.group(), match.end())
            if close == -1:
                raise _UnterminatedError(f"unterminated dollar-quoted string {match.group()}", index)
            return close + len(match.group())
    return None


class _Nesting:
    """Where a `;` does not end the statement: inside parentheses (a rule's `DO ALSO (a; b)`) and inside
    the `BEGIN ATOMIC ... END` body of a CREATE FUNCTION/PROCEDURE, where CASE also closes with END.
    The body rule is psql's own heuristic (psqlscan.l), narrowed to BEGIN followed by ATOMIC."""

    def __init__(self) -> None:
        self.parens = 0
        self.blocks = 0
        self.words: list[str] = []

    @property
    def open(self) -> bool:
        return self.parens > 0 or self.blocks > 0

    def char(self, char: str) -> None:
        if char == "(":
            self.parens += 1
        elif char == ")" and self.parens:
            self.parens -= 1

    def word(self, word: str) -> None:
        lower = word.lower()
        previous = self.words[-1] if self.words else ""
        self.words.append(lower)
        if self.parens or not self._in_routine():
            return
        opens_body = lower == "atomic" and previous == "begin"
        if opens_body or (lower == "case" and self.blocks):
            self.blocks += 1
        elif lower == "end" and self.blocks:
            self.blocks -= 1

    def _in_routine(self) -> bool:
        head = self.words[:4]
        return head[:1] == ["create"] and (
            head[1:2] in (["function"], ["procedure"])
            or head[1:4] in (["or", "replace", "function"], ["or", "replace", "procedure"])
        )


def _scan(text: str) -> Iterator[_Statement | _Directive]:
    """Statements (without leading comments) and `-- migrate:` directives, in file order."""
    index, start, last_end = 0, -1, -1
    nesting = _Nesting()
    while index < len(text):
        char = text[index]
        if text.startswith("--", index):
            eol = text.find("\n", index)
            eol = len(text) if eol == -1 else eol
            line_start = text.rfind("\n", 0, index) + 1
            match = DIRECTIVE_RE.match(text[index:eol]) if not text[line_start:index].strip() else None
            if match:
                if start != -1:
                    yield _Statement(start, last_end)
                    start, nesting = -1, _Nesting()
                yield _Directive(match.group(1), match.group(2), index)
            index = eol
            continue
        if text.startswith("/*", index):
            index = _skip_block_comment(text, index)
            continue
        if char.isspace():
            index += 1
            continue
        if char == ";" and not nesting.open:
            if start != -1:
                yield _Statement(start, index + 1)
            start, index, nesting = -1, index + 1, _Nesting()
            continue
        if start == -1:
            start = index
        index = _advance(text, index, nesting)
        last_end = index
    if start != -1:
        yield _Statement(start, last_end)


def _advance(text: str, index: int, nesting: _Nesting) -> int:
    """Index after the token at `index` (a literal, a word or one character), noting it in `nesting`."""
    end = _skip_token(text, index)
    if end is not None:
        return end
    word = _WORD_RE.match(text, index) if not _is_ident_char(text[index - 1] if index else "") else None
    if word:
        nesting.word(word.group())
        return word.end()
    nesting.char(text[index])
    return index + 1


class _LineIndex:
    """Offset -> 1-based line number for one text."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def line(self, offset: int) -> int:
        return bisect_right(self.starts, offset)


def parse_version(path: Path) -> tuple[int, str]:
    """(version, name) from `<version>_<name>.sql`; InputError for any other file name."""
    match = FILENAME_RE.match(path.name)
    if not match:
        raise InputError("a migration file must be named <YYYYMMDDHHMMSS>_<name>.sql", Location(path=path))
    version = int(match.group(1))
    if version > MAX_VERSION:
        raise InputError(
            f"version {match.group(1)} does not fit schema_migrations' bigint (at most {MAX_VERSION})",
            Location(path=path),
        )
    return version, match.group(2)


def parse_migration(path: Path) -> MigrationFile:
    """Read and split one migration file; InputError (file and line) for a layout it cannot follow."""
    version, name = parse_version(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # an editor's byte order mark is not SQL
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read migration file: {exc}", Location(path=path)) from exc
    return parse_migration_text(text, path=path, version=version, name=name)


def parse_migration_text(text: str, *, path: Path, version: int, name: str) -> MigrationFile:
    """Split `text` into the up and down sections of a migration (see parse_migration).

    A file without a down section is irreversible (rollback refuses it rather than forget it silently);
    a transactional one must not hold COMMIT, BEGIN and the like, which would split its transaction.
    """
    migration = _split_migration(text, path=path, version=version, name=name)
    if not migration.no_transaction:
        _refuse_transaction_control(migration)
    return migration


def _refuse_transaction_control(migration: MigrationFile) -> None:
    """InputError (file and line) for the first statement that would end or start a transaction."""
    for statement in (*migration.up, *migration.down):
        match = _TRANSACTION_CONTROL_RE.match(statement.text)
        if match:
            keyword = " ".join(match.group().split())
            raise InputError(
                f"`{keyword}` inside a migration that runs in a transaction would end that transaction "
                "part-way, so a failure could no longer undo the statements before it; remove it, or mark "
                "the file `-- migrate:no-transaction` (before `-- migrate:up`) to run it statement by "
                "statement",
                Location(path=migration.path, line=statement.line),
            )


def _split_migration(text: str, *, path: Path, version: int, name: str) -> MigrationFile:
    """The sections and directives of `text`, with no check of what the statements say."""
    lines = _LineIndex(text)
    sections: dict[str, list[SqlStatement]] = {}
    current: str | None = None
    no_transaction = False
    irreversible: str | None = None
    after_tenants: tuple[int, ...] = ()

    def fail(message: str, offset: int) -> InputError:
        return InputError(message, Location(path=path, line=lines.line(offset)))

    try:
        for item in _scan(text):
            if isinstance(item, _Statement):
                if current is None:
                    raise fail(
                        "SQL before the `-- migrate:up` line (only comments may precede it)", item.start
                    )
                sections[current].append(SqlStatement(text[item.start : item.end], lines.line(item.start)))
                continue
            if item.name in ("up", "down"):
                if item.name in sections:
                    raise fail(f"a second `-- migrate:{item.name}` line", item.start)
                if item.name == "down" and "up" not in sections:
                    raise fail("`-- migrate:down` comes before `-- migrate:up`", item.start)
                current = item.name
                sections[current] = []
                no_transaction = no_transaction or "transaction:false" in item.argument.split()
            elif item.name == "no-transaction":
                if current is not None:
                    raise fail("`-- migrate:no-transaction` must come before `-- migrate:up`", item.start)
                no_transaction = True
            elif item.name == "after-tenants":
                if current is not None:
                    raise fail("`-- migrate:after-tenants` must come before `-- migrate:up`", item.start)
                words = item.argument.split()
                if not words or not all(word.isdigit() for word in words):
                    raise fail(
                        "`-- migrate:after-tenants` takes the versions of tenant migrations "
                        f"(digits, separated by spaces), got {item.argument!r}",
                        item.start,
                    )
                after_tenants += tuple(int(word) for word in words)
            elif item.name == "irreversible":
                if current != "down":
                    raise fail("`-- migrate:irreversible` belongs in the down section", item.start)
                irreversible = item.argument or NO_REASON
            else:
                known = ", ".join(DIRECTIVES)
                raise fail(f"unknown directive `-- migrate:{item.name}` (known: {known})", item.start)
    except _UnterminatedError as exc:
        raise fail(exc.what, exc.start) from exc
    if "up" not in sections:
        raise InputError("no `-- migrate:up` line", Location(path=path, line=1))
    return MigrationFile(
        version=version,
        name=name,
        path=path,
        no_transaction=no_transaction,
        up=tuple(sections["up"]),
        down=tuple(sections.get("down", ())),
        irreversible=irreversible if "down" in sections else NO_DOWN_SECTION,
        after_tenants=after_tenants,
        kept_columns=_kept_columns(text),
    )


# what generate writes for a drop it keeps: `-- ALTER TABLE "s"."t" DROP COLUMN "c";` (names quoted)
_KEPT_DROP_RE = re.compile(
    r'^-- ALTER TABLE ((?:"(?:[^"]|"")+"\.)?"(?:[^"]|"")+") DROP COLUMN "((?:[^"]|"")+)";$', re.M
)


def _kept_columns(text: str) -> tuple[tuple[str, str], ...]:
    """The columns whose drop generate left commented out, as `schema.table` (no schema: public or the
    tenant's) and column; the down's commented `ADD COLUMN` lines do not match."""
    if "DROP COLUMN" not in text:
        return ()
    return tuple(
        (
            ".".join(part.strip('"').replace('""', '"') for part in _split_qualified(table)),
            column.replace('""', '"'),
        )
        for table, column in _KEPT_DROP_RE.findall(text)
    )


def _split_qualified(table: str) -> list[str]:
    """`"s"."t"` -> ['"s"', '"t"'] (a quoted name may hold a dot)."""
    return re.findall(r'"(?:[^"]|"")+"', table)


def split_statements(sql: str) -> list[str]:
    """The statements of a SQL text (no directives), as parse_migration would split them."""
    marker = "-- migrate:up\n"
    parsed = _split_migration(marker + sql, path=Path("<sql>"), version=0, name="sql")
    return [statement.text for statement in parsed.up]


def list_migrations(directory: Path) -> list[MigrationFile]:
    """Every `*.sql` migration in `directory` (not recursive), by version; a missing folder has none."""
    if not directory.is_dir():
        return []
    by_version: dict[int, MigrationFile] = {}
    for path in sorted(directory.glob("*.sql")):
        if not path.is_file():
            continue
        migration = parse_migration(path)
        other = by_version.get(migration.version)
        if other is not None:
            raise InputError(
                f"version {migration.version} is used by two migrations: {other.path.name} and {path.name}",
                Location(path=path),
            )
        by_version[migration.version] = migration
    return [by_version[version] for version in sorted(by_version)]


def migration_filename(version: int, name: str) -> str:
    """`<version>_<name>.sql`; the name must be a plain word (letters, digits, `_`, `.`, `-`)."""
    if version < 0:
        raise UsageError(f"a migration version cannot be negative: {version}")
    problem = name_problem(name)
    if problem is not None:
        raise UsageError(problem)
    return f"{version}_{name}.sql"


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a migration file, or None (the app's dialog asks before generating)."""
    if not NAME_RE.fullmatch(name) or len(name.encode()) > MAX_NAME_BYTES:
        return (
            f"invalid migration name {name!r}: use letters, digits, '_', '.' and '-', at most "
            f"{MAX_NAME_BYTES} bytes (it becomes part of a file name)"
        )
    return None


def render_migration_file(
    up: Sequence[str],
    down: Sequence[str],
    *,
    no_transaction: bool = False,
    header: Sequence[str] = (),
    irreversible: str | None = None,
    after_tenants: Sequence[int] = (),
) -> str:
    """The text of a migration file; statements are written as given (each should end with `;`)."""
    lines: list[str] = []
    for entry in header:
        for line in entry.splitlines() or [""]:
            if DIRECTIVE_RE.match(f"-- {line}"):
                raise ValueError(f"a header line would read as a directive: {line!r}")
            lines.append(f"-- {line}".rstrip())
    if no_transaction:
        lines.append("-- migrate:no-transaction")
    if after_tenants:
        lines.append(f"-- migrate:after-tenants {' '.join(map(str, after_tenants))}")
    lines.append("-- migrate:up")
    lines.extend(_render_section(up))
    lines.extend(["", "-- migrate:down"])
    if irreversible is not None:
        reason = " ".join(irreversible.split())
        lines.append(f"-- migrate:irreversible {reason}".rstrip())
    lines.extend(_render_section(down))
    return "\n".join(lines) + "\n"


def _render_section(statements: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for index, statement in enumerate(statements):
        if index:
            lines.append("")
        lines.extend(statement.strip().splitlines())
    return lines
