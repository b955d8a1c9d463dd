"""Benchmark `snapshift drift --tenants` and `snapshift verify` (issue 15, acceptance item 3).

Usage: `.venv/bin/python bench/drift.py [--tenants N] [--runs K] [--url URL]`

- drift: a project of 5 context-multitenant tables (each with a primary key, a unique identity, an index,
  a check and, but the first, a foreign key to the previous one) and N tenant schemas (default 1000)
  built from its tenant migration; one tenant lacks an index, so drift has something to report. Aim:
  the whole process under 3 s.
- verify: `snapshift verify` on a copy of examples/blog. Aim: under 5 s.

Both are timed as whole processes, started the way the console script starts them (bench/launcher.py);
best and median of K runs. The database is created on the server of `--url` and dropped at the end.
Much of either time is the server's: a CREATE DATABASE and a DROP DATABASE (which waits for a
checkpoint, longer while other work dirties the server's buffers), so the header prints both alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from host import reference_loop
from launcher import snapshift_argv, user_environ
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from snapshift.engine.db.database import with_database  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
URL_ENV = "SNAPSHIFT_BENCH_URL"
TABLES = 5


def resource(index: int) -> str:
    reference = f'{{ type = "bigint", references = {{ table = "items{index - 1}" }} }}'
    parent = f"\nparent_id = {reference}" if index else ""
    return f"""table = "items{index}"
multitenancy = {{ strategy = "context" }}

[attributes]
id = {{ type = "bigint", primary_key = true, generated = true }}
title = {{ type = "string", allow_nil = false }}
slug = {{ type = "varchar", size = 80, allow_nil = false }}
price = {{ type = "decimal", precision = 10, scale = 2, default = 0 }}
inserted_at = {{ type = "utc_datetime_usec", allow_nil = false, default = "now()" }}{parent}

[identities]
unique_slug = {{ keys = ["slug"] }}

[[indexes]]
fields = ["title", "inserted_at desc"]

[[check_constraints]]
name = "price_positive"
check = "price >= 0"
attributes = ["price"]
"""


def write_project(root: Path, tenants: list[str]) -> None:
    (root / "resources").mkdir(parents=True)
    listed = ", ".join(f'"{name}"' for name in tenants)
    config = f'resources = ["resources/*.toml"]\n\n[repos.repo]\nurl = "env:{URL_ENV}"\n'
    config += f"tenants = [{listed}]\n"
    (root / "snapshift.toml").write_text(config)
    for index in range(TABLES):
        (root / "resources" / f"items{index}.toml").write_text(resource(index))


def run(argv: list[str], env: dict[str, str], expect: int) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    took = time.perf_counter() - began
    if done.returncode != expect:
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return took


def build_tenants(url: str, project: Path, tenants: list[str]) -> None:
    """Every tenant schema from the generated tenant migration, in batches of one round trip each."""
    from snapshift.engine.base.migrations import list_migrations

    (migration,) = list_migrations(project / "priv" / "repo" / "tenant_migrations")
    up = "\n".join(statement.text.rstrip(";") + ";" for statement in migration.up)
    with psycopg.connect(url, autocommit=True) as conn:
        for first in range(0, len(tenants), 100):
            script = []
            for name in tenants[first : first + 100]:
                script.append(f'CREATE SCHEMA "{name}"; SET search_path TO "{name}", public;\n{up}')
            conn.execute("\n".join(script) + "\nRESET search_path;")  # type: ignore[arg-type]
        conn.execute(f'DROP INDEX "{tenants[-1]}".items0_unique_slug_index')  # type: ignore[arg-type]


def server_costs(server: str) -> tuple[float, float]:
    name = f"snapshift_bench_probe_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        began = time.perf_counter()
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created = time.perf_counter()
        conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
        return created - began, time.perf_counter() - created


def summary(label: str, times: list[float], aim: float) -> str:
    best, median = min(times), statistics.median(times)
    verdict = "meets" if best < aim else "misses"
    runs = f"best {best:.2f} s, median {median:.2f} s over {len(times)} run(s)"
    return f"{label:8} {runs}; aim {aim:.0f} s ({verdict})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", default=os.environ.get(URL_ENV, SERVER))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="snapshift-bench-drift-"))
    database = f"snapshift_bench_drift_{uuid.uuid4().hex[:8]}"
    url = with_database(args.url, database)
    create, drop = server_costs(args.url)
    loop = reference_loop()
    print(f"reference loop {loop:.3f} s; server: CREATE DATABASE {create:.2f} s, DROP {drop:.2f} s")
    tenants = [f"org_{index:05d}" for index in range(args.tenants)]
    env = {**user_environ(), URL_ENV: url, "DATABASE_URL": url}
    argv = snapshift_argv(work)
    try:
        project = work / "project"
        write_project(project, tenants)
        run([*argv, "-C", str(project), "generate"], env, 0)
        run([*argv, "-C", str(project), "create"], env, 0)
        run([*argv, "-C", str(project), "migrate"], env, 0)
        began = time.perf_counter()
        build_tenants(url, project, tenants)
        took = time.perf_counter() - began
        print(f"set up {args.tenants} tenant schemas of {TABLES} tables in {took:.1f} s")
        drift = [run([*argv, "-C", str(project), "drift", "--tenants"], env, 1) for _ in range(args.runs)]
        blog = work / "blog"
        shutil.copytree(REPO / "examples" / "blog", blog, ignore=shutil.ignore_patterns(".snapshift"))
        verify = [run([*argv, "-C", str(blog), "verify"], env, 0) for _ in range(args.runs)]
        print(summary("drift", drift, 3.0))
        print(summary("verify", verify, 5.0))
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
