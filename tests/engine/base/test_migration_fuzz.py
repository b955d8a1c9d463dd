"""Bad migration files never crash: the example's migrations, mutated at random, parse (and split into
statements with their lines) or fail with an InputError naming the file and line, and nothing else."""

from __future__ import annotations

from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from snapshift.engine.base.errors import InputError
from snapshift.engine.base.migrations import parse_migration_text
from tests.support.fuzzing import fuzz
from tests.support.paths import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "blog" / "priv" / "repo"
MIGRATIONS = sorted([*EXAMPLE.glob("migrations/*.sql"), *EXAMPLE.glob("tenant_migrations/*.sql")])
PIECES = (
    *("'", '"', "$$", "$tag$", "/*", "*/", "--", ";", "\n", "E'\\'", "\\", "-- migrate:up\n"),
    *("-- migrate:down\n", "-- migrate:no-transaction\n", "-- migrate:irreversible why\n", "-- migrate:x\n"),
)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """`text` with one to three pieces of SQL syntax (quotes, comments, directives) inserted or cut."""
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
    return text


@fuzz
@given(data=st.data())
def test_a_mutated_migration_parses_or_names_file_and_line(data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(MIGRATIONS), label="file")
    text = data.draw(mutated(source.read_text(encoding="utf-8")), label="text")
    path = Path("/project/priv/repo/migrations/20260101000000_fuzz.sql")
    try:
        migration = parse_migration_text(text, path=path, version=20260101000000, name="fuzz")
    except InputError as error:
        assert error.location.path == path and error.location.line is not None, str(error)
        assert 1 <= error.location.line <= text.count("\n") + 1, str(error)
        event("rejected")
        return
    event("parsed")
    for direction in ("up", "down"):
        for statement in migration.statements(direction):
            assert statement.text.strip() and 1 <= statement.line <= text.count("\n") + 1
