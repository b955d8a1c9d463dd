"""`snapshift tui` hands the app a collector that is on, with what start-up loaded frozen out of its walks."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.terminal import ROOT, python

PROBE = """
import gc, sys
from snapshift.tui.app import SnapshiftApp
SnapshiftApp.run = lambda self: print("collector", gc.isenabled(), gc.get_freeze_count() > 10_000)
sys.argv = ["snapshift", "-C", sys.argv[1], "tui"]
from snapshift.tui.cli.main import run
run()
"""


def test_the_app_starts_with_the_collector_on_and_start_up_frozen(tmp_path: Path) -> None:
    blog = tmp_path / "blog"
    shutil.copytree(ROOT / "examples" / "blog", blog, ignore=shutil.ignore_patterns(".snapshift"))
    probe = python(PROBE, str(blog))
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["collector", "True", "True"]
