"""What the CLI's commands share: printing, progress lines, the tenant lists of flags, the development
database note and finishing a killed generate at start. It imports no other command module, so the
command modules import it and never each other in a circle."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from snapshift.engine.base.errors import UsageError
from snapshift.engine.base.lazy import lazy_module
from snapshift.engine.base.relpath import RelativeTo
from snapshift.engine.project import Project

if TYPE_CHECKING:
    from snapshift.engine.db import database
    from snapshift.engine.db.runs import ProgressEvent
else:
    database = lazy_module("snapshift.engine.db.database")  # psycopg: not for `generate`


def tenant_list(value: str | None, flag: str) -> list[str] | None:
    """`--only-tenants a,b` as a list (None when the flag is absent)."""
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise UsageError(f"{flag} expects a comma-separated list of tenant schemas")
    return names


def note_development_database(project: Project, repo: str | None) -> None:
    """Say on stderr, every time, when a selected repo has no URL and so uses the embedded development
    database (SPEC 2): a misspelt or unset variable must not go unnoticed."""
    from snapshift.engine.db.devdb import SNAPSHIFT_DIR

    folder = project.root / SNAPSHIFT_DIR
    shown = os.path.relpath(folder) if folder.is_relative_to(Path.cwd()) else str(folder)
    said: set[str] = set()
    for config in project.repos(repo):
        if database.resolve_url(config.url) is not None:
            continue
        raw = (config.url or "").strip()
        variable = raw[4:].strip() if raw.startswith("env:") else None
        reason = f"{variable} is not set" if variable else f"repo '{config.name}' has no url"
        line = f"{reason}: using the development database at {shown}/ (devdb stop to stop it)"
        if line not in said:
            said.add(line)
            print_flushed(line, sys.stderr)


def open_for_database(directory: Path, repo: str | None) -> Project:
    """The project of a command that changes the database: a killed generate's files put in place first,
    and the development database named when a selected repo uses it."""
    project = Project.open(directory)
    finish_interrupted_generate(project)
    note_development_database(project, repo)
    return project


def journal_waits(project: Project, finished_by: str) -> bool:
    """For a command that only reads: whether a killed generate's journal waits, said with the commands
    that finish it (`finished_by`), since reading on would plan without its files."""
    if not project.interrupted_generate_pending():
        return False
    print_flushed(
        "Pending changes: an interrupted generate left its journal (.snapshift-pending.json); "
        f"run {finished_by} to finish it."
    )
    return True


def finish_interrupted_generate(project: Project) -> None:
    """Once at the start of a command that writes: put in place the files of a generate that was killed
    while it renamed them, and say which (exit 2 when its journal asks for anything else)."""
    placed = project.finish_interrupted_generate()
    if placed:
        print_flushed(f"Finished an interrupted generate: {len(placed)} file(s) put in place.")
        print_created(project.root, placed)


def print_created(root: Path, paths: Sequence[Path]) -> None:
    """A `* creating <path>` line for each file written, the path relative to the project, in one write."""
    if paths:
        relative = RelativeTo(root)
        print_flushed("\n".join(f"* creating {relative(path)}" for path in paths))


def interactive() -> bool:
    """Both ends on a terminal: a command may ask (questions, confirmations)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def print_flushed(text: str, stream: TextIO | None = None) -> None:
    """A line on stdout (or `stream`), flushed at once: progress shows as it happens."""
    print(text, file=stream or sys.stdout, flush=True)


class ProgressPrinter:
    """Prints progress events: one line per migration, one line per tenant at most."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tenant_work: dict[str, list[str]] = {}
        self._verb = "applied"

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self._show(event)

    def _show(self, event: ProgressEvent) -> None:
        took = f" ({event.elapsed:.2f}s)" if event.elapsed is not None else ""
        label = f"{event.version}_{event.name}" if event.version is not None else ""
        if event.kind == "waiting" or (event.kind == "skipped" and event.tenant is None):
            print_flushed(f"== {event.message}")
        elif event.tenant is None:
            if event.kind == "start" and "outside a transaction" in event.message:
                print_flushed(f"== {event.message}")
            elif event.kind in ("applied", "rolled_back"):
                print_flushed(f"== {event.kind.replace('_', ' ')} {label}{took}")
        elif event.kind in ("applied", "rolled_back"):
            self._tenant_work.setdefault(event.tenant, []).append(label)
            self._verb = event.kind.replace("_", " ")
        elif event.kind == "tenant_done":
            labels = self._tenant_work.pop(event.tenant, [])
            what = labels[0] if len(labels) == 1 else f"{len(labels)} migrations"
            print_flushed(f"   {event.tenant}: {self._verb} {what}{took}")
        elif event.kind == "failed":
            self._tenant_work.pop(event.tenant, None)
            first = event.message.splitlines()[0] if event.message else "failed"
            print_flushed(f"!! {first}{took}", sys.stderr)
