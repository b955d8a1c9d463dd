"""The command palette (ctrl+p): every action of the app, found by fuzzy search (Posting's pattern)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ActionsApp(Protocol):
    """What the palette needs of the app (`tui.app.SnapshiftApp`), without importing it: no cycle."""

    ACTIONS: Sequence[tuple[str, str, str]]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None: ...


class ActionsProvider(Provider):
    """One hit per action in `SnapshiftApp.ACTIONS`; disabled actions are left out while a job runs."""

    def _commands(self) -> list[tuple[str, str, str]]:
        app: ActionsApp = self.app  # type: ignore[assignment]
        return [
            (title, action, help_text)
            for action, title, help_text in app.ACTIONS
            if app.check_action(action, ()) is True
        ]

    async def discover(self) -> Hits:
        for title, action, help_text in self._commands():
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(title), partial(self.app.run_action, action), help=help_text
                )
