"""`generate` and a cold `generate --check` of this tree against another checkout, run by run.

Usage: `.venv/bin/python bench/ab.py --other DIR [--n 1000] [--runs 9] [--varied] [--unforked]`

On this host the CPU speed moves from minute to minute, so two trees timed one after the other can
differ by more than the change being measured: every round here runs each variant once, in turn, on
the same synthetic (or `--varied`) project. The variants are this tree and `--other`, a checkout of an
older commit (`git worktree add --detach DIR COMMIT`), imported from its own folder whatever its layout
(`snapshift.tui.cli.main`, or the top-level `tui.cli` of before issue 13); with `--unforked`, the other
tree once more with its `engine/aside.py` fork switched off, the fair one-process comparison. Each run
is a whole process started from the bench's plain venv (bench/launcher.py), timed with `os.wait4`:
wall time, and the CPU time of the process and its children.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from generate import Run, build_project, child_env, expect, run_child
from launcher import plain_venv

REPO = Path(__file__).resolve().parent.parent

# Imports the CLI of the tree in argv[1] (either layout) and runs it on the rest of argv; UNFORKED=1
# switches off the old engine's fork (engine/aside.py) when the tree has one.
LAUNCH = """\
import os, sys
tree = sys.argv.pop(1)
packaged = os.path.isdir(os.path.join(tree, ".importpath"))
sys.path.insert(0, os.path.join(tree, ".importpath") if packaged else tree)
if packaged:
    from snapshift.tui.cli.main import run
else:
    from tui.cli import run
    if os.environ.get("UNFORKED"):
        import engine.aside
        engine.aside.FORK_FROM = 10**9
sys.argv[0] = "snapshift"
run()
"""


@dataclass(frozen=True)
class Variant:
    label: str
    tree: Path
    unforked: bool = False


def timed(variant: Variant, python: Path, script: Path, env: dict[str, str], args: list[str]) -> Run:
    child = {**env, "UNFORKED": "1"} if variant.unforked else env
    return run_child([str(python), str(script), str(variant.tree), *args], child)


def compare(variants: list[Variant], n: int, runs: int, varied: bool, rest: float, work: Path) -> None:
    python = plain_venv(work)
    script = work / "launch.py"
    script.write_text(LAUNCH)
    env = child_env(work)
    cache = Path(env["XDG_CACHE_HOME"]) / "snapshift"
    template = build_project(work / "template", n, varied)
    checked = {}
    for index, variant in enumerate(variants):  # each variant's own generated project for --check
        project = work / f"check-{index}"
        shutil.copytree(template, project)
        expect(timed(variant, python, script, env, ["-C", str(project), "generate"]), 0, "generate")
        checked[variant.label] = project
    results: dict[tuple[str, str], list[Run]] = {}
    for round_ in range(runs):
        order = variants if round_ % 2 == 0 else list(reversed(variants))
        for variant in order:
            project = work / f"gen-{round_}-{variant.label}"
            shutil.copytree(template, project)
            os.sync()
            time.sleep(rest)  # the previous run's file creation and deletion settle first
            args = ["-C", str(project), "generate"]
            results.setdefault(("generate", variant.label), []).append(
                expect(timed(variant, python, script, env, args), 0, "generate")
            )
            shutil.rmtree(cache, ignore_errors=True)  # cold: no clean cache, as on a fresh clone or in CI
            args = ["-C", str(checked[variant.label]), "generate", "--check"]
            results.setdefault(("check", variant.label), []).append(
                expect(timed(variant, python, script, env, args), 0, "generate --check")
            )
    header = ("command", "variant", "best s", "median s", "cpu s", "RSS MiB", "this tree against it")
    print("{:<9}{:<22}{:>8}{:>10}{:>8}{:>9}  {}".format(*header))
    for command in ("generate", "check"):
        ours = statistics.median(r.seconds for r in results[(command, variants[0].label)])
        for variant in variants:
            rs = results[(command, variant.label)]
            median = statistics.median(r.seconds for r in rs)
            against = "" if variant is variants[0] else f"{(ours / median - 1) * 100:+.0f} % (median)"
            print(
                f"{command:<9}{variant.label:<22}{min(r.seconds for r in rs):>8.3f}{median:>10.3f}"
                f"{statistics.median(r.cpu for r in rs):>8.3f}{max(r.rss_mib for r in rs):>9.1f}  {against}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--other", type=Path, required=True, help="a checkout of the commit to compare with")
    parser.add_argument("--n", type=int, default=1000, help="resources in the project (default 1000)")
    parser.add_argument("--runs", type=int, default=9, help="rounds; each runs every variant once")
    parser.add_argument("--varied", action="store_true", help="resources whose lines never repeat")
    parser.add_argument("--unforked", action="store_true", help="also the other tree with its fork off")
    parser.add_argument("--rest", type=float, default=2.0, help="seconds of rest before each generate")
    args = parser.parse_args(argv)
    other = args.other.resolve()
    if not (other / "engine").is_dir():
        parser.error(f"--other {other}: not a snapshift checkout")
    variants = [Variant("this tree", REPO), Variant(f"other ({other.name})", other)]
    if args.unforked:
        variants.append(Variant("other, no fork", other, unforked=True))
    with tempfile.TemporaryDirectory(prefix="snapshift-ab-") as tmp:
        print(
            f"{args.n} {'varied' if args.varied else 'synthetic'} resources, {args.runs} rounds", flush=True
        )
        compare(variants, args.n, args.runs, args.varied, args.rest, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
