"""Benchmark `snapshift generate` on a synthetic project of N resources (issue 2, acceptance item 7).

Usage: `.venv/bin/python bench/generate.py [N ...] [--runs K] [--keep DIR] [--profile]`

Each resource has 12 columns of varied types with defaults, an identity, a custom index, a check
constraint and a foreign key to an earlier table. Both commands are timed as whole processes (the
interpreter start and every import included), because that is what a user or a CI job waits for:

- `generate` from scratch: a fresh copy of the project (no snapshots, no migrations) for every run;
- `generate --check` with nothing to do, on the project that run produced: cold (`check`: no clean
  cache, as on a fresh clone or in CI) and again once the clean cache is stored (`cached`).

Peak RSS is the child's own `ru_maxrss` from `os.wait4`, so runs do not blur into each other.
`--profile` adds, per N, the time of each engine phase (measured in this process without a profiler), and
for the largest N `-X importtime` and cProfile summaries of both commands (`--top 0`: no cProfile).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib
import io
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host import file_creation_probe, reference_loop
from launcher import snapshift_argv, startup_argv, user_environ

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"generate": 0.4, "check": 0.2, "cached": 0.2}  # seconds at N = 1000
RSS_TARGET_MIB = 100.0
CONFIG = 'resources = ["resources/**/*.toml"]\n\n[repos.repo]\nurl = "env:SNAPSHIFT_BENCH_UNUSED_URL"\n'


# --- the synthetic project ------------------------------------------------------------------------


def resource_text(i: int) -> str:
    """Resource number i: 12 columns, an identity, an index, a check, a FK to an earlier table."""
    table = f"t{i:05d}"
    parent = f"t{(i * 7919) % i:05d}" if i else None
    fk = (
        f'parent_id = {{ type = "bigint", references = {{ table = "{parent}", on_delete = "nilify" }} }}'
        if parent
        else 'parent_id = { type = "bigint" }'
    )
    return f"""table = "{table}"

[attributes]
id = {{ type = "identity", primary_key = true }}
{fk}
name = {{ type = "string", allow_nil = false }}
slug = {{ type = "varchar", size = 80, allow_nil = false }}
price = {{ type = "decimal", precision = 10, scale = 2, default = 0 }}
quantity = {{ type = "integer", allow_nil = false, default = 1 }}
active = {{ type = "boolean", allow_nil = false, default = true }}
ratio = {{ type = "float", default = 0.5 }}
tags = {{ type = "text[]", default = "'{{}}'" }}
meta = {{ type = "map", allow_nil = false, default = "'{{}}'::jsonb" }}
status = {{ type = "string", allow_nil = false, default = "'draft'" }}
inserted_at = {{ type = "utc_datetime_usec", allow_nil = false, default = "now()" }}

[identities]
unique_slug = {{ keys = ["slug"] }}

[[indexes]]
fields = ["name", "inserted_at desc"]
where = "active"

[[check_constraints]]
name = "{table}_price_positive"
check = "price >= 0"
attributes = ["price"]
"""


_VARIED_TYPES = [
    ("bigint", lambda i: str(i * 7)),
    ("text", lambda i: f"\"'v{i}'\""),
    ("varchar", lambda i: f"\"'s{i % 97}'\""),
    ("numeric", lambda i: f"{i % 1000}.{i % 10}"),
    ("integer", lambda i: str(i % 50_000)),
    ("boolean", lambda i: "true" if i % 2 else "false"),
    ("timestamptz", lambda i: '"now()"'),
    ("jsonb", lambda i: f'"\'{{\\"k{i}\\": {i}}}\'::jsonb"'),
    ("date", lambda i: '"current_date"'),
    ("smallint", lambda i: str(i % 30_000)),
]


def varied_resource_text(i: int) -> str:
    """Resource number i with no line like another file's: every column name, type, size and default
    differs from table to table, as do the identity, index and check (the parser cannot lean on repeats)."""
    table = f"v{i:05d}_{(i * 2654435761) % 100_000:05d}"
    columns = [f'id_{i} = {{ type = "bigint", primary_key = true, generated = true }}']
    for k in range(10):
        kind, default = _VARIED_TYPES[(i + k * 3) % len(_VARIED_TYPES)]
        size = f", size = {20 + (i + k) % 200}" if kind == "varchar" else ""
        precision = f", precision = {12 + k}, scale = {k % 5}" if kind == "numeric" else ""
        nullable = f", allow_nil = {'false' if (i + k) % 3 else 'true'}"
        columns.append(
            f'col_{i}_{k} = {{ type = "{kind}"{size}{precision}{nullable}, default = {default(i + k)} }}'
        )
    parent = f'parent_{i} = {{ type = "bigint" }}'
    if i:
        target = (i * 7919) % i
        parent = (
            f'parent_{i} = {{ type = "bigint", references = {{ table = "v{target:05d}_'
            f'{(target * 2654435761) % 100_000:05d}", column = "id_{target}", on_delete = "nilify" }} }}'
        )
    columns.append(parent)
    int_column = next(k for k in range(10) if _VARIED_TYPES[(i + k * 3) % len(_VARIED_TYPES)][0] == "bigint")
    return "\n".join(
        [
            f'table = "{table}"',
            "",
            "[attributes]",
            *columns,
            "",
            "[identities]",
            f'unique_{i} = {{ keys = ["col_{i}_0", "col_{i}_1"] }}',
            "",
            "[[indexes]]",
            f'fields = ["col_{i}_2", "col_{i}_3 desc"]',
            f'where = "col_{i}_{int_column} > {i % 1000}"',
            "",
            "[[check_constraints]]",
            f'name = "{table}_check_{i}"',
            f'check = "col_{i}_{int_column} >= {-(i % 500)}"',
            f'attributes = ["col_{i}_{int_column}"]',
            "",
        ]
    )


def build_project(root: Path, n: int, varied: bool = False) -> Path:
    """Write snapshift.toml and n resource files under root (created); return root."""
    resources = root / "resources"
    resources.mkdir(parents=True)
    (root / "snapshift.toml").write_text(CONFIG)
    text = varied_resource_text if varied else resource_text
    for i in range(n):
        (resources / f"t{i:05d}.toml").write_text(text(i))
    return root


# --- running and measuring ------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu: float
    rss_mib: float
    code: int
    stdout: str


def run_child(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Run argv to completion; wall time and this child's own peak RSS (os.wait4, not RUSAGE_CHILDREN)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    return Run(
        seconds,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        proc.returncode,
        out.decode(errors="replace"),
    )


def child_env(work: Path) -> dict[str, str]:
    """The children's environment: bytecode cached under work (as an installed package would have it).

    PYTHONDONTWRITEBYTECODE would make every run compile all modules from source, which no user pays.
    """
    env = user_environ()
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["XDG_CACHE_HOME"] = str(work / "xdg-cache")  # the clean cache, measured apart (see bench)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("DATABASE_URL", None)
    return env


def startup(runs: int, work: Path) -> list[Run]:
    """The floor: a process that only imports the CLI (after one warm-up run that fills the pyc cache)."""
    argv = startup_argv(work)
    env = child_env(work)
    expect(run_child(argv, env), 0, "import snapshift.tui.cli.main")
    return [expect(run_child(argv, env), 0, "import snapshift.tui.cli.main") for _ in range(runs)]


def expect(run: Run, code: int, what: str) -> Run:
    if run.code != code:
        raise SystemExit(f"{what} exited {run.code}, expected {code}:\n{run.stdout}")
    return run


@dataclass(frozen=True)
class Result:
    n: int
    generate: list[Run]
    check: list[Run]
    cached: list[Run]  # --check again, answered from the clean cache (engine/autogen/cleancache.py)
    files: int


def bench(n: int, runs: int, work: Path, varied: bool = False) -> Result:
    template = build_project(work / f"template-{n}", n, varied)
    cmd, env = snapshift_argv(work), child_env(work)
    generate: list[Run] = []
    project = template
    for k in range(runs):
        project = work / f"run-{n}-{k}"
        shutil.copytree(template, project)
        os.sync()  # the copy's (and the last run's) writeback happens now, not during the timed run
        generate.append(expect(run_child([*cmd, "-C", str(project), "generate"], env), 0, "generate"))
    files = sum(1 for p in (project / "priv").rglob("*") if p.is_file())
    check_argv = [*cmd, "-C", str(project), "generate", "--check"]
    time.sleep(0.2)  # past the clean cache's racy window, as between a user's commands
    cache = Path(env["XDG_CACHE_HOME"]) / "snapshift"
    check = []
    for _ in range(runs):  # cold: no clean cache, the full plan (a fresh clone, CI)
        shutil.rmtree(cache, ignore_errors=True)
        check.append(expect(run_child(check_argv, env), 0, "generate --check"))
    assert any(cache.glob("clean-*.json")), "the clean --check did not store the cache"
    cached = [expect(run_child(check_argv, env), 0, "generate --check") for _ in range(runs)]
    return Result(n, generate, check, cached, files)


# --- reporting ------------------------------------------------------------------------------------


def _row(label: str, n: int, rs: list[Run], base: list[Run] | None) -> str:
    best = min(r.seconds for r in rs)
    median = statistics.median(r.seconds for r in rs)
    rss = max(r.rss_mib for r in rs)
    cpu = min(r.cpu for r in rs)
    ratio = f"{best / min(r.seconds for r in base):5.2f}x" if base else "     "
    cpu_ratio = f"{cpu / min(r.cpu for r in base):5.2f}x" if base else "     "
    target = TARGETS.get(label) if n == 1000 else None
    verdict = "" if target is None else ("ok" if best < target and rss < RSS_TARGET_MIB else "MISS")
    size = str(n) if n else "-"
    times = f"{best:>9.3f}{median:>9.3f}{cpu:>8.3f}{rss:>9.1f}"
    return f"{label:<9}{size:>6}{times}   {ratio}   {cpu_ratio}  {verdict}"


def print_table(results: list[Result], floor: list[Run]) -> None:
    print(
        f"\n{'command':<9}{'N':>6}{'best s':>9}{'median s':>9}{'cpu s':>8}{'RSS MiB':>9}"
        "   ratio   cpu ratio  target"
    )
    first = results[0]
    for label in ("generate", "check", "cached"):
        for r in results:
            rs = getattr(r, label)
            base = getattr(first, label) if r is not first else None
            print(_row(label, r.n, rs, base))
    print(_row("startup", 0, floor, None) + "  (python -c 'import snapshift.tui.cli.main': the floor)")
    print(
        f"\n'ratio' is best wall (cpu: user+sys) time against N={first.n}; linear growth is N/{first.n} "
        f"({', '.join(f'{r.n / first.n:g}' for r in results[1:]) or '-'})."
    )
    print(
        f"targets at N=1000: generate < {TARGETS['generate']} s, --check < {TARGETS['check']} s, "
        f"RSS < {RSS_TARGET_MIB:g} MiB"
    )
    for r in results:
        print(f"N={r.n}: generate wrote {r.files} files")


def machine(work: Path) -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, {model}, Python {sys.version.split()[0]}, load average {load}, "
        f"reference loop {reference_loop() * 1000:.0f} ms, file creation {file_creation_probe(work):.0f} us"
    )


# --- profiling ------------------------------------------------------------------------------------


def import_times(project: Path, args: list[str], work: Path) -> list[tuple[int, str]]:
    """Cumulative import time (us) per top-level package, from `python -X importtime`."""
    python, script = snapshift_argv(work)
    proc = subprocess.run(
        [python, "-X", "importtime", script, "-C", str(project), *args],
        cwd=REPO,
        env=child_env(work),
        capture_output=True,
        text=True,
        check=False,
    )
    totals: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2]
        if name.startswith(" ") and not name.startswith("  "):  # depth 0: counted once, children inside
            top = name.strip().split(".")[0]
            totals[top] = totals.get(top, 0) + int(parts[1])
    return sorted(((us, name) for name, us in totals.items()), reverse=True)


PHASES = (
    ("snapshift.engine.project", "load_config", "config"),
    ("snapshift.engine.autogen.cleancache", "known_clean", "clean cache: look up"),
    ("snapshift.engine.resources.loading", "load_resource_files", "load resources (TOML + validation)"),
    ("snapshift.engine.autogen.generate", "plan_generation", "plan_generation (total)"),
    ("snapshift.engine.autogen.generate", "load_state", "  read snapshots"),
    ("snapshift.engine.autogen.generate", "diff", "  diff"),
    ("snapshift.engine.autogen.plan", "plan_migrations", "  order + fold FKs + render SQL"),
    ("snapshift.engine.base.migrations", "render_migration_file", "  migration file text"),
    ("snapshift.engine.autogen.generate", "table_to_json", "  snapshot JSON (table_to_json)"),
    ("snapshift.engine.autogen.cleancache", "fingerprint", "clean cache: stat what the plan read"),
    ("snapshift.engine.autogen.cleancache", "store", "clean cache: store"),
    ("snapshift.engine.autogen.generate", "write_generation", "write files"),
)


@dataclass
class Timer:
    calls: int = 0
    seconds: float = 0.0


def _timed(fn: Callable[..., Any], timer: Timer) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timer.seconds += time.perf_counter() - start
            timer.calls += 1

    return wrapper


def _cli_main() -> Callable[[list[str]], int]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from snapshift.tui.cli.main import main  # the repo is importable only now

    return main


def phase_times(project: Path, args: list[str]) -> tuple[float, dict[str, Timer]]:
    """One CLI run in this process (imports already done) with the engine's phases timed, no profiler.

    The engine's functions are wrapped where the caller looks them up (module globals, or the module a
    function imports from when it runs); a phase whose function no longer exists there is left out.
    Indented rows are calls made from engine.autogen.generate.
    """
    main = _cli_main()
    timers: dict[str, Timer] = {}
    saved: list[tuple[Any, str, Any]] = []
    for module_name, attr, label in PHASES:
        module = importlib.import_module(module_name)
        fn = getattr(module, attr, None)
        if fn is None:
            continue
        timers[label] = Timer()
        saved.append((module, attr, fn))
        setattr(module, attr, _timed(fn, timers[label]))
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            start = time.perf_counter()
            code = main(["-C", str(project), *args])
            total = time.perf_counter() - start
    finally:
        for module, attr, fn in saved:
            setattr(module, attr, fn)
    if code != 0:
        raise SystemExit(f"snapshift {' '.join(args)} exited {code} in the phase run")
    return total, timers


def print_phases(n: int, template: Path, work: Path, runs: int) -> None:
    """Best-of-runs phase table for generate from scratch and for --check with nothing to do."""
    best: dict[str, dict[str, Timer]] = {"generate": {}, "generate --check": {}}
    totals: dict[str, float] = {}
    for k in range(runs):
        project = work / f"phases-{n}-{k}"
        shutil.copytree(template, project)
        for args in (["generate"], ["generate", "--check"]):
            label = " ".join(args)
            total, timers = phase_times(project, args)
            totals[label] = min(totals.get(label, total), total)
            for phase, timer in timers.items():
                old = best[label].get(phase)
                if old is None or timer.seconds < old.seconds:
                    best[label][phase] = timer
    for label, timers in best.items():
        print(f"\n== N={n}: phases of `snapshift {label}` in one process, no imports (best of {runs})")
        print(f"{'phase':<38}{'calls':>7}{'ms':>9}")
        for phase, timer in timers.items():
            print(f"{phase:<38}{timer.calls:>7}{timer.seconds * 1000:>9.1f}")
        print(f"{'cli main() total':<38}{'':>7}{totals[label] * 1000:>9.1f}")


def profile_in_process(project: Path, args: list[str], top: int) -> None:
    """cProfile one CLI run in this process. Its overhead inflates pure-Python loops (json with indent)."""
    main = _cli_main()
    profiler = cProfile.Profile()
    with contextlib.redirect_stdout(io.StringIO()):
        profiler.enable()
        start = time.perf_counter()
        code = main(["-C", str(project), *args])
        elapsed = time.perf_counter() - start
        profiler.disable()
    print(f"\n== cProfile: snapshift {' '.join(args)} (exit {code}, {elapsed:.3f} s under the profiler)")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def import_report(project: Path, args: list[str], work: Path) -> None:
    print(f"\n== -X importtime: snapshift {' '.join(args)}")
    rows = import_times(project, args, work)
    print(f"total import time {sum(us for us, _ in rows) / 1000:.1f} ms; top-level imports, cumulative:")
    for us, name in rows[:8]:
        print(f"{us / 1000:9.1f} ms  {name}")


def profile(sizes: list[int], work: Path, runs: int, top: int, varied: bool = False) -> None:
    """Phase timings for every N; import costs and cProfile of both commands for the largest N."""
    n = max(sizes)
    template = build_project(work / f"profile-template-{n}", n, varied)
    project = work / f"profile-{n}-imports"
    shutil.copytree(template, project)
    import_report(project, ["generate"], work)
    import_report(project, ["generate", "--check"], work)
    for size in sizes:
        source = template if size == n else work / f"template-{size}"
        print_phases(size, source, work, runs)
    if top > 0:
        project = work / f"profile-{n}-cprofile"
        shutil.copytree(template, project)
        profile_in_process(project, ["generate"], top)
        profile_in_process(project, ["generate", "--check"], top)


# --- instruction counts -------------------------------------------------------------------------


def instructions(argv: list[str], env: dict[str, str]) -> int:
    """User-space instructions of one run, counted by valgrind's callgrind: unlike seconds, the same
    for the same code and input whatever else the host runs (the kernel's share is not counted).

    Only snapshift's own process is counted: what it forks aside runs on the other core, off the path
    the user waits on (a forked child's count also repeats everything before the fork)."""
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate()
    found = re.search(rf"=={proc.pid}== Collected : (\d+)", err)
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"callgrind run failed ({proc.returncode}):\n{out}\n{err[-2000:]}")
    return int(found.group(1))


def count_instructions(sizes: list[int], work: Path, varied: bool = False) -> None:
    """Instructions of `generate` from scratch, a cold `--check` and the start-up floor, per N."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind on PATH")
    cmd, env = snapshift_argv(work), child_env(work)
    cache = Path(env["XDG_CACHE_HOME"]) / "snapshift"
    warm_up = build_project(work / "instructions-warm-up", 2)  # compile every module's bytecode first
    expect(run_child([*cmd, "-C", str(warm_up), "generate"], env), 0, "generate")
    floor = instructions(startup_argv(work), env)
    print(f"\n{'command':<9}{'N':>6}{'instructions':>16}")
    for n in sizes:
        template = work / f"template-{n}"
        if not template.exists():
            build_project(template, n, varied)
        project = work / f"instructions-{n}"
        shutil.rmtree(project, ignore_errors=True)
        shutil.copytree(template, project)
        generate = instructions([*cmd, "-C", str(project), "generate"], env)
        shutil.rmtree(cache, ignore_errors=True)
        check = instructions([*cmd, "-C", str(project), "generate", "--check"], env)
        print(f"{'generate':<9}{n:>6}{generate:>16,}\n{'check':<9}{n:>6}{check:>16,}")
    print(f"{'startup':<9}{'-':>6}{floor:>16,}")


# --- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, help="resource counts (default: 1000 3000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per command (default 3)")
    parser.add_argument(
        "--varied", action="store_true", help="resources whose lines never repeat (names, types, defaults)"
    )
    parser.add_argument("--keep", type=Path, help="build the projects in DIR (created) and keep them")
    parser.add_argument("--profile", action="store_true", help="also profile both commands at the largest N")
    parser.add_argument(
        "--top", type=int, default=25, help="rows per cProfile table; 0: no cProfile (default 25)"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions with valgrind instead of timing (steady on a busy host; ~50x slower)",
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or [1000, 3000]
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="snapshift-bench-", dir=args.keep))
    try:
        print(f"machine: {machine(work)}")
        print(f"command: {' '.join(snapshift_argv(work))} -C PROJECT generate [--check]")
        print(f"projects in {work}")
        if args.instructions:
            count_instructions(sizes, work, args.varied)
            return 0
        floor = startup(args.runs, work)
        results = []
        for n in sizes:
            results.append(bench(n, args.runs, work, args.varied))
            print(f"N={n} done", flush=True)
        print_table(results, floor)
        if args.profile:
            profile(sizes, work, args.runs, args.top, args.varied)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
