"""Paths relative to the project: `os.path.relpath`'s text for many paths under one root (a generate of
1,000 tables journals 2,000 and prints 1,000, where relpath's normalizing costs more than the rest of the
line), and a path as messages show it."""

from __future__ import annotations

import os
from pathlib import Path


class RelativeTo:
    """`os.path.relpath(path, root)`, the same text: a normalized absolute path under `root` is cut
    without a call."""

    def __init__(self, root: Path | str) -> None:
        self.root = root
        self.prefix = os.path.join(os.path.abspath(root), "")

    def __call__(self, path: Path | str) -> str:
        text = os.fspath(path)
        if text.startswith(self.prefix):
            rest = text[len(self.prefix) :]
            probe = f"{os.sep}{rest}{os.sep}"  # normalized: no empty, "." or ".." part (normpath costs more)
            if not any(part in probe for part in _NOT_NORMAL) and (not os.altsep or os.altsep not in rest):
                return rest
        return os.path.relpath(path, self.root)


_NOT_NORMAL = (os.sep * 2, f"{os.sep}.{os.sep}", f"{os.sep}..{os.sep}")


def shown_path(root: Path, path: Path) -> str:
    """`path` as messages and views show it: relative to `root` when inside it, else whole."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
