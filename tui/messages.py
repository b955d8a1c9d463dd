"""The messages workers post to the app: small, typed, past tense. Handlers on the app own all state."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from snapshift.tui.views import DatabaseInfo, MigrationsView, PlanProblems, PlanView


class FilesChanged(Message):
    """A burst of file changes under the watched folders; bursts not yet handled merge into one."""

    def __init__(self, paths: frozenset[Path]) -> None:
        super().__init__()
        self.paths = paths

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, FilesChanged):
            self.paths = self.paths | message.paths
            return True
        return False


class PlanComputed(Message):
    """A re-plan finished: the view, and the number of the request it answers (older ones are stale)."""

    def __init__(self, view: PlanView | PlanProblems, request: int) -> None:
        super().__init__()
        self.view = view
        self.request = request


class DatabaseChecked(Message):
    def __init__(self, info: DatabaseInfo | None, error: str | None = None) -> None:
        super().__init__()
        self.info = info
        self.error = error


class MigrationsListed(Message):
    def __init__(self, view: MigrationsView) -> None:
        super().__init__()
        self.view = view


class JobProgressed(Message):
    """A step of a database job: `done` of `total` (0 total: no count known), and a line for the log."""

    def __init__(self, text: str | None, done: int, total: int) -> None:
        super().__init__()
        self.text = text
        self.done = done
        self.total = total


class JobFinished(Message):
    """A job ended: `error` is None when it succeeded; `summary` says what it did; `report` is what
    verify and drift found, for their screens."""

    def __init__(self, job: str, summary: str, error: str | None = None, report: object = None) -> None:
        super().__init__()
        self.job = job
        self.summary = summary
        self.error = error
        self.report = report
