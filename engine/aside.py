"""Work done aside, in a forked process, while this one goes on: a large plan reads its snapshots on
the second core while the first loads the resource files.

The work must only read (files, not this process's state) and return plain data that `marshal`
carries (str, bytes, numbers, None, tuples, lists, dicts): marshal needs no import and is the fastest
way across. It is forked only where that is cheap and safe: POSIX but not macOS, whose system
libraries need not survive a fork (CPython's multiprocessing spawns there), and no other thread in this
process (a thread could hold a lock at the fork that the child then waits on forever, which is why the
app, with its threads, never forks). Otherwise, or when the child fails in any way, the work runs here
when its result is asked for: the same result or the same exception, only later. The child never
writes to stdout or stderr and leaves through `os._exit`, so no buffer or exit handler of this process
runs twice.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

R = TypeVar("R")
_CHUNK = 1 << 20


FORK_FROM = 100  # tables or files of work; for less, the fork costs more than it saves


def can_fork() -> bool:
    """Whether forking is available and safe right now (POSIX, a single thread)."""
    return hasattr(os, "fork") and sys.platform != "darwin" and threading.active_count() == 1


def worth_forking(items: int) -> bool:
    """Whether `items` units of per-table work (a file read, a table encoded) are worth a fork."""
    return items >= FORK_FROM and can_fork()


class Aside(Generic[R]):
    """`work()`, running in a child process when forked (`forked`), else deferred to `result()`.

    Use it as a context manager: leaving the block early (an error in this process) stops the child.
    """

    def __init__(self, work: Callable[[], R], fork: bool = True) -> None:
        self._work = work
        self._pid = 0
        self._read_fd = -1
        if fork and can_fork():
            self._start()

    @property
    def forked(self) -> bool:
        return self._pid > 0

    def _start(self) -> None:
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no memory or process slots: run here instead
            os.close(read_fd)
            os.close(write_fd)
            return
        if pid == 0:  # the child: compute, send, and leave without running anything of the parent's
            status = 1
            try:
                os.close(read_fd)
                result: Any = self._work()  # plain data, by contract
                payload = marshal.dumps(result)
                view = memoryview(payload)
                while view:
                    view = view[os.write(write_fd, view) :]
                status = 0
            finally:
                os._exit(status)
        os.close(write_fd)
        self._pid, self._read_fd = pid, read_fd

    def result(self) -> R:
        """The work's result: from the child when it succeeded, else computed here (raising as it does)."""
        if not self.forked:
            return self._work()
        chunks = []
        try:
            while chunk := os.read(self._read_fd, _CHUNK):
                chunks.append(chunk)
        finally:
            ok = self._reap(kill=False)
        if ok:
            try:
                result: R = marshal.loads(b"".join(chunks))
                return result
            except (EOFError, ValueError, TypeError):  # a truncated payload: do the work here instead
                pass
        return self._work()

    def _reap(self, kill: bool) -> bool:
        """Close the pipe and wait for the child; whether it exited cleanly."""
        pid, self._pid = self._pid, 0
        os.close(self._read_fd)
        self._read_fd = -1
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0

    def close(self) -> None:
        """Stop the child if it still runs (its result was not asked for)."""
        if self.forked:
            self._reap(kill=True)

    def __enter__(self) -> Aside[R]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
