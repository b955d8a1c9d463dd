"""Watching the files a plan reads: one callback per burst of changes, a few tens of ms after it ends.

watchfiles groups changes until none came for `step` ms (capped at `debounce` ms); its default of
1.6 s is far too slow for live feedback. Two watches run: the plan's folders, deeply, and the
project's root folder, flatly (the config, and folders that do not exist yet), so a large project
tree beside them (.git, .venv, the dev database) is never walked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from watchfiles import watch

STEP_MS = 15
DEBOUNCE_MS = 120
IGNORED_PARTS = frozenset({".git", ".snapshift", ".venv", "__pycache__", "node_modules"})
IGNORED_SUFFIXES = (".swp", ".swx", "~", ".tmp")
IGNORED_NAMES = frozenset({".snapshift-pending.json"})  # generate's journal, in place while it writes

Changed = Callable[[frozenset[Path]], None]


def relevant(path: Path) -> bool:
    """Editors' swap and backup files and the folders snapshift or git keep are not input."""
    if any(part in IGNORED_PARTS for part in path.parts):
        return False
    if path.name in IGNORED_NAMES:
        return False
    return not path.name.endswith(IGNORED_SUFFIXES) and not path.name.startswith(".#")


class Watcher:
    """Watches `folders` deeply and `root` flatly, calling `changed` (from a thread) once per burst."""

    def __init__(self, root: Path, folders: Sequence[Path], changed: Changed) -> None:
        self.root = root
        self.folders = [f for f in folders if f.is_dir() and f != root]
        self.changed = changed
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def targets(self) -> list[tuple[list[str], bool]]:
        """(paths, recursive) for each watch loop: the plan's folders deeply, the root flatly."""
        deep = [str(folder) for folder in self.folders]
        return ([(deep, True)] if deep else []) + [([str(self.root)], False)]

    def start(self) -> None:
        """Run every watch loop in a daemon thread (the app runs them in its own workers instead)."""
        for paths, recursive in self.targets():
            thread = threading.Thread(target=self.run, args=(paths, recursive), daemon=True, name="watcher")
            self.threads.append(thread)
            thread.start()

    def run(self, paths: list[str], recursive: bool) -> None:
        """One watch loop; returns once `stop` is called."""
        for changes in watch(
            *paths,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=self.stop_event,
            recursive=recursive,
            raise_interrupt=False,
            yield_on_timeout=False,
        ):
            found = frozenset(Path(path) for _, path in changes if relevant(Path(path)))
            if found:
                self.changed(found)

    def stop(self) -> None:
        self.stop_event.set()
