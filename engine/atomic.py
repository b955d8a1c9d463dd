"""Atomic file writes: every file snapshift writes appears whole or not at all, and a group of files
(one generate run) is written in full before any of it appears."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

WRITERS = 2  # threads for large groups: the time is in the kernel, which does not hold the GIL; more
# threads than cores only fight over the GIL between system calls (4 wrote slower than 2 here)
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _write_temp(path: Path, text: str) -> Path:
    """`text` in a new temp file next to `path` (plain os calls: one open, one write); its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = memoryview(text.encode("utf-8"))
    for attempt in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{attempt}.tmp")
        try:
            fd = os.open(tmp, _FLAGS, 0o666)
        except FileExistsError:
            continue
        try:
            try:
                while data:
                    data = data[os.write(fd, data) :]
            finally:
                os.close(fd)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp
    raise FileExistsError(f"cannot create a temporary file next to {path}")


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and rename, so a crash never leaves half a file."""
    tmp = _write_temp(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_temps_in_threads(files: Sequence[tuple[Path, str]]) -> list[Path | BaseException]:
    """`_write_temp` of every file, by WRITERS threads taking every WRITERS-th file: a temp path or the
    error, per file. Plain threads: concurrent.futures would import logging into every generate."""
    outcomes: list[Path | BaseException] = [OSError("not written")] * len(files)

    def write_share(first: int) -> None:
        for index in range(first, len(files), WRITERS):
            path, text = files[index]
            try:
                outcomes[index] = _write_temp(path, text)
            except BaseException as error:  # the caller raises it after removing the other temps
                outcomes[index] = error

    threads = [threading.Thread(target=write_share, args=(first,)) for first in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def write_group(files: Sequence[tuple[Path, str]]) -> None:
    """Write all `files` to temp files first, then rename them into place in the given order.

    A failure while writing (a full disk, a read-only folder) leaves none of them in place, so a
    generate run never leaves a migration without its snapshots. Large groups write with threads.
    """
    temps: list[Path] = []
    try:
        if len(files) < 2 * WRITERS:
            for path, text in files:
                temps.append(_write_temp(path, text))
        else:
            outcomes = _write_temps_in_threads(files)
            temps += [done for done in outcomes if isinstance(done, Path)]
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    for index, ((path, _), tmp) in enumerate(zip(files, temps, strict=True)):
        try:
            os.replace(tmp, path)
        except BaseException:
            for rest in temps[index:]:
                rest.unlink(missing_ok=True)
            raise
