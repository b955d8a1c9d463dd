"""Benchmark the app's re-plan (issue 13, acceptance 2): one resource file edited, then
`state.refresh([path])` + `plan(state)` in this process, as the app's worker does on every save.

Usage: `.venv/bin/python bench/replan.py [N ...] [--edits K]`

For each N (default 1000) a synthetic project (bench/generate.py's resources) is generated once, so that
every table has a snapshot; then K edits (default 30) each rewrite one resource file, alternating between
adding a column and restoring it, on files spread over the project, and the refresh and the plan are
timed separately. The bundled example (examples/blog) is measured the same way.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from generate import build_project

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from snapshift.engine.autogen.generate import write_generation  # noqa: E402
from snapshift.engine.resources.config import load_config  # noqa: E402
from snapshift.engine.state import ProjectState, plan, read_state  # noqa: E402

AIMS_MS = {"example": 10.0, 1000: 50.0}
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def generated(root: Path) -> ProjectState:
    """The project's state after a first generate wrote every snapshot."""
    state = read_state(load_config(root / "snapshift.toml"))
    write_generation(plan(state, now=NOW), root)
    return read_state(state.config)


def edit(path: Path, original: str, round_: int) -> None:
    """Odd rounds add a column, even ones restore the file: every re-plan has something to find or lose."""
    if round_ % 2:
        column = f'extra_{round_} = {{ type = "text" }}'
        path.write_text(original.replace("[attributes]\n", f"[attributes]\n{column}\n", 1))
    else:
        path.write_text(original)


def measure(label: str, root: Path, edits: int) -> None:
    state = generated(root)
    files = sorted(state.resources)
    refresh_ms, plan_ms = [], []
    path, original = files[0], files[0].read_text()
    for round_ in range(1, edits + 1):
        if round_ % 2:  # a new file to edit; the next round restores it
            path = files[(round_ * 7919) % len(files)]
            original = path.read_text()
        edit(path, original, round_)
        start = time.perf_counter()
        state = state.refresh([path])
        middle = time.perf_counter()
        generation = plan(state, now=NOW)
        end = time.perf_counter()
        assert generation.has_changes == bool(round_ % 2), (label, round_)
        refresh_ms.append((middle - start) * 1000)
        plan_ms.append((end - middle) * 1000)
    total = [a + b for a, b in zip(refresh_ms, plan_ms, strict=True)]
    aim = AIMS_MS.get("example" if label == "example" else int(label.split()[0]), 0.0)
    print(
        f"{label:>14}: refresh median {statistics.median(refresh_ms):6.1f} ms, plan median "
        f"{statistics.median(plan_ms):6.1f} ms, refresh + plan median {statistics.median(total):6.1f} ms "
        f"(best {min(total):.1f}, worst {max(total):.1f}; aim {aim:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000])
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="snapshift-replan-") as work:
        example = Path(work) / "example"
        shutil.copytree(
            REPO / "examples" / "blog", example, ignore=shutil.ignore_patterns(".snapshift", "priv")
        )
        measure("example", example, args.edits)
        for n in args.sizes:
            measure(f"{n} resources", build_project(Path(work) / f"n{n}", n), args.edits)
            varied = build_project(Path(work) / f"v{n}", n, varied=True)
            measure(f"{n} varied", varied, args.edits)


if __name__ == "__main__":
    main()
