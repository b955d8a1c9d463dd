"""Snapshots (SPEC 4): model <-> JSON with sorted keys, one folder per table, atomic writes.

The latest snapshot of each table is the "before" of the next diff. Files are byte-stable: the same
table always serialises to the same bytes, so git diffs stay small.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import Location, SnapshotError
from engine.model import (
    Check,
    Column,
    Identity,
    Index,
    IndexField,
    Multitenancy,
    Reference,
    Statement,
    Table,
    TableKey,
)

SNAPSHOT_NAME = re.compile(r"^\d{14}\.json$")
TENANTS_DIR = "tenants"
EXTENSIONS_FILE = "extensions.json"


@dataclass(frozen=True)
class StoredTable:
    """A table's latest snapshot and where it lives."""

    table: Table
    path: Path
    drop_table_opted_out: bool = False


@dataclass
class SnapshotState:
    """Everything stored for one repo: latest table snapshots and the installed extensions."""

    tables: dict[TableKey, StoredTable] = field(default_factory=dict)
    extensions: tuple[str, ...] = ()

    def before(self) -> dict[TableKey, Table]:
        return {k: s.table for k, s in self.tables.items()}

    def opted_out(self) -> list[TableKey]:
        return [k for k, s in self.tables.items() if s.drop_table_opted_out]


def table_folder(repo_snapshots: Path, key: TableKey) -> Path:
    """`<table>/`, `<schema>.<table>/` or `tenants/<table>/` under the repo's snapshot folder."""
    if key.tenant:
        return repo_snapshots / TENANTS_DIR / key.name
    return repo_snapshots / (f"{key.schema}.{key.name}" if key.schema else key.name)


def _reference_json(ref: Reference | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {
        "column": ref.column,
        "deferrable": ref.deferrable,
        "index": ref.index,
        "index_name": ref.index_name,
        "match_type": ref.match_type,
        "match_with": [list(p) for p in ref.match_with],
        "name": ref.name,
        "on_delete": ref.on_delete,
        "on_update": ref.on_update,
        "schema": ref.schema,
        "table": ref.table,
        "tenant_table": ref.tenant_table,
    }


def table_to_dict(table: Table, opted_out: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "table": table.name,
        "schema": table.schema,
        "repo": table.repo,
        "multitenancy": {"strategy": table.multitenancy.strategy, "attribute": table.multitenancy.attribute},
        "attributes": [
            {
                "name": c.name,
                "type": c.type,
                "allow_nil": c.allow_nil,
                "primary_key": c.primary_key,
                "default": c.default,
                "generated": c.generated,
                "size": c.size,
                "precision": c.precision,
                "scale": c.scale,
                "references": _reference_json(c.references),
            }
            for c in table.columns
        ],
        "identities": [
            {
                "name": i.name,
                "keys": list(i.keys),
                "index_name": i.index_name,
                "where": i.where,
                "nulls_distinct": i.nulls_distinct,
                "all_tenants": i.all_tenants,
            }
            for i in table.identities
        ],
        "custom_indexes": [
            {
                "name": i.name,
                "fields": [{"value": f.value, "is_column": f.is_column, "order": f.order} for f in i.fields],
                "unique": i.unique,
                "using": i.using,
                "where": i.where,
                "include": list(i.include),
                "nulls_distinct": i.nulls_distinct,
                "concurrently": i.concurrently,
                "all_tenants": i.all_tenants,
            }
            for i in table.indexes
        ],
        "check_constraints": [
            {"name": c.name, "check": c.check, "attributes": list(c.attributes)} for c in table.checks
        ],
        "custom_statements": [{"name": s.name, "up": s.up, "down": s.down} for s in table.statements],
    }
    if opted_out:
        data["drop_table_opted_out"] = True
    return data


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def dumps(data: dict[str, Any]) -> str:
    """Sorted keys, one line per top-level key and per list item (a column, an index, ...).

    Small git diffs, and fast: json's C encoder only runs without `indent`.
    """
    lines = []
    for key, value in sorted(data.items()):
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {_compact(item)}" for item in value)
            lines.append(f"  {_compact(key)}: [\n{items}\n  ]")
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(_compact(data).encode()).hexdigest().upper()


def table_hash(table: Table) -> str:
    """The `hash` a snapshot of this table carries (when not opted out of dropping)."""
    return _hash(table_to_dict(table))


def table_to_json(table: Table, opted_out: bool = False) -> str:
    """Byte-stable JSON; `hash` is the SHA-256 of the compact JSON of everything else.

    The hash lets `load_state` skip decoding a snapshot that equals the current resource.
    """
    data = table_to_dict(table, opted_out)
    data["hash"] = _hash(data)
    return dumps(data)


def _reference(data: dict[str, Any] | None) -> Reference | None:
    if data is None:
        return None
    return Reference(
        table=data["table"],
        column=data["column"],
        name=data["name"],
        schema=data.get("schema"),
        on_delete=data.get("on_delete"),
        on_update=data.get("on_update"),
        deferrable=data.get("deferrable", False),
        index=data.get("index", False),
        index_name=data.get("index_name"),
        match_with=tuple((a, b) for a, b in data.get("match_with", [])),
        match_type=data.get("match_type"),
        tenant_table=data.get("tenant_table", False),
    )


def table_from_dict(data: dict[str, Any], source: Path | None = None) -> Table:
    mt = data.get("multitenancy") or {}
    return Table(
        name=data["table"],
        repo=data["repo"],
        schema=data.get("schema"),
        multitenancy=Multitenancy(mt.get("strategy"), mt.get("attribute")),
        columns=tuple(
            Column(
                name=c["name"],
                type=c["type"],
                allow_nil=c.get("allow_nil", True),
                primary_key=c.get("primary_key", False),
                default=c.get("default"),
                generated=c.get("generated"),
                size=c.get("size"),
                precision=c.get("precision"),
                scale=c.get("scale"),
                references=_reference(c.get("references")),
            )
            for c in data.get("attributes", [])
        ),
        identities=tuple(
            Identity(
                name=i["name"],
                keys=tuple(i["keys"]),
                index_name=i["index_name"],
                where=i.get("where"),
                nulls_distinct=i.get("nulls_distinct", True),
                all_tenants=i.get("all_tenants", False),
            )
            for i in data.get("identities", [])
        ),
        indexes=tuple(
            Index(
                name=i["name"],
                fields=tuple(
                    IndexField(f["value"], f.get("is_column", True), f.get("order")) for f in i["fields"]
                ),
                unique=i.get("unique", False),
                using=i.get("using"),
                where=i.get("where"),
                include=tuple(i.get("include", [])),
                nulls_distinct=i.get("nulls_distinct", True),
                concurrently=i.get("concurrently", False),
                all_tenants=i.get("all_tenants", False),
            )
            for i in data.get("custom_indexes", [])
        ),
        checks=tuple(
            Check(c["name"], c["check"], tuple(c.get("attributes", [])))
            for c in data.get("check_constraints", [])
        ),
        statements=tuple(Statement(s["name"], s["up"], s["down"]) for s in data.get("custom_statements", [])),
        source=source,
    )


def latest_file(folder: Path) -> Path | None:
    """The newest `<YYYYMMDDHHMMSS>.json` in a table folder (names sort as times)."""
    try:
        names = [e.name for e in os.scandir(folder) if SNAPSHOT_NAME.match(e.name)]
    except FileNotFoundError:
        return None
    return folder / max(names) if names else None


HASH_LINE = re.compile(r'^  "hash": "([0-9A-F]{64})",?$', re.MULTILINE)


def _stored_hash(path: Path) -> str | None:
    """The hash line of a snapshot file, without decoding the JSON."""
    try:
        match = HASH_LINE.search(path.read_text(encoding="utf-8"))
    except OSError:
        return None
    return match.group(1) if match else None


def read_snapshot(path: Path) -> StoredTable:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        table = table_from_dict(data, source=path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"cannot read snapshot: {exc}", Location(path)) from exc
    return StoredTable(table, path, bool(data.get("drop_table_opted_out", False)))


def _table_folders(repo_snapshots: Path) -> Iterable[Path]:
    try:
        entries = list(os.scandir(repo_snapshots))
    except FileNotFoundError:
        return []
    folders = []
    for entry in entries:
        if not entry.is_dir():
            continue
        if entry.name == TENANTS_DIR:
            folders += [Path(e.path) for e in os.scandir(entry.path) if e.is_dir()]
        else:
            folders.append(Path(entry.path))
    return sorted(folders)


def folder_key(repo_snapshots: Path, folder: Path) -> TableKey:
    """The table a snapshot folder is named after (the snapshot itself says for sure)."""
    if folder.parent.name == TENANTS_DIR and folder.parent.parent == repo_snapshots:
        return TableKey(None, folder.name, True)
    schema, dot, name = folder.name.partition(".")
    return TableKey(schema, name, False) if dot else TableKey(None, folder.name, False)


def load_state(repo_snapshots: Path, current: Mapping[TableKey, Table] | None = None) -> SnapshotState:
    """Latest snapshot of every table folder of one repo, and its extensions.

    A snapshot whose stored hash equals the hash of the `current` table of that name is not decoded:
    the current table is what it holds. That makes a run with few changes cheap.
    """
    state = SnapshotState()
    current = current or {}
    for folder in _table_folders(repo_snapshots):
        path = latest_file(folder)
        if path is None:
            continue
        table = current.get(folder_key(repo_snapshots, folder))
        if table is not None and _stored_hash(path) == table_hash(table):
            state.tables[table.key] = StoredTable(table, path)
            continue
        stored = read_snapshot(path)
        state.tables[stored.table.key] = stored
    ext_path = repo_snapshots / EXTENSIONS_FILE
    if ext_path.exists():
        try:
            state.extensions = tuple(json.loads(ext_path.read_text(encoding="utf-8"))["installed"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SnapshotError(f"cannot read extensions: {exc}", Location(ext_path)) from exc
    return state


def extensions_json(extensions: Iterable[str]) -> str:
    return dumps({"installed": list(extensions)})


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
