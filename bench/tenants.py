"""Benchmark `snapshift migrate --tenants` (issue 3, acceptance item 4).

Usage: `.venv/bin/python bench/tenants.py [--tenants N] [--runs K] [--jobs J] [--url URL]`

N tenant schemas (default 500), each with one applied migration (a table) and one pending tenant
migration (a column and an index). Timed, as whole processes because that is what a user waits for:

- `snapshift migrate --tenants`: the CLI in a fresh interpreter, imports and config included;
- the same SQL through one `psql` session per tenant, a loop of `psql -c` invocations: `SET
  search_path`, the migration, and the INSERT recording its version, in one transaction each;
- `snapshift migrate --tenants` again with nothing to do.

Between runs every tenant is put back with `snapshift rollback --tenants` (also timed, for the record).
The database is created on the server of `--url` and dropped at the end. Aims (the issue's): the
snapshift run at most half of the psql loop, and the run with nothing to do under a quarter of it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from launcher import snapshift_argv, user_environ
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from snapshift.engine.db.database import with_database  # noqa: E402
from snapshift.engine.project import Project  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
URL_ENV = "SNAPSHIFT_BENCH_URL"
BASE = "CREATE TABLE items (id bigint PRIMARY KEY, title text NOT NULL);"
PENDING_UP = "ALTER TABLE items ADD COLUMN note text;\n\nCREATE INDEX items_note_index ON items (note);"
PENDING_DOWN = "DROP INDEX items_note_index;\n\nALTER TABLE items DROP COLUMN note;"
BASE_VERSION, PENDING_VERSION = 20260101000000, 20260101000001


def tenant_names(count: int) -> list[str]:
    return [f"org_{index:05d}" for index in range(count)]


def write_project(root: Path, tenants: list[str]) -> None:
    root.mkdir(parents=True)
    listed = ", ".join(f'"{name}"' for name in tenants)
    config = f'resources = []\n\n[repos.repo]\nurl = "env:{URL_ENV}"\ntenants = [{listed}]\n'
    (root / "snapshift.toml").write_text(config)
    folder = root / "priv" / "repo" / "tenant_migrations"
    folder.mkdir(parents=True)
    base = f"-- migrate:up\n{BASE}\n\n-- migrate:down\nDROP TABLE items;\n"
    (folder / f"{BASE_VERSION}_items.sql").write_text(base)
    pending = f"-- migrate:up\n{PENDING_UP}\n\n-- migrate:down\n{PENDING_DOWN}\n"
    (folder / f"{PENDING_VERSION}_items_note.sql").write_text(pending)


CHILD_ENV: dict[str, str] = {}
LAUNCH: list[str] = []  # snapshift as its console script runs it (bench/launcher.py)


def child_env(bytecode: bool, cache: Path) -> dict[str, str]:
    """The CLI's environment: with compiled bytecode (in a private cache), as an installed package has it."""
    env = user_environ()
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def snapshift(root: Path, url: str, *args: str) -> float:
    """Seconds one CLI process takes; fails loudly on a non-zero exit."""
    env = {**CHILD_ENV, URL_ENV: url}
    command = [*LAUNCH, "-C", str(root), *args]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return took


def import_floor() -> float:
    """Seconds of a process that only imports psycopg, started like the CLI (issue 17: a no-op run must
    stay within 0.3 s of this floor)."""
    command = [LAUNCH[0], "-c", "import psycopg"]
    began = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=CHILD_ENV, check=True)
    return time.perf_counter() - began


def psql_loop(url: str, tenants: list[str]) -> float:
    """One psql process per tenant, each one transaction: search_path, the migration, the version row."""
    psql = shutil.which("psql")
    if psql is None:
        raise SystemExit("psql not found on PATH")
    record = f"INSERT INTO schema_migrations (version, inserted_at) VALUES ({PENDING_VERSION}, now());"
    began = time.perf_counter()
    for tenant in tenants:
        script = f'BEGIN;\nSET LOCAL search_path TO "{tenant}", public;\n{PENDING_UP}\n{record}\nCOMMIT;'
        subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", script],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return time.perf_counter() - began


def pending_count(url: str, tenants: list[str]) -> int:
    """How many tenants lack the pending version (0 after a full run, N before one)."""
    with psycopg.connect(url) as conn:
        union = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {} AS t FROM {} WHERE version = {}").format(
                sql.Literal(tenant), sql.Identifier(tenant, "schema_migrations"), sql.Literal(PENDING_VERSION)
            )
            for tenant in tenants
        )
        row = conn.execute(sql.SQL("SELECT count(*) FROM ({}) AS done").format(union)).fetchone()
    return len(tenants) - int(row[0] if row else 0)


def in_process(
    project: Path, url: str, tenants: list[str], runs: int, jobs: int | None
) -> tuple[float, float]:
    """Project.migrate_tenants() in this process: the engine's time without interpreter start and imports."""
    os.environ[URL_ENV] = url
    facade = Project.open(project)
    facade.rollback_tenants()

    def real() -> float:
        began = time.perf_counter()
        [result] = facade.migrate_tenants(jobs=jobs).values()
        assert len(result.report.changed) == len(tenants)
        return time.perf_counter() - began

    def noop() -> float:
        began = time.perf_counter()
        [result] = facade.migrate_tenants(jobs=jobs).values()
        assert len(result.report.skipped) == len(tenants)
        return time.perf_counter() - began

    def reset() -> None:
        facade.rollback_tenants(jobs=jobs)

    real_median = timed("engine: migrate_tenants()", runs, real, reset)
    real()
    noop_median = timed("engine: migrate_tenants() (no-op)", runs, noop, None)
    return real_median, noop_median


def machine(server: str) -> dict[str, str]:
    model = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(server) as conn:
        row = conn.execute("SELECT version()").fetchone()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "postgres": str(row[0]).split(" on ")[0] if row else "unknown",
        "python": platform.python_version(),
    }


def timed(label: str, runs: int, run: Callable[[], float], reset: Callable[[], None] | None) -> float:
    samples = []
    for _ in range(runs):
        samples.append(run())
        if reset is not None:
            reset()
    median = statistics.median(samples)
    print(f"{label:<38} median {median:6.2f}s  runs {', '.join(f'{s:.2f}' for s in samples)}", flush=True)
    return median


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for snapshift (default: its own)")
    parser.add_argument("--url", default=SERVER, help="a maintenance database URL on the server to use")
    parser.add_argument(
        "--cli-only", action="store_true", help="time the snapshift processes only (A/B runs of two trees)"
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="compile every module at every start (PYTHONDONTWRITEBYTECODE)",
    )
    args = parser.parse_args()
    server = args.url
    tenants = tenant_names(args.tenants)
    name = f"snapshift_bench_{uuid.uuid4().hex[:8]}"
    url = with_database(server, name)
    root = Path(tempfile.mkdtemp(prefix="snapshift-bench-tenants-"))
    CHILD_ENV.update(child_env(not args.no_bytecode, root / "pycache"))
    LAUNCH.extend(snapshift_argv(root))
    print(f"bytecode: {'compiled at every start' if args.no_bytecode else 'cached, as installed'}")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        project = root / "project"
        write_project(project, tenants)
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        print(f"{len(tenants)} tenants; setting up (migrate --tenants --to {BASE_VERSION}) ...", flush=True)
        setup = snapshift(project, url, "migrate", "--tenants", "--to", str(BASE_VERSION), *jobs)
        print(f"{'setup: create schemas + first migration':<38} {setup:6.2f}s")
        rollbacks: list[float] = []

        def reset() -> None:
            rollbacks.append(snapshift(project, url, "rollback", "--tenants", *jobs))
            assert pending_count(url, tenants) == len(tenants)

        def real_run() -> float:
            took = snapshift(project, url, "migrate", "--tenants", *jobs)
            assert pending_count(url, tenants) == 0
            return took

        def loop() -> float:
            took = psql_loop(url, tenants)
            assert pending_count(url, tenants) == 0
            return took

        ours = timed("snapshift migrate --tenants", args.runs, real_run, reset)
        theirs = (
            None if args.cli_only else timed("psql -c loop, one session per tenant", args.runs, loop, reset)
        )
        real_run()
        noop = timed(
            "snapshift migrate --tenants (no-op)",
            args.runs,
            lambda: snapshift(project, url, "migrate", "--tenants"),
            None,
        )
        floor = timed("python -c 'import psycopg' (the floor)", args.runs, import_floor, None)
        print(f"{'snapshift rollback --tenants':<38} median {statistics.median(rollbacks):6.2f}s")
        if theirs is not None:
            print(f"ratio snapshift / psql loop: {ours / theirs:.2f} (aim <= 0.25)")
        print(f"ratio no-op / real run:      {noop / ours:.2f} (aim < 0.25), whole processes")
        print(f"no-op above the import floor: {noop - floor:.2f}s (aim < 0.30)")
        if not args.cli_only:
            engine_real, engine_noop = in_process(project, url, tenants, args.runs, args.jobs)
            print(f"ratio no-op / real run:      {engine_noop / engine_real:.2f} in the engine, no start-up")
        for key, value in machine(server).items():
            print(f"{key}: {value}")
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
