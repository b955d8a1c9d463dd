"""Say what a migration waits for: after a second on a lock, the table and the session holding it.

A migration whose ALTER TABLE queues behind another session's lock waits silently while every reader of
that table queues behind it. So one watcher thread per run asks the server which sessions block the
migrations that have run for a second or more (`pg_blocking_pids`), reports each wait once as a
"waiting" progress event, and keeps the description for the error that a `lock_timeout` raises.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import psycopg

from snapshift.engine.base.errors import DatabaseError
from snapshift.engine.base.migrations import MigrationFile
from snapshift.engine.db.runs import Emitter

FIRST_LOOK = 1.0  # seconds a migration runs before the watcher asks what it waits for
POLL = 0.25  # seconds between the watcher's looks

_BLOCKERS = """
SELECT w.pid, b.pid, coalesce(b.application_name, ''), coalesce(b.state, ''),
       coalesce(extract(epoch FROM now() - b.xact_start)::int, 0),
       (SELECT string_agg(DISTINCT l.relation::regclass::text, ', ') FROM pg_locks l
         WHERE l.pid = w.pid AND NOT l.granted AND l.relation IS NOT NULL)
FROM unnest(%s::int[]) AS w(pid)
CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid)
JOIN pg_stat_activity b ON b.pid = blocker.pid
ORDER BY 1, 2
"""


@dataclass
class _Watched:
    migration: MigrationFile
    tenant: str | None
    since: float
    reported: bool = False


class LockWatch:
    """One run's watcher; `watching(conn, migration, tenant)` around each migration's statements."""

    def __init__(self, connect: Callable[[], psycopg.Connection[Any]], emit: Emitter) -> None:
        self._connect = connect
        self._emit = emit
        self._watched: dict[int, _Watched] = {}
        self._blockers: dict[int, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection[Any] | None = None

    def __enter__(self) -> LockWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()

    @contextmanager
    def watching(
        self, conn: psycopg.Connection[Any], migration: MigrationFile, tenant: str | None
    ) -> Iterator[None]:
        """Watch `migration` on `conn` while the block runs. Registering costs a dict entry: a run of a
        thousand quick tenant migrations never opens the watcher's own connection."""
        pid = conn.info.backend_pid
        with self._lock:
            self._watched[pid] = _Watched(migration, tenant, time.monotonic())
            self._blockers.pop(pid, None)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lockwatch", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._watched.pop(pid, None)

    def blocker(self, conn: psycopg.Connection[Any]) -> str | None:
        """What the migration on `conn` was last seen waiting for, if it waited long enough to look."""
        with self._lock:
            return self._blockers.get(conn.info.backend_pid)

    def _run(self) -> None:
        while not self._stop.wait(POLL):
            now = time.monotonic()
            with self._lock:
                due = {
                    pid: w
                    for pid, w in self._watched.items()
                    if not w.reported and now - w.since >= FIRST_LOOK
                }
            if due:
                with suppress(psycopg.Error, DatabaseError):
                    self._look(due)

    def _look(self, due: dict[int, _Watched]) -> None:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
            self._conn.autocommit = True
        rows = self._conn.execute(_BLOCKERS, (list(due),)).fetchall()
        holders: dict[int, list[str]] = {}
        tables: dict[int, str] = {}
        for pid, blocker, application, state, open_for, table in rows:
            holders.setdefault(pid, []).append(
                f"pid {blocker} (application {application or '-'!r}, {state or 'state unknown'}, "
                f"transaction open {open_for} s)"
            )
            if table:
                tables[pid] = table
        for pid, sessions in holders.items():
            watched = due[pid]
            what = f"a lock on {tables[pid]}" if pid in tables else "a lock"
            description = f"{what}, held by {'; '.join(sessions)}"
            with self._lock:
                if self._watched.get(pid) is not watched:
                    continue  # finished meanwhile
                watched.reported = True
                self._blockers[pid] = description
            self._emit(
                "waiting",
                f"{watched.migration.label} waits for {description}",
                migration=watched.migration,
                tenant=watched.tenant,
            )
