"""Random histories of a public table and a tenant table that references it (issue 18, acceptance 2, the
tenant part), driven through snapshift's own commands on a real PostgreSQL.

The public table is renamed, gains and loses the unique key the tenant foreign key uses, is dropped and
created again; the tenant table's references follow. After every generate the migrations are applied in
the order generate asks for (`migrate` first is refused when tenants must go first); tenants are added
mid-history; `rollback --untracked` undoes what git does not track. Every command succeeds, every
catalog equals a fresh build of the same resources, and at the end every step walks back, one generate
at a time, to the catalog before it, and everything migrates again.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg import sql

from snapshift.engine.base.migrations import MigrationFile, list_migrations
from snapshift.engine.db.catalog import SchemaShape, read_catalog
from snapshift.engine.db.database import with_database
from snapshift.tui.cli.main import main
from tests.support.gitrepo import git

EXAMPLES = int(os.environ.get("SNAPSHIFT_TENANT_PROPERTY_EXAMPLES", "4"))
STEPS = ("rename", "key_on", "key_off", "ref_id", "ref_email", "ref_none", "drop", "create", "column")
ACTIONS = (*STEPS, *STEPS, "tenant", "commit", "untracked", "regen")
CONFIG = 'resources = ["resources/*.toml"]\n\n[repos.repo]\nurl = "env:DATABASE_URL"\ntenants = [{}]\n'


@dataclass(frozen=True)
class Model:
    """The resources: the public table (None: dropped), its unique email key, the tenant references."""

    public: str | None = "authors"
    key: bool = False
    ref: str | None = None  # "id", "email" or None
    columns: int = 0
    names: int = 0
    line: int = 0  # which public table: a new one after a drop and a create

    def since(self, committed: Model) -> list[str]:
        """The answers a generate from `committed` to this model needs: the renames and drops between."""
        if committed.public is None or (self.public, self.line) == (committed.public, committed.line):
            return []
        if self.public is not None and self.line == committed.line:
            return ["--rename-table", f"{committed.public}={self.public}"]
        return ["--drop-table", committed.public]

    def resources(self) -> dict[str, str]:
        files: dict[str, str] = {}
        if self.public:
            text = f'table = "{self.public}"\n[attributes]\nid = {{ type = "bigint", primary_key = true }}\n'
            text += 'email = { type = "text", allow_nil = false }\n'
            if self.key:
                text += '[identities]\nunique_email = { keys = ["email"] }\n'
            files[self.public] = text
        by_id = f', references = {{ table = "{self.public}" }}' if self.ref == "id" else ""
        by_email = (
            f', references = {{ table = "{self.public}", column = "email" }}' if self.ref == "email" else ""
        )
        notes = 'table = "notes"\nmultitenancy = { strategy = "context" }\n[attributes]\n'
        notes += 'id = { type = "bigint", primary_key = true }\n'
        notes += f'author_id = {{ type = "bigint"{by_id} }}\nauthor_email = {{ type = "text"{by_email} }}\n'
        notes += "".join(f'c{i} = {{ type = "text" }}\n' for i in range(self.columns))
        files["notes"] = notes
        return files

    def step(self, kind: str) -> tuple[Model, list[str]] | None:
        """The model after one change and the flags its generate needs; None when it does not apply."""
        if kind == "rename" and self.public:
            new = f"writers{self.names}"
            return replace(self, public=new, names=self.names + 1), ["--rename-table", f"{self.public}={new}"]
        if kind == "key_on" and self.public and not self.key:
            return replace(self, key=True), []
        if kind == "key_off" and self.key:
            return replace(self, key=False, ref=None if self.ref == "email" else self.ref), []
        if kind.startswith("ref_") and self.public:
            ref = {"ref_id": "id", "ref_email": "email", "ref_none": None}[kind]
            if ref != self.ref and (ref != "email" or self.key):
                return replace(self, ref=ref), []
        if kind == "drop" and self.public:
            return Model(None, False, None, self.columns, self.names, self.line), [
                "--drop-table",
                self.public,
            ]
        if kind == "create" and not self.public:
            return replace(self, public=f"people{self.names}", names=self.names + 1, line=self.line + 1), []
        if kind == "column":
            return replace(self, columns=self.columns + 1), []
        return None


@dataclass
class History:
    """One project on one database, and what each generate wrote."""

    root: Path
    url: str
    tenants: list[str] = field(default_factory=lambda: ["org_a", "org_b"])
    runs: list[tuple[list[MigrationFile], list[MigrationFile]]] = field(default_factory=list)
    catalogs: list[dict[str, Any]] = field(default_factory=list)  # before each run

    def cli(self, *args: str) -> tuple[int, str]:
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(out):
            code = main(["-C", str(self.root), *args])
        return code, out.getvalue()

    def ok(self, *args: str) -> str:
        code, out = self.cli(*args)
        assert code == 0, f"snapshift {' '.join(args)} exited {code}:\n{out}"
        return out

    def write(self, model: Model) -> None:
        folder = self.root / "resources"
        for old in folder.glob("*.toml"):
            old.unlink()
        for name, text in model.resources().items():
            (folder / f"{name}.toml").write_text(text)
        listed = ", ".join(f'"{t}"' for t in self.tenants)
        (self.root / "snapshift.toml").write_text(CONFIG.format(listed))

    def files(self) -> tuple[list[MigrationFile], list[MigrationFile]]:
        repo = self.root / "priv" / "repo"
        return list_migrations(repo / "migrations"), list_migrations(repo / "tenant_migrations")

    def generate(self, flags: list[str]) -> None:
        public, tenant = self.files()
        before = {m.version for m in (*public, *tenant)}
        self.catalogs.append(catalog(self.url, self.tenants))
        self.ok("generate", "--no-renames", *flags)
        public, tenant = self.files()
        self.runs.append(
            ([m for m in public if m.version not in before], [m for m in tenant if m.version not in before])
        )

    def regen(self, flags: list[str], committed_runs: int, committed: dict[str, Any]) -> None:
        """`regen --yes -m`: the untracked runs become one (or none, when they cancel out)."""
        self.ok("regen", "--yes", "-m", "--no-renames", *flags)
        tracked = {m.path for files in self.runs[:committed_runs] for ms in files for m in ms}
        public, tenant = self.files()
        run = ([m for m in public if m.path not in tracked], [m for m in tenant if m.path not in tracked])
        del self.runs[committed_runs:], self.catalogs[committed_runs:]
        if run[0] or run[1]:
            self.runs.append(run)
            self.catalogs.append(committed)

    def migrate_latest(self) -> None:
        """Apply the last generate's files in the order it asks for; `migrate` first is refused then."""
        public, _ = self.runs[-1]
        if any(m.after_tenants for m in public):
            code, out = self.cli("migrate")
            assert code == 1 and "snapshift migrate --tenants" in out, out
            self.ok("migrate", "--tenants")
            self.ok("migrate")
        else:
            self.ok("migrate")
            self.ok("migrate", "--tenants")


def catalog(url: str, tenants: list[str]) -> dict[str, SchemaShape]:
    """The public schema's tables, and each tenant's (the catalog reader takes each schema's own name
    out of its definitions, so tenants compare as they are)."""
    with psycopg.connect(url) as conn:
        found = read_catalog(conn, ["public", *tenants]).schemas
    return {name: found.get(name, SchemaShape()) for name in ["public", *tenants]}


def tenant_part(found: dict[str, SchemaShape]) -> dict[str, SchemaShape]:
    """The catalog with every tenant the same: one entry for all (they must all be equal)."""
    tenants = [value for key, value in found.items() if key != "public" and value != SchemaShape()]
    assert all(value == tenants[0] for value in tenants), "tenants differ"
    return {"public": found["public"], "tenant": tenants[0] if tenants else SchemaShape()}


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    name = f"snapshift_prop_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def environment(url: str) -> Iterator[None]:
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old


FRESH: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}  # resources -> catalog of a fresh build


def fresh(url: str, model: Model, work: Path) -> dict[str, Any]:
    """The catalog of the model's resources built in one generate on the empty database `url` (emptied
    first; the same resources are built once per session)."""
    resources = tuple(sorted(model.resources().items()))
    if resources in FRESH:
        return FRESH[resources]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public, org_fresh CASCADE")
        conn.execute("CREATE SCHEMA public")
    with environment(url):
        history = History(work, url, ["org_fresh"])
        (work / "resources").mkdir(parents=True)
        history.write(model)
        history.ok("generate", "--no-renames")
        history.ok("migrate")
        history.ok("migrate", "--tenants")
        FRESH[resources] = tenant_part(catalog(url, history.tenants))
    return FRESH[resources]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(actions=st.lists(st.sampled_from(ACTIONS), min_size=3, max_size=7))
@example(actions=["key_on", "ref_email", "commit", "key_off", "tenant", "untracked", "column"])
@example(actions=["commit", "rename", "tenant", "drop", "untracked", "create", "ref_id"])
# regen -m of a drop and of a drop, a create and a tenant key moved to the new table in one generate.
@example(actions=["commit", "drop", "regen", "create", "ref_id", "tenant", "regen"])
@example(actions=["key_on", "ref_email", "commit", "key_off", "rename", "regen", "untracked"])
# Several generates migrated again at once: a tenant key let go, its table dropped, a new one it points to.
@example(actions=["commit", "ref_none", "drop", "create", "ref_id", "untracked"])
def test_tenant_tables_follow_public_ones_through_every_command(
    pg_server_url: str, actions: list[str]
) -> None:
    work = Path(tempfile.mkdtemp(prefix="snapshift-prop-tenants-"))
    try:
        with (
            scratch_database(pg_server_url) as url,
            scratch_database(pg_server_url) as scratch,
            environment(url),
        ):
            walk(scratch, url, work, actions)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def walk(scratch: str, url: str, work: Path, actions: list[str]) -> None:
    root = work / "project"
    (root / "resources").mkdir(parents=True)
    git(root, "init", "-q")
    history = History(root, url)
    model = Model(ref="id")
    history.write(model)
    history.generate([])
    history.migrate_latest()
    commit(root)
    committed, committed_model, committed_runs = catalog(url, history.tenants), model, len(history.runs)
    rows = Rows(url)
    rows.fill(model, history.tenants)
    for index, action in enumerate(actions):
        before, lineage = rows.count(model, history.tenants), model.line
        if action == "tenant":
            history.tenants.append(f"org_new{index}")
            history.write(model)
            history.ok("migrate", "--tenants")
        elif action == "commit":
            commit(root)
            committed, committed_model, committed_runs = (
                catalog(url, history.tenants),
                model,
                len(history.runs),
            )
        elif action == "untracked":
            now = catalog(url, history.tenants)
            history.ok("rollback", "--untracked", "--yes")
            expected = committed
            found = catalog(url, history.tenants)
            assert found["public"] == expected["public"], "rollback --untracked: public differs"
            assert tenant_part(found)["tenant"] == tenant_part(expected)["tenant"], "rollback --untracked"
            apply_all(history)
            assert catalog(url, history.tenants) == now, "migrating again differs"
        elif action == "regen":
            history.regen(model.since(committed_model), committed_runs, committed)
        else:
            changed = model.step(action)
            if changed is None:
                continue
            model, flags = changed
            history.write(model)
            history.generate(flags)
            history.migrate_latest()
        assert tenant_part(catalog(url, history.tenants)) == fresh(scratch, model, work / f"fresh{index}")
        kept = (
            model.public is not None
            and model.line == lineage
            and (action not in ("untracked", "regen") or model.line == committed_model.line)
        )
        rows.check(before, model, history.tenants, public=kept)
        rows.fill(model, history.tenants)
    walk_back(history)
    apply_all(history)
    assert tenant_part(catalog(url, history.tenants)) == fresh(scratch, model, work / "fresh_end")


@dataclass
class Rows:
    """A row in the public table and in every tenant's notes; they survive every step that keeps the
    table (a rename, a key, a reference, an untracked rollback and migrating again, regen)."""

    url: str

    def fill(self, model: Model, tenants: list[str]) -> None:
        """A row where there is none: public (id 1, an email), each tenant's notes (id 1, a value in
        every text column, no reference: the public rows come and go with their tables)."""
        with psycopg.connect(self.url) as conn:
            if model.public and not self._count(conn, "public", model.public):
                conn.execute(
                    sql.SQL("INSERT INTO {} (id, email) VALUES (1, 'a@example.com')").format(
                        sql.Identifier("public", model.public)
                    )
                )
            for tenant in tenants:
                if not self._count(conn, tenant, "notes"):
                    names = ["id", *(f"c{i}" for i in range(model.columns))]
                    values = [sql.Literal(1), *(sql.Literal(f"v{i}") for i in range(model.columns))]
                    conn.execute(
                        sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                            sql.Identifier(tenant, "notes"),
                            sql.SQL(", ").join(map(sql.Identifier, names)),
                            sql.SQL(", ").join(values),
                        )
                    )

    def count(self, model: Model, tenants: list[str]) -> dict[str, int]:
        with psycopg.connect(self.url) as conn:
            found = {t: self._count(conn, t, "notes") for t in tenants}
            if model.public:
                found["public"] = self._count(conn, "public", model.public)
            return found

    def check(self, before: dict[str, int], model: Model, tenants: list[str], public: bool) -> None:
        now = self.count(model, tenants)
        for name, rows in before.items():
            if name != "public" or public:
                assert now.get(name) == rows, (
                    f"{model}: rows lost in {name}: {rows} before, {now.get(name)} after"
                )

    @staticmethod
    def _count(conn: psycopg.Connection[Any], schema: str, table: str) -> int:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
        row = conn.execute(query).fetchone()
        assert row is not None
        return int(row[0])


def commit(root: Path) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", "commit", "--allow-empty")


def apply_all(history: History) -> None:
    """Everything pending, in the order the files ask: tenants first where a public file waits."""
    for _ in range(len(history.runs) + 1):
        code, out = history.cli("migrate")
        if code == 0:
            history.ok("migrate", "--tenants")
            return
        assert code == 1 and "snapshift migrate --tenants" in out, out
        history.ok("migrate", "--tenants")
    raise AssertionError("migrate kept refusing")


def walk_back(history: History) -> None:
    """Undo one generate at a time, newest first; each leaves the catalog it found."""
    for (public, tenant), before in reversed(list(zip(history.runs, history.catalogs, strict=True))):
        if public:
            history.ok("rollback", "--to", str(min(m.version for m in public)))
        if tenant:
            history.ok("rollback", "--tenants", "--to", str(min(m.version for m in tenant)))
        found = catalog(history.url, history.tenants)
        assert found["public"] == before["public"], f"down of {[m.label for m in public + tenant]}"
        for name in history.tenants:
            if name in before:
                assert found[name] == before[name], f"tenant {name}: down of {[m.label for m in tenant]}"
