"""engine.base.lazy: deferred modules load once, from any thread, and fail like a normal import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from snapshift.engine.base.lazy import lazy_module
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT

FIRST_USE_FROM_THREADS = """
import sys, threading
import snapshift.engine.project as project
assert "snapshift.engine.autogen.generate" not in sys.modules, "imported eagerly"
barrier, errors = threading.Barrier(8), []
def use():
    barrier.wait()
    try:
        project.generator.GenerateOptions()
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=use) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
assert not errors, errors
import snapshift.engine.autogen.generate
assert snapshift.engine.autogen.generate.GenerateOptions is project.generator.GenerateOptions
print("ok")
"""


@pytest.mark.parametrize("attempt", range(3))
def test_first_use_from_several_threads_at_once(attempt: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FIRST_USE_FROM_THREADS], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_a_missing_module_fails_as_an_import_at_every_use() -> None:
    missing = lazy_module("snapshift.engine.no_such_module")
    for _ in range(2):
        with pytest.raises(ModuleNotFoundError):
            _ = missing.anything
    assert "snapshift.engine.no_such_module" not in sys.modules


def test_an_imported_module_is_returned_itself() -> None:
    import snapshift.engine.base.errors

    assert lazy_module("snapshift.engine.base.errors") is snapshift.engine.base.errors
