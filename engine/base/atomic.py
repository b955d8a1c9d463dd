"""Atomic file writes: every file snapshift writes appears whole or not at all, and a group of files
(one generate run) is written in full before any of it appears."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

WRITERS = 2  # threads for large groups: the time is in the kernel, which does not hold the GIL; more
# threads than cores only fight over the GIL between system calls
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_TEMP_NAME = re.compile(r"\.(.+)\.(\d{1,10})\.(\d{1,3})\.tmp")  # .<file name>.<pid>.<attempt>.tmp


def _temp_name(name: str, pid: int, attempt: int) -> str:
    return f".{name}.{pid}.{attempt}.tmp"


def temp_owner(name: str) -> int | None:
    """The pid of the process that made temp file `name` (a file name), None when it is not one of ours."""
    match = _TEMP_NAME.fullmatch(name)
    return int(match.group(2)) if match else None


def is_temp_of(tmp: str, target: str) -> bool:
    """Whether path `tmp` is a temp file this module makes for path `target`: the same folder, written
    the same way (not normalised: `a/link/..` is not `a`), named after the target."""
    folder, name = os.path.split(tmp)
    target_folder, target_name = os.path.split(target)
    match = _TEMP_NAME.fullmatch(name)
    return match is not None and folder == target_folder and match.group(1) == target_name


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists (someone else's counts)."""
    if pid <= 0:  # kill(0) or kill(-n) would ask about a whole process group
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except (OverflowError, ValueError):
        return False
    return True


def sweep_stale_temps(folders: Iterable[Path], target: str | None = None) -> list[Path]:
    """Remove the temp files right inside `folders` (only those made for a file named `target`, when
    given) that a process no longer alive left behind (a write killed outright); the files removed. A
    live process's temp files are its own business."""
    removed = []
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            owner = temp_owner(entry.name)
            if owner is None or owner == os.getpid() or process_alive(owner):
                continue
            if target is not None and not is_temp_of(entry.name, target):
                continue
            if entry.is_file(follow_symlinks=False) or entry.is_symlink():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _write_temp(path: Path, text: str) -> Path:
    """`text` in a new temp file next to `path` (plain os calls: one open, one write); its path."""
    data = memoryview(text.encode("utf-8"))
    for attempt in range(100):
        tmp = path.with_name(_temp_name(path.name, os.getpid(), attempt))
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class _Staging:
    """The temp files (by index in the group) and the folders a group write has made so far, so that a
    group that cannot finish (an error, Ctrl-C) takes all of them away again."""

    def __init__(self, count: int) -> None:
        self.temps: list[Path | None] = [None] * count
        self.folders: list[Path] = []
        self.stopped = False  # set when the group gives up: writer threads stop before their next file

    def write(self, index: int, path: Path, text: str) -> None:
        self._folder(path.parent)
        self.temps[index] = _write_temp(path, text)

    def _folder(self, folder: Path) -> None:
        """Create `folder` and any missing parent, remembering the ones this group created."""
        try:
            os.mkdir(folder)
        except FileExistsError:
            return
        except FileNotFoundError:
            self._folder(folder.parent)
            with contextlib.suppress(FileExistsError):  # another writer thread made it meanwhile
                os.mkdir(folder)
                self.folders.append(folder)
            return
        self.folders.append(folder)

    def undo(self) -> None:
        """Remove every temp file and created folder (deepest first; a folder someone filled stays)."""
        for tmp in self.temps:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        for folder in sorted(self.folders, key=lambda f: len(f.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()


def _write_in_threads(files: Sequence[tuple[Path, str]], staging: _Staging) -> None:
    """Stage every file by WRITERS threads taking every WRITERS-th one; raise the first error. Plain
    threads: concurrent.futures would import logging into every generate. An interrupt while waiting
    stops the threads after the file at hand and waits for them, so that nothing is written after the
    group is undone. Each thread reports its end through its own event: Python 3.11's Thread.join,
    cut short by Ctrl-C, marks a thread that is still running as stopped (is_alive() turns False)."""
    errors: list[BaseException] = []
    finished = [threading.Event() for _ in range(WRITERS)]
    started: list[threading.Event] = []

    def write_share(first: int) -> None:
        try:
            for index in range(first, len(files), WRITERS):
                if staging.stopped or errors:
                    return
                try:
                    staging.write(index, *files[index])
                except BaseException as error:  # the caller raises it after undoing the group
                    errors.append(error)
        finally:
            finished[first].set()

    try:
        with interrupts_deferred():  # so that `started` names exactly the threads that run
            for first, event in enumerate(finished):
                threading.Thread(target=write_share, args=(first,)).start()
                started.append(event)
        for event in started:
            event.wait()
    except BaseException:
        staging.stopped = True
        with interrupts_deferred():  # another Ctrl-C must not cut this wait short
            for event in started:
                event.wait()
        raise
    if errors:
        raise errors[0]


class StagedGroup:
    """A group of files written aside (`stage_group`), to be renamed into place by `commit`."""

    def __init__(self, files: Sequence[tuple[Path, str]], staging: _Staging) -> None:
        self._targets = [path for path, _ in files]
        self._staging = staging

    @property
    def renames(self) -> list[tuple[Path, Path]]:
        """Each temp file and its place, in the group's order."""
        temps = [tmp for tmp in self._staging.temps if tmp is not None]
        return list(zip(temps, self._targets, strict=True))

    def commit(self) -> None:
        """Rename every temp file into place, in the group's order; on an error, remove the rest."""
        renames = self.renames
        for index, (tmp, path) in enumerate(renames):
            try:
                os.replace(tmp, path)
            except BaseException:
                for rest, _ in renames[index:]:
                    rest.unlink(missing_ok=True)
                raise

    def discard(self) -> None:
        """Give the group up before `commit`: its temp files and the folders made for them go."""
        self._staging.undo()


def stage_group(files: Sequence[tuple[Path, str]]) -> StagedGroup:
    """Write all `files` to temp files next to their places, large groups with threads.

    A failure while writing (a full disk, a read-only folder, Ctrl-C) leaves no temp file and no new
    folder behind and raises; nothing is in place until `commit`.
    """
    staging = _Staging(len(files))
    try:
        if len(files) < 2 * WRITERS:
            for index, (path, text) in enumerate(files):
                staging.write(index, path, text)
        else:
            _write_in_threads(files, staging)
    except BaseException:
        with interrupts_deferred():  # another Ctrl-C must not cut the clean-up short
            staging.undo()
        raise
    return StagedGroup(files, staging)


def write_group(files: Sequence[tuple[Path, str]]) -> None:
    """Write all `files` aside, then rename them into place in the given order, Ctrl-C held back
    during the renames: the group appears whole or not at all unless the process is killed."""
    staged = stage_group(files)
    with interrupts_deferred():
        staged.commit()


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back until the block ends, then raise it: for a few milliseconds of renames
    that must finish together. Outside the main thread (the app's workers) signals cannot be handled
    here, and the main thread gets them anyway."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    import signal  # only on this path: its enum classes cost start-up time

    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)
        if caught:
            signal.raise_signal(signal.SIGINT)
