"""Issue 11, items 3 and 7: the recovery journal is followed only for snapshift's own temp files renamed
into the repos' migrations and snapshot folders (anything else is exit 2 naming it, touching nothing), and
the temp files of a generate killed while it wrote them are swept by the next generate."""

from __future__ import annotations

import json
import os
import signal
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from snapshift.engine.autogen import journal
from snapshift.engine.autogen.questions import Answers
from snapshift.engine.project import Project
from tests.engine.autogen.test_journal import NOW, contents, edited_project
from tests.support.terminal import python, run

DEAD_PID = 2**22 + 1  # above Linux's largest pid: no such process
COMMANDS = [["status"], ["generate", "--check"], ["generate"], ["migrate"], ["regen", "--dry-run"]]


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def hostile(root: Path, renames: list[list[str]], removals: list[str] | None = None) -> None:
    record = {"pid": DEAD_PID, "renames": renames, "removals": removals or []}
    (root / journal.NAME).write_text(json.dumps(record))


def assert_refused(root: Path, outside: Path, database_url: str) -> None:
    """Every command that reads the journal exits 2 naming it, and nothing in or out of the project moved."""
    (root / "snapshift.toml").write_text(
        f'resources = ["resources/*.toml"]\n[repos.repo]\nurl = "{database_url}"\n'
    )
    before, outside_before = tree(root), tree(outside)
    for command in COMMANDS:
        result = run("-C", str(root), *command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert f"{root / journal.NAME}: this journal of an interrupted generate asks to" in result.stderr, (
            command
        )
        assert tree(root) == before, command
        assert tree(outside) == outside_before, command


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("precious\n")
    (home / "20240101000000.json").write_text("{}\n")
    return home


def test_a_journal_renaming_any_file_anywhere_is_refused(
    tmp_path: Path, victim: Path, database_url: str
) -> None:
    """`{"renames": [["payload.txt", "/home/u/.bashrc"]]}` made `status` overwrite .bashrc."""
    root = edited_project(tmp_path / "p")
    (root / "payload.txt").write_text("payload\n")
    hostile(root, [["payload.txt", str(victim / ".bashrc")]])
    assert_refused(root, victim, database_url)


@pytest.mark.parametrize(
    "entry",
    [
        # a snapshift temp name, but the target is outside the repo's folders
        ["../home/.bashrc.1.0.tmp", "../home/.bashrc"],
        # inside the migrations folder, but the source is not a temp file made for that target
        ["priv/repo/migrations/readme.txt", "priv/repo/migrations/20200101000000_x.sql"],
        ["priv/repo/migrations/.other.sql.5.0.tmp", "priv/repo/migrations/20200101000000_x.sql"],
        # a temp file in another folder than its target
        ["priv/.20200101000000_x.sql.5.0.tmp", "priv/repo/migrations/20200101000000_x.sql"],
        # the project root, the config, absolute paths
        [".snapshift.toml.5.0.tmp", "snapshift.toml"],
    ],
)
def test_a_journal_entry_that_is_not_snapshifts_own_work_is_refused(
    tmp_path: Path, victim: Path, database_url: str, entry: list[str]
) -> None:
    root = edited_project(tmp_path / "p")
    source = root / entry[0]
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("payload\n")
    hostile(root, [entry])
    assert_refused(root, victim, database_url)


def test_a_journal_target_behind_a_symlinked_folder_is_refused(
    tmp_path: Path, victim: Path, database_url: str
) -> None:
    root = edited_project(tmp_path / "p")
    link = root / "priv" / "resource_snapshots" / "repo" / "evil"
    link.symlink_to(victim)
    (victim / ".bashrc.7.0.tmp").write_text("payload\n")
    hostile(
        root,
        [["priv/resource_snapshots/repo/evil/.bashrc.7.0.tmp", "priv/resource_snapshots/repo/evil/.bashrc"]],
    )
    assert_refused(root, victim, database_url)


def test_a_journal_path_that_climbs_out_through_a_symlink_is_refused(
    tmp_path: Path, victim: Path, database_url: str
) -> None:
    """`repo/evil/..` reads as `repo` by its text, but the file system follows `evil` first."""
    root = edited_project(tmp_path / "p")
    (victim / "sub").mkdir()
    (root / "priv" / "resource_snapshots" / "repo" / "evil").symlink_to(victim / "sub")
    (victim / ".bashrc.7.0.tmp").write_text("payload\n")
    climb = "priv/resource_snapshots/repo/evil/.."
    hostile(root, [[f"{climb}/.bashrc.7.0.tmp", f"{climb}/.bashrc"]])
    assert_refused(root, victim, database_url)


def test_a_symlink_posing_as_a_temp_file_is_refused(tmp_path: Path, victim: Path, database_url: str) -> None:
    root = edited_project(tmp_path / "p")
    temp = root / "priv" / "repo" / "migrations" / ".20200101000000_x.sql.7.0.tmp"
    temp.symlink_to(victim / ".bashrc")
    hostile(root, [[str(temp.relative_to(root)), "priv/repo/migrations/20200101000000_x.sql"]])
    assert_refused(root, victim, database_url)


@pytest.mark.parametrize("removal", ["../home", "HOME", "priv/resource_snapshots/repo/evil"])
def test_a_journal_removing_snapshots_elsewhere_is_refused(
    tmp_path: Path, victim: Path, database_url: str, removal: str
) -> None:
    root = edited_project(tmp_path / "p")
    (root / "priv" / "resource_snapshots" / "repo" / "evil").symlink_to(victim)
    hostile(root, [], [removal.replace("HOME", str(victim))])
    assert_refused(root, victim, database_url)


KILLED_WHILE_WRITING = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from pathlib import Path
    from snapshift.engine.project import Project
    from snapshift.engine.autogen.questions import Answers

    def replace(source, target):  # the first rename is the journal's: every file is written aside by then
        os.kill(os.getpid(), signal.SIGKILL)
    os.replace = replace
    answers = Answers(drop_tables=frozenset({"c"}))
    Project.open(Path(sys.argv[1])).generate(answers, now=datetime.fromisoformat(sys.argv[2]))
    """
)


def temps(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


def test_the_temp_files_of_a_generate_killed_while_writing_are_swept_by_the_next(tmp_path: Path) -> None:
    root = edited_project(tmp_path / "p")
    (root / "resources" / "d.toml").write_text(
        'table = "d"\n[attributes]\nid = { type = "uuid", primary_key = true }\n'
    )
    before = contents(root)
    killed = python(KILLED_WHILE_WRITING, str(root), NOW)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = temps(root)
    assert len(left) == 5, left  # the migration, a's, b's and d's snapshots, the journal's own
    assert not journal.pending(root)
    live = root / "priv" / "repo" / "migrations" / f".20200101000000_x.sql.{os.getpid()}.0.tmp"
    live.write_text("a live process's\n")  # this test's own process: alive
    foreign = root / f".notes.txt.{DEAD_PID}.0.tmp"  # in the project root, not snapshift's
    foreign.write_text("someone else's\n")
    assert run("-C", str(root), "generate", "--check").returncode == 1
    kept = sorted([str(live.relative_to(root)), foreign.name])
    assert temps(root) == sorted([*left, *kept])  # read-only: left alone
    Project.open(root).generate(Answers(drop_tables=frozenset({"c"})), now=datetime.fromisoformat(NOW))
    assert temps(root) == kept
    live.unlink()
    foreign.unlink()
    after = contents(root)
    assert set(after) - set(before) and not (root / "priv" / "resource_snapshots" / "repo" / "c").exists()
    assert run("-C", str(root), "generate", "--check").returncode == 0


KILLED_AT_RENAME_TWO = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from pathlib import Path
    from snapshift.engine.project import Project
    from snapshift.engine.autogen.questions import Answers

    real, count = os.replace, 0
    def replace(source, target):  # the journal's rename, then the migration's: the snapshots wait
        global count
        real(source, target)
        count += 1
        if count == 2:
            os.kill(os.getpid(), signal.SIGKILL)
    os.replace = replace
    answers = Answers(drop_tables=frozenset({"c"}))
    Project.open(Path(sys.argv[1])).generate(answers, now=datetime.fromisoformat(sys.argv[2]))
    """
)


def test_status_only_reports_a_pending_journal_and_migrate_finishes_it(
    tmp_path: Path, database_url: str
) -> None:
    root = edited_project(tmp_path / "p", database_url)
    assert python(KILLED_AT_RENAME_TWO, str(root), NOW).returncode == -signal.SIGKILL
    assert journal.pending(root)
    killed = {name: data for name, data in tree(root).items() if not name.startswith(".git/")}
    status = run("-C", str(root), "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "resources: changes pending" in status.stdout
    assert {name: data for name, data in tree(root).items() if not name.startswith(".git/")} == killed
    migrate = run("-C", str(root), "migrate")
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert not journal.pending(root) and not temps(root)
    assert "2 file(s), 2 applied, 0 pending" in run("-C", str(root), "status").stdout  # the killed one too
    check = run("-C", str(root), "generate", "--check")
    assert check.returncode == 0, check.stdout + check.stderr  # every snapshot is in place
