"""Work done aside, in a forked process, while this one goes on: a large plan reads its snapshots on
the second core while the first loads the resource files, and a large generate encodes its new
snapshots there while the first diffs and orders.

The work must only read (files, not this process's state) and return plain data that `marshal`
carries (str, bytes, numbers, None, tuples, lists, dicts): marshal needs no import and is the fastest
way across. The child writes the result into an anonymous memory file and then sends its size through a
pipe: a pipe alone holds 64 KiB, and megabytes pushed through one cost two context switches per 64 KiB
once this process reads (7-12 ms for 3 MB here, against 4 ms). The result is decoded while the child
exits, and the child is reaped after.

It is forked only where that is cheap and safe: Linux (memfd_create), and no other thread in this
process (a thread could hold a lock at the fork that the child then waits on forever, which is why the
app, with its threads, never forks). Otherwise, or when the child fails in any way, the work runs here
when its result is asked for: the same result or the same exception, only later. The child never
writes to stdout or stderr, collects no garbage (a finalizer of this process's objects could flush or
delete something twice) and leaves through `os._exit`, so no buffer or exit handler of this process
runs twice.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

R = TypeVar("R")
_SIGKILL = 9  # signal.SIGKILL, without importing the signal module and its enums
_SIZE_BYTES = 8  # the child's message: how many bytes of result it stored


FORK_FROM = 100  # tables or files of work; for less, the fork costs more than it saves


def can_fork() -> bool:
    """Whether forking is available and safe right now (Linux, a single thread)."""
    return hasattr(os, "fork") and hasattr(os, "memfd_create") and threading.active_count() == 1


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
        self._memory_fd = -1
        if fork and can_fork():
            self._start()

    @property
    def forked(self) -> bool:
        return self._pid > 0

    def _start(self) -> None:
        opened: list[int] = []
        try:
            opened.append(os.memfd_create("snapshift-aside", os.MFD_CLOEXEC))
            opened += os.pipe()
            memory_fd, read_fd, write_fd = opened
            pid = os.fork()
        except BaseException as error:
            for fd in opened:
                os.close(fd)
            if isinstance(error, OSError):  # no file descriptors, memory or process slots: run here instead
                return
            raise
        if pid == 0:  # the child: compute, store, say how much, and leave running nothing of the parent's
            status = 1
            try:
                gc.disable()
                os.close(read_fd)
                result: Any = self._work()  # plain data, by contract
                view = memoryview(marshal.dumps(result))
                size = len(view)
                while view:
                    view = view[os.write(memory_fd, view) :]
                os.write(write_fd, size.to_bytes(_SIZE_BYTES, "little"))
                status = 0
            finally:
                os._exit(status)
        self._pid, self._read_fd, self._memory_fd = pid, read_fd, memory_fd
        os.close(write_fd)

    def result(self) -> R:
        """The work's result: from the child when it succeeded, else computed here (raising as it does)."""
        if self.forked:
            try:
                payload = self._receive()
                if payload is not None:
                    result: R = marshal.loads(payload)
                    return result
            except (EOFError, ValueError, TypeError):  # a damaged payload: do the work here instead
                pass
            finally:
                self.close()  # done or dead, the child only has its exit left
        return self._work()

    def _receive(self) -> bytes | None:
        """The child's marshalled result, or None when it died before storing all of it."""
        message = os.read(self._read_fd, _SIZE_BYTES)  # short or empty: the child did not finish
        if len(message) < _SIZE_BYTES:
            return None
        size = int.from_bytes(message, "little")
        payload = os.pread(self._memory_fd, size, 0)
        return payload if len(payload) == size else None

    def close(self) -> None:
        """Stop the child if it still runs (its result was not asked for), reap it, close the files."""
        if not self.forked:
            return
        try:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, _SIGKILL)
            with contextlib.suppress(ChildProcessError):  # reaped already (SIGCHLD ignored)
                os.waitpid(self._pid, 0)
        finally:
            self._pid = 0
            for fd in (self._read_fd, self._memory_fd):
                os.close(fd)
            self._read_fd = self._memory_fd = -1

    def __enter__(self) -> Aside[R]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
