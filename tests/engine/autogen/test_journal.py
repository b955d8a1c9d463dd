"""engine.autogen.journal: a generate killed outright (SIGKILL) while it renames its files into place is finished
at the start of the next command that writes (never by a plan), which then leaves exactly what an
uninterrupted generate leaves."""

from __future__ import annotations

import json
import shutil
import signal
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from snapshift.engine.autogen import journal
from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.errors import InputError, WriteError
from snapshift.engine.project import Project
from tests.support.gitrepo import commit_all, git
from tests.support.harness import DEFAULT_CONFIG as DEFAULT
from tests.support.harness import Workspace
from tests.support.terminal import python, run

NOW = "2026-03-01T12:00:00+00:00"

KILLED_AT_RENAME = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from pathlib import Path
    from snapshift.engine.project import Project
    from snapshift.engine.autogen.questions import Answers

    real, kill_at, count = os.replace, int(sys.argv[2]), 0
    def replace(source, target):
        global count
        real(source, target)
        count += 1
        if count == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    os.replace = replace
    answers = Answers(drop_tables=frozenset({"c"}))
    Project.open(Path(sys.argv[1])).generate(answers, now=datetime.fromisoformat(sys.argv[3]))
    """
)


def contents(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def worktree(root: Path) -> dict[str, str]:
    """`contents` without git's own files (git may refresh its index while it answers)."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts)
    return {str(p.relative_to(root)): p.read_text() for p in files}


def edited_project(root: Path, url: str = "") -> Path:
    """Three tables generated, then a column added to two of them and the third one's resource gone."""
    ws = Workspace(
        root, f'resources = ["resources/*.toml"]\n[repos.repo]\nurl = "{url}"\n' if url else DEFAULT
    )
    for name in "abc":
        ws.resource(name, f'table = "{name}"\n[attributes]\nid = {{ type = "uuid", primary_key = true }}\n')
    ws.generate()
    if url:  # what the first generate wrote is committed and applied
        git(root, "init", "-q")
        commit_all(root, "start")
        ws.project().migrate()
    for name in "ab":
        ws.resource(
            name,
            f'table = "{name}"\n[attributes]\nid = {{ type = "uuid", primary_key = true }}\n'
            'note = { type = "text" }\n',
        )
    ws.remove("c")
    return root


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The edited project before the generate, and every file after an uninterrupted one."""
    before = edited_project(tmp_path_factory.mktemp("reference") / "p")
    after = tmp_path_factory.mktemp("uninterrupted") / "p"
    shutil.copytree(before, after)
    done = python(KILLED_AT_RENAME, str(after), "0", NOW, check=True)  # 0: never killed
    assert done.returncode == 0, done.stderr
    return before, contents(after)


# the journal's own rename is the first; then the migration, a's and b's snapshots; then c's removal
@pytest.mark.parametrize("kill_at", [1, 2, 3, 4])
def test_a_generate_killed_in_its_renames_is_finished_by_the_explicit_call(
    tmp_path: Path, reference: tuple[Path, dict[str, str]], kill_at: int
) -> None:
    before, expected = reference
    project = tmp_path / "p"
    shutil.copytree(before, project)
    killed = python(KILLED_AT_RENAME, str(project), str(kill_at), NOW)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert journal.pending(project)
    assert contents(project) != expected

    finished = Project.open(project).finish_interrupted_generate()
    placed = {str(p.relative_to(project)) for p in finished}
    assert len(placed) == 4 - kill_at  # the migration and two snapshots, less those renamed before
    assert placed <= expected.keys()
    assert not Project.open(project).plan().has_changes
    assert contents(project) == expected  # no journal, no temp file, c's snapshots gone


def test_a_plan_never_finishes_a_journal_and_writing_waits_for_it(
    tmp_path: Path, reference: tuple[Path, dict[str, str]]
) -> None:
    before, _ = reference
    project = tmp_path / "p"
    shutil.copytree(before, project)
    assert python(KILLED_AT_RENAME, str(project), "2", NOW).returncode == -signal.SIGKILL
    killed = contents(project)
    opened = Project.open(project)
    generation = opened.plan(Answers(drop_tables=frozenset({"c"})))
    assert journal.pending(project) and contents(project) == killed
    assert generation.has_changes  # the snapshots still aside: the plan sees their changes again
    with pytest.raises(InputError, match=r"\.snapshift-pending\.json: a generate that was killed"):
        opened.write(generation)  # it would sweep the journal's temp files and write the changes twice
    assert journal.pending(project) and contents(project) == killed


def test_the_cli_says_what_it_finished_and_the_clean_cache_waits_for_it(
    tmp_path: Path, reference: tuple[Path, dict[str, str]]
) -> None:
    before, expected = reference
    project = tmp_path / "p"
    shutil.copytree(before, project)
    assert python(KILLED_AT_RENAME, str(project), "2", NOW).returncode == -signal.SIGKILL
    assert not Project.open(project).known_clean()
    killed = contents(project)
    for read_only in (["generate", "--check"], ["generate", "--dry-run"]):  # they only say so
        check = run("-C", str(project), *read_only)
        assert check.returncode == 1, check.stdout + check.stderr
        assert "an interrupted generate left its journal (.snapshift-pending.json)" in check.stdout
        assert contents(project) == killed
    done = run("-C", str(project), "generate", "--drop-table", "c")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Finished an interrupted generate: 2 file(s) put in place." in done.stdout
    assert "No changes detected" in done.stdout
    assert contents(project) == expected


def test_a_journal_whose_run_still_lives_is_left_to_it(tmp_path: Path) -> None:
    root = edited_project(tmp_path / "p")
    migrations = root / "priv" / "repo" / "migrations"
    temp = migrations / ".x.sql.1.0.tmp"
    temp.write_text("x\n")
    record = {
        "pid": 1,
        "renames": [[str(temp.relative_to(root)), "priv/repo/migrations/x.sql"]],
        "removals": [],
    }
    (root / journal.NAME).write_text(json.dumps(record))
    folders = [migrations]
    assert journal.finish_interrupted(root, folders) == []  # pid 1 lives: that run finishes its own work
    assert temp.exists() and journal.pending(root)
    record["pid"] = 2**22 + 1  # above Linux's largest pid: no such process
    (root / journal.NAME).write_text(json.dumps(record))
    assert journal.finish_interrupted(root, folders) == [migrations / "x.sql"]
    assert not temp.exists() and not journal.pending(root)


def test_an_unreadable_journal_is_an_error_naming_it(tmp_path: Path) -> None:
    root = edited_project(tmp_path / "p")
    (root / journal.NAME).write_text('{"renames": 3}\n')
    with pytest.raises(InputError, match=r"\.snapshift-pending\.json.*cannot be read"):
        Project.open(root).finish_interrupted_generate()
    assert run("-C", str(root), "generate", "--check").returncode == 2
    assert run("-C", str(root), "generate").returncode == 2


def test_regen_finishes_the_killed_generate_first_and_takes_its_files_too(
    tmp_path: Path, database_url: str
) -> None:
    project = edited_project(tmp_path / "p", database_url)
    assert python(KILLED_AT_RENAME, str(project), "2", NOW).returncode == -signal.SIGKILL
    killed = worktree(project)
    Project.open(project).plan_regen()
    assert journal.pending(project) and worktree(project) == killed  # planning regen finishes nothing
    assert len(Project.open(project).finish_interrupted_generate()) == 2  # what `snapshift regen` does first
    plan = Project.open(project).plan_regen()
    assert not journal.pending(project)
    deleted = sorted(str(p.relative_to(project)) for p in plan.files_to_delete)
    assert len(deleted) == 3 and deleted[0].startswith("priv/repo/migrations/"), deleted
    assert all(".tmp" not in name for name in deleted)
    assert len(plan.generation.files) == 3  # the same change, generated again


def test_a_journal_that_cannot_be_written_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = edited_project(tmp_path / "p")
    before = contents(root)

    def full_disk(path: Path, text: str) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(journal, "write_atomic", full_disk)
    answers = Answers(drop_tables=frozenset({"c"}))
    with pytest.raises(WriteError, match=r"\.snapshift-pending\.json.*no generated file was written"):
        Project.open(root).generate(answers, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert contents(root) == before  # no temp file either


def test_a_folder_where_the_journal_goes_is_an_error_naming_it(tmp_path: Path) -> None:
    root = edited_project(tmp_path / "p")
    (root / journal.NAME).mkdir()
    failed = run("-C", str(root), "generate", "--check")
    assert failed.returncode == 2
    assert ".snapshift-pending.json: this journal of an interrupted generate cannot be read" in failed.stderr
