"""Finishing a killed generate is an explicit call at start (issue 13 item 1): the CLI's generate, migrate,
rollback and regen make it once before anything else, the app's session once when it opens, and neither
a plan nor a re-plan on save touches the journal."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from snapshift.engine.autogen import journal
from snapshift.engine.project import Project
from snapshift.tui.cli.main import main
from snapshift.tui.session import Session
from tests.engine.autogen.test_journal import KILLED_AT_RENAME, NOW, edited_project
from tests.support.terminal import python

DEAD_PID = 2**22 + 1  # above Linux's largest pid: no such process


def killed_generate(root: Path) -> None:
    """A generate killed after renaming the journal and the migration: two snapshots still aside."""
    assert python(KILLED_AT_RENAME, str(root), "2", NOW).returncode == -signal.SIGKILL
    assert journal.pending(root)


def count_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Each call of Project.finish_interrupted_generate, by project root."""
    calls: list[Path] = []
    real = Project.finish_interrupted_generate

    def counted(self: Project) -> list[Path]:
        calls.append(self.root)
        return real(self)

    monkeypatch.setattr(Project, "finish_interrupted_generate", counted)
    return calls


@pytest.mark.parametrize(
    "command",
    [["migrate"], ["rollback"], ["regen", "--yes", "--drop-table", "c"], ["generate", "--drop-table", "c"]],
)
def test_a_writing_command_finishes_the_journal_once_at_start(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    root = edited_project(tmp_path / "p", database_url)
    killed_generate(root)
    calls = count_calls(monkeypatch)
    assert main(["-C", str(root), *command]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Finished an interrupted generate: 2 file(s) put in place.\n* creating "), out
    assert calls == [root]
    assert not journal.pending(root)


@pytest.mark.parametrize("command", [["generate", "--check"], ["generate", "--dry-run"]])
def test_a_read_only_generate_leaves_the_journal_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    root = edited_project(tmp_path / "p")
    killed_generate(root)
    calls = count_calls(monkeypatch)
    assert main(["-C", str(root), *command]) == 1
    assert "an interrupted generate left its journal" in capsys.readouterr().out
    assert calls == [] and journal.pending(root)


def test_a_regen_dry_run_leaves_the_journal_and_says_so(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = edited_project(tmp_path / "p", database_url)
    killed_generate(root)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    calls = count_calls(monkeypatch)
    assert main(["-C", str(root), "regen", "--dry-run", "--drop-table", "c"]) == 1
    assert "an interrupted generate left its journal" in capsys.readouterr().out
    assert calls == [] and journal.pending(root)
    assert sorted(p for p in root.rglob("*") if p.is_file()) == files  # nothing put in place, nothing new


def dead_runs_journal(root: Path) -> Path:
    """A journal left by a run that is gone, asking to put one temp migration file in place."""
    migrations = root / "priv" / "repo" / "migrations"
    temp = migrations / f".20300101000000_x.sql.{DEAD_PID}.0.tmp"
    temp.write_text("-- migrate:up\n-- migrate:down\n")
    target = migrations / "20300101000000_x.sql"
    record = {
        "pid": DEAD_PID,
        "renames": [[str(temp.relative_to(root)), str(target.relative_to(root))]],
        "removals": [],
    }
    (root / journal.NAME).write_text(json.dumps(record))
    return target


def test_the_app_finishes_the_journal_once_when_it_opens_and_never_on_a_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = edited_project(tmp_path / "p")
    killed_generate(root)
    calls = count_calls(monkeypatch)
    session = Session(root)
    assert calls == [root] and not journal.pending(root)
    assert len(session.finished_interrupted) == 2
    target = dead_runs_journal(root)  # another generate killed while the app runs
    resource = root / "resources" / "a.toml"
    for _ in range(3):
        resource.write_text(resource.read_text() + "\n")
        session.replan([resource])
    session.replan()
    assert calls == [root]
    assert journal.pending(root) and not target.exists()  # left for the next start
