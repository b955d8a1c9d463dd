"""Modules imported on first use, so that `generate` never pays for psycopg and `migrate` never pays
for the generator: start-up is most of a short command's time (bench/README.md).

Use it behind `if TYPE_CHECKING:` so type checkers still see the real module:

    if TYPE_CHECKING:
        from engine import dbactions
    else:
        dbactions = lazy_module("engine.dbactions")
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """`name` as a module object whose code runs at its first attribute access."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
