"""engine.base.atomic.write_group: a group of files appears whole or not at all: a group that cannot finish
(an error, Ctrl-C while its threads write) leaves no temp file and no folder it created, and Ctrl-C
during the renames waits until every file is in place."""

from __future__ import annotations

import signal
import textwrap
import threading
from pathlib import Path

import pytest

from snapshift.engine.base import atomic
from snapshift.engine.base.atomic import interrupts_deferred, write_group
from tests.support.terminal import python


def everything(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("count", [3, 40])  # below and above the threaded size
def test_a_failing_file_takes_back_the_temps_and_the_folders_the_group_made(
    tmp_path: Path, count: int
) -> None:
    (tmp_path / "kept").mkdir()
    (tmp_path / "blocked").write_text("a file where a folder goes\n")
    before = everything(tmp_path)
    files = [(tmp_path / "new" / f"t{i}" / "a.json", f"{i}\n") for i in range(count)]
    files.append((tmp_path / "kept" / "b.json", "kept\n"))
    files.insert(count // 2, (tmp_path / "blocked" / "a.json", "never\n"))
    with pytest.raises(OSError):
        write_group(files)
    assert everything(tmp_path) == before  # "kept" was there before: it stays


def test_a_group_into_existing_and_new_folders_lands_whole(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "a.json").write_text("old\n")
    files = [(tmp_path / "old" / "a.json", "new\n")]
    files += [(tmp_path / "deep" / f"t{i}" / "x" / "a.json", f"{i}\n") for i in range(30)]
    write_group(files)
    assert all(path.read_text() == text for path, text in files)
    assert not [p for p in tmp_path.rglob("*.tmp")]


INTERRUPTED = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from snapshift.engine.base import atomic

    signal.signal(signal.SIGINT, signal.default_int_handler)
    real, more = atomic._write_temp, int(sys.argv[2])
    def slow(path, text):
        tmp = real(path, text)
        if path.parent.name == "t0006":  # thread 0's fourth file: its temp exists, not yet recorded
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, handled in the main thread
            time.sleep(0.05)
            for _ in range(more):  # Ctrl-C pressed again and again while the group gives up
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.002)
            time.sleep(0.1)
        else:
            time.sleep(0.001)
        return tmp
    atomic._write_temp = slow
    root = Path(sys.argv[1])
    files = [(root / "snapshots" / f"t{i:04d}" / "1.json", "{}\\n") for i in range(400)]
    try:
        atomic.write_group(files)
    except KeyboardInterrupt:
        print("interrupted")
    """
)


@pytest.mark.parametrize("more", [0, 20], ids=["once", "again and again"])
def test_ctrl_c_while_the_threads_write_leaves_nothing_behind(tmp_path: Path, more: int) -> None:
    assert atomic.WRITERS > 1
    done = python(INTERRUPTED, str(tmp_path), str(more), check=True, timeout=120)
    assert done.stdout.strip() == "interrupted", done.stderr
    assert everything(tmp_path) == set()


CTRL_C_DURING_THE_RENAMES = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from snapshift.engine.base import atomic

    real_replace, renamed = os.replace, []
    def replace(source, target):
        real_replace(source, target)
        renamed.append(target)
        if len(renamed) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C after the second of ten renames
    atomic.os.replace = replace
    root = Path(sys.argv[1])
    try:
        atomic.write_group([(root / f"t{i}" / "1.json", f"{i}\\n") for i in range(10)])
    except KeyboardInterrupt:
        print("interrupted after", len(renamed))
    """
)


def test_ctrl_c_during_the_renames_waits_until_all_are_done(tmp_path: Path) -> None:
    done = python(CTRL_C_DURING_THE_RENAMES, str(tmp_path), check=True)
    assert done.stdout.strip() == "interrupted after 10", done.stderr
    assert everything(tmp_path) == {f"t{i}" for i in range(10)} | {f"t{i}/1.json" for i in range(10)}


def test_outside_the_main_thread_interrupts_are_left_alone() -> None:
    outcome: list[str] = []

    def deferred_in_a_thread() -> None:
        with interrupts_deferred():
            outcome.append("ran")

    thread = threading.Thread(target=deferred_in_a_thread)
    thread.start()
    thread.join()
    assert outcome == ["ran"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_handler_in_place_before_comes_back_after() -> None:
    with interrupts_deferred():
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
