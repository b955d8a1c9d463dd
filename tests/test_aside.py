"""engine.aside: work forked onto the other core gives what it would give here, or is done here."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from engine.aside import Aside, can_fork
from tests.terminal import python


def child_pid() -> dict[str, int]:
    return {"pid": os.getpid()}


def test_the_result_comes_from_a_child_when_forking_is_safe() -> None:
    safe = can_fork()
    with Aside(child_pid) as aside:
        forked = aside.forked
        result = aside.result()
    assert forked == safe
    assert (result["pid"] != os.getpid()) == forked


def test_an_error_in_the_work_is_raised_here_as_the_work_raises_it() -> None:
    def broken() -> int:
        raise KeyError("missing")

    with Aside(broken) as aside, pytest.raises(KeyError, match="missing"):
        aside.result()


def test_a_result_marshal_cannot_carry_is_computed_here() -> None:
    with Aside(lambda: (os.getpid(), object())) as aside:
        pid, _ = aside.result()
    assert pid == os.getpid()


def test_a_result_of_megabytes_comes_back_whole() -> None:
    texts = [f"{i:05d}" * 700 for i in range(1500)]  # about 5 MB marshalled: many times a pipe's buffer
    with Aside(lambda: (os.getpid(), texts)) as aside:
        forked = aside.forked
        pid, result = aside.result()
    assert result == texts
    assert (pid != os.getpid()) == forked


def test_a_child_that_dies_before_storing_its_result_leaves_the_work_to_this_process() -> None:
    parent = os.getpid()

    def dies_in_the_child() -> int:
        if os.getpid() != parent:
            os._exit(3)
        return os.getpid()

    with Aside(dies_in_the_child) as aside:
        assert aside.forked == can_fork()
        pid = aside._pid
        assert aside.result() == parent
    assert_reaped(pid)


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def assert_reaped(pid: int) -> None:
    """The child `pid` (0: none was forked) is gone and reaped: no zombie or process left behind."""
    if pid:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists open files through /proc (Linux)")
def test_no_file_stays_open_after_the_result_or_after_leaving_early() -> None:
    before = open_fds()
    with Aside(child_pid) as aside:
        assert aside.forked == can_fork()
        first = aside._pid
        aside.result()
    with Aside(child_pid) as aside:
        assert aside.forked == can_fork()
        second = aside._pid
    assert open_fds() == before
    assert_reaped(first)
    assert_reaped(second)


def test_an_error_in_the_block_stops_a_child_still_at_work() -> None:
    pid = 0
    with pytest.raises(KeyError), Aside(lambda: time.sleep(30)) as aside:
        assert aside.forked == can_fork()
        pid = aside._pid
        raise KeyError("this process failed first")
    assert_reaped(pid)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists open files through /proc (Linux)")
@pytest.mark.parametrize("refusing", ["memfd_create", "pipe", "fork"])
def test_when_the_system_refuses_a_file_or_a_process_the_work_runs_here(
    monkeypatch: pytest.MonkeyPatch, refusing: str
) -> None:
    def refuse(*args: object) -> None:
        raise OSError(24, "Too many open files")

    before = open_fds()
    monkeypatch.setattr(os, refusing, refuse)
    with Aside(child_pid) as aside:
        assert not aside.forked
        assert aside.result() == {"pid": os.getpid()}
    assert open_fds() == before


def test_with_another_thread_running_nothing_is_forked() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with Aside(child_pid) as aside:
            assert not aside.forked
            assert aside.result() == {"pid": os.getpid()}
    finally:
        stop.set()
        thread.join()


def test_leaving_early_stops_and_reaps_the_child() -> None:
    safe = can_fork()
    with Aside(lambda: time.sleep(30)) as aside:
        pid = aside._pid
    assert bool(pid) == safe
    assert_reaped(pid)


PROBE = """
import os, sys
from engine.aside import Aside
sys.stdout.write("written before the fork, not yet flushed\\n")
with Aside(lambda: [os.getpid(), b"bytes", {"k": (1, None)}]) as aside:
    assert aside.forked
    pid, data, nested = aside.result()
assert pid != os.getpid() and data == b"bytes" and nested == {"k": (1, None)}
print("done")
"""


def test_in_a_plain_process_it_forks_and_the_child_flushes_nothing_of_the_parent() -> None:
    done = python(PROBE, check=True)
    assert done.stdout == "written before the fork, not yet flushed\ndone\n"
    assert done.stderr == ""
