"""Modules imported on first use, so that `generate` never pays for psycopg and `migrate` never pays
for the generator: start-up is most of a short command's time (bench/README.md).

Use it behind `if TYPE_CHECKING:` so type checkers still see the real module:

    if TYPE_CHECKING:
        from engine.db import dbactions
    else:
        dbactions = lazy_module("engine.db.dbactions")

The stand-in imports through the normal import system, so it is as thread-safe as `import` and an import
error surfaces as the ImportError it is.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any


class _Deferred(ModuleType):
    """Stands for the module of the same name until an attribute is asked for.

    At each attribute access it finds the module in sys.modules once it is fully imported, and imports
    it through the normal import system otherwise (which waits while another thread is still importing
    it)."""

    def __getattr__(self, attr: str) -> Any:
        module = sys.modules.get(self.__name__)
        if module is None or getattr(module.__spec__, "_initializing", False):
            module = importlib.import_module(self.__name__)
        return getattr(module, attr)


def lazy_module(name: str) -> ModuleType:
    """`name` itself when already imported, else a stand-in that imports it at its first use.

    Nothing is put in sys.modules under the real name until the real import. In a hot loop, bind what
    you need from it once: each access through the stand-in costs a call."""
    return sys.modules.get(name) or _Deferred(name)
