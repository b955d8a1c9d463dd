"""Snapshots (SPEC 4): model <-> JSON with sorted keys, one folder per table, atomic writes.

The latest snapshot of each table is the "before" of the next diff. Files are byte-stable: the same
table always serialises to the same bytes, so git diffs stay small.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # the C version when built
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from snapshift.engine.base.errors import Location, SnapshotError
from snapshift.engine.base.fileread import read_bytes
from snapshift.engine.base.identity_memo import IdentityMemo
from snapshift.engine.base.lazy import lazy_module
from snapshift.engine.base.pathnames import (
    decode_name,
    encode_name,
    parse_table_folder_name,
    table_folder_name,
)
from snapshift.engine.resources.model import (
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

if TYPE_CHECKING:
    import hashlib
else:  # only writes hash: a `--check` need not pay for OpenSSL's start-up
    hashlib = lazy_module("hashlib")

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
    listing: list[tuple[str, str | None]] = field(default_factory=list)  # folders and latest files read

    def before(self) -> dict[TableKey, Table]:
        return {k: s.table for k, s in self.tables.items()}

    def opted_out(self) -> list[TableKey]:
        return [k for k, s in self.tables.items() if s.drop_table_opted_out]

    def holds_exactly(self, tables: Collection[Table]) -> bool:
        """Whether the latest snapshots are `tables`, no more and no fewer: `load_state` stored the
        current table itself for each snapshot that holds it, so a diff would find nothing."""
        return len(self.tables) == len(tables) and all(
            (stored := self.tables.get(t.key)) is not None and stored.table is t for t in tables
        )


def table_folder(repo_snapshots: Path, key: TableKey) -> Path:
    """`<table>/`, `<schema>.<table>/` or `tenants/<table>/` under the repo's snapshot folder, each name
    encoded by `engine.base.pathnames` (a folder right there, whatever the name holds)."""
    if key.tenant:
        return repo_snapshots / TENANTS_DIR / encode_name(key.name)
    return repo_snapshots / table_folder_name(key.schema, key.name)


def remove_table_snapshots(folder: Path) -> None:
    """Delete a dropped or renamed table's snapshots, and its folder once empty. Only snapshot files
    go: the folder of a public table named `tenants` also holds the tenant tables' folders."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.is_file() and (SNAPSHOT_NAME.match(entry.name) or entry.name.endswith(".tmp")):
            os.unlink(entry.path)
    with contextlib.suppress(OSError):
        folder.rmdir()


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


def _column_dict(c: Column) -> dict[str, Any]:
    return {
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


ColumnDict = Callable[[Column], dict[str, Any]]
ColumnJson = Callable[[Column], str]


def table_to_dict(
    table: Table, opted_out: bool = False, column_dict: ColumnDict = _column_dict
) -> dict[str, Any]:
    """The snapshot's content as JSON values; `column_dict` may be an `IdentityMemo` of `_column_dict`
    (the column dicts are then shared between tables: read them, do not change them)."""
    data = _table_dict_without_columns(table, opted_out)
    data["attributes"] = [column_dict(c) for c in table.columns]
    return data


def _table_dict_without_columns(table: Table, opted_out: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "table": table.name,
        "schema": table.schema,
        "repo": table.repo,
        "multitenancy": {"strategy": table.multitenancy.strategy, "attribute": table.multitenancy.attribute},
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


def _make_compact() -> Callable[[Any], str]:
    """Compact JSON with sorted keys from json's C encoder, built once: `json.dumps` with options builds
    a new encoder on every call, which costs more than encoding a column."""
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the public API, same bytes
        return lambda value: json.dumps(value, sort_keys=True, ensure_ascii=False)
    # mirrors json.JSONEncoder.iterencode(sort_keys=True, ensure_ascii=False) for the C path
    fail = json.JSONEncoder().default  # raises TypeError naming the value
    encode = make(None, fail, encode_basestring, None, ": ", ", ", True, False, True)
    return lambda value: "".join(encode(value, 0))


_compact = _make_compact()


def column_json(column: Column) -> str:
    """One column's compact JSON, as a snapshot's `attributes` line holds it."""
    return _compact(_column_dict(column))


def _lines(data: Mapping[str, Any]) -> list[str]:
    """One line per top-level key, and one per list item (a column, an index, ...): small git diffs."""
    lines = []
    for key, value in sorted(data.items()):
        if isinstance(value, list) and value:
            lines.append(_list_line(key, [_compact(item) for item in value]))
        elif value is None:
            lines.append(f'  "{key}": null')
        elif type(value) is str:
            lines.append(f'  "{key}": {encode_basestring(value)}')
        else:
            lines.append(f'  "{key}": {_compact(value)}')
    return lines


def _list_line(key: str, items: list[str]) -> str:
    body = ",\n    ".join(items)
    return f'  "{key}": [\n    {body}\n  ]'


def _table_lines(table: Table, opted_out: bool, encode: ColumnJson) -> list[str]:
    """`_lines(table_to_dict(table))`, each column's JSON from `encode`."""
    lines = _lines(_table_dict_without_columns(table, opted_out))
    if table.columns:
        lines.append(_list_line("attributes", [encode(c) for c in table.columns]))
    else:
        lines.append('  "attributes": []')
    lines.sort()  # each line starts with its quoted key, and keys are distinct identifiers
    return lines


def _document(lines: list[str]) -> str:
    return "{\n" + ",\n".join(lines) + "\n}\n"


def dumps(data: Mapping[str, Any]) -> str:
    """Sorted keys, one line per top-level key and per list item. Keys are plain identifiers."""
    return _document(_lines(data))


def table_to_json(table: Table, opted_out: bool = False, encode: ColumnJson = column_json) -> str:
    """Byte-stable JSON; `hash` is the SHA-256 of the file as it would be without its `hash` line:
    a content checksum for people and tools (snapshift itself compares the decoded content). `encode`:
    `column_json`, or an `IdentityMemo` of it shared by the tables of one pass (they share Columns)."""
    lines = _table_lines(table, opted_out, encode)
    digest = hashlib.sha256(_document(lines).encode()).hexdigest().upper()
    lines.append(f'  "hash": "{digest}"')
    lines.sort()  # each line starts with its quoted key, and keys are distinct identifiers
    return _document(lines)


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


def _decode(path: Path, raw: bytes | None = None) -> dict[str, Any]:
    """The snapshot at `path` (its bytes when already read) as a JSON object."""
    try:
        data = orjson.loads(read_bytes(path) if raw is None else raw)  # faster than json's decoder
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"cannot read snapshot: {exc}", Location(path)) from exc
    if not isinstance(data, dict):
        raise SnapshotError("cannot read snapshot: not a JSON object", Location(path))
    return data


def _stored(data: dict[str, Any], path: Path) -> StoredTable:
    try:
        table = table_from_dict(data, source=path)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SnapshotError(f"cannot read snapshot: missing or bad {exc}", Location(path)) from exc
    from snapshift.engine.autogen.snapshot_check import (  # only for a snapshot that differs: rare
        BadSnapshot,
        check_table,
    )

    try:
        check_table(table)
    except BadSnapshot as exc:
        raise SnapshotError(f"cannot use snapshot: {exc}", Location(path)) from None
    return StoredTable(table, path, bool(data.get("drop_table_opted_out", False)))


def read_snapshot(path: Path) -> StoredTable:
    return _stored(_decode(path), path)


def table_folders(repo_snapshots: Path) -> list[tuple[str, TableKey]]:
    """Every table folder of a repo (public ones, then `tenants/*`) with the key its name gives."""
    try:
        entries = list(os.scandir(repo_snapshots))
    except FileNotFoundError:
        return []
    folders = []
    for entry in entries:
        if not entry.is_dir():
            continue
        if entry.name == TENANTS_DIR:  # tenant tables; snapshots right inside: a public table "tenants"
            tenant_folders = [e for e in os.scandir(entry.path) if e.is_dir()]
            folders += [(e.path, TableKey(None, decode_name(e.name), True)) for e in tenant_folders]
            if latest_name(entry.path) is not None:
                folders.append((entry.path, TableKey(None, TENANTS_DIR, False)))
        else:
            schema, name = parse_table_folder_name(entry.name)
            folders.append((entry.path, TableKey(schema, name, False)))
    return sorted(folders)


def folder_key(repo_snapshots: Path, folder: Path) -> TableKey | None:
    """The key of the table whose snapshots `folder` holds, as `table_folders` names it; None when
    `folder` is no table folder of the repo."""
    if folder.parent == repo_snapshots / TENANTS_DIR:
        return TableKey(None, decode_name(folder.name), True)
    if folder.parent != repo_snapshots:
        return None
    if folder.name == TENANTS_DIR:
        return TableKey(None, TENANTS_DIR, False)
    schema, name = parse_table_folder_name(folder.name)
    return TableKey(schema, name, False)


def latest_name(folder: str) -> str | None:
    try:
        names = [e.name for e in os.scandir(folder) if SNAPSHOT_NAME.match(e.name)]
    except FileNotFoundError:
        return None
    return max(names) if names else None


def snapshot_listing(repo_snapshots: Path) -> list[tuple[str, str | None]]:
    """Every table folder of a repo with its latest snapshot's name (None: no snapshot)."""
    return [(folder, latest_name(folder)) for folder, _ in table_folders(repo_snapshots)]


# A table folder, its key's (schema, name, tenant), its latest snapshot's name (None: no snapshot) and
# that snapshot's bytes; None when it could not be read (`load_state` reads it again and reports the
# error). Plain data, kept by a project state between plans.
LatestFile = tuple[str, tuple[str | None, str, bool], str | None, bytes | None]


def read_latest_files(repo_snapshots: Path) -> list[LatestFile]:
    """The reading half of `load_state`: every table folder of a repo with its latest snapshot's bytes."""
    return [snapshot_entry(folder, key) for folder, key in table_folders(repo_snapshots)]


def snapshot_entry(folder: str, key: TableKey) -> LatestFile:
    """One table folder's `LatestFile`: its newest snapshot's name and content."""
    name = latest_name(folder)
    content = None
    if name is not None:
        try:
            content = read_bytes(os.path.join(folder, name))
        except OSError:
            content = None
    return (folder, (key.schema, key.name, key.tenant), name, content)


# A snapshot already turned into a StoredTable, by (folder, file name): the current table it was compared
# with and the bytes it was read from. A state keeps these so that a re-plan decodes only what changed.
KnownSnapshots = dict[tuple[str, str], tuple[Table | None, bytes | None, StoredTable]]


def load_state(
    repo_snapshots: Path,
    current: Mapping[TableKey, Table] | None = None,
    files: Iterable[LatestFile] | None = None,
    extensions: tuple[str, ...] | None = None,
    known: KnownSnapshots | None = None,
) -> SnapshotState:
    """Latest snapshot of every table folder of one repo, and its extensions; `files` (and `extensions`,
    None: no extensions file) when they were read already (`repofiles`).

    A snapshot that holds exactly the `current` table of its name is not turned into a model: the
    current table is what it holds. Comparing decoded JSON content is cheap; building the model is not,
    so only a snapshot that differs is turned into one.
    `known` remembers each result for the same table and bytes.
    """
    state = SnapshotState()
    current = current or {}
    column_dict = IdentityMemo(_column_dict)  # the current tables share Columns: one dict for each
    for folder, (schema, table_name, tenant), name, content in (
        read_latest_files(repo_snapshots) if files is None else files
    ):
        state.listing.append((folder, name))
        if name is None:
            continue
        table = current.get(TableKey(schema, table_name, tenant))
        memo = known.get((folder, name)) if known is not None else None
        if memo is not None and memo[0] is table and memo[1] is content and content is not None:
            _add(state, memo[2])
            continue
        stored = _load_one(Path(folder, name), table, content, column_dict)
        _add(state, stored)
        if known is not None:
            known[(folder, name)] = (table, content, stored)
    installed = read_extensions(repo_snapshots) if files is None else extensions
    if installed is not None:
        state.extensions = installed
    return state


def read_extensions(repo_snapshots: Path) -> tuple[str, ...] | None:
    """The extensions a repo's snapshots record as installed; None when there is no extensions file."""
    path = repo_snapshots / EXTENSIONS_FILE
    try:
        raw = read_bytes(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SnapshotError(f"cannot read extensions: {exc}", Location(path)) from exc
    return parse_extensions(raw, path)


def parse_extensions(raw: bytes, path: Path) -> tuple[str, ...]:
    """The installed extensions an extensions file's bytes list; SnapshotError naming `path` otherwise."""
    try:  # orjson: a deeply nested file is a ValueError, not a RecursionError
        return tuple(orjson.loads(raw)["installed"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"cannot read extensions: {exc}", Location(path)) from exc


def _load_one(path: Path, table: Table | None, content: bytes | None, column_dict: ColumnDict) -> StoredTable:
    data = _decode(path, content)
    if table is not None and _holds(data, table, column_dict):
        return StoredTable(table, path)
    return _stored(data, path)


def _add(state: SnapshotState, stored: StoredTable) -> None:
    """One folder per table: a second folder whose latest snapshot holds the same table (copied by hand,
    or named by an older snapshift) would make which one counts a matter of chance."""
    key = stored.table.key
    other = state.tables.get(key)
    if other is not None:
        raise SnapshotError(
            f"the latest snapshots in {other.path.parent} and in {stored.path.parent} both hold table "
            f"'{key.display()}': keep one of the two folders",
            Location(stored.path),
        )
    state.tables[key] = stored


def _holds(data: dict[str, Any], table: Table, column_dict: ColumnDict) -> bool:
    """Whether decoded snapshot `data` is `table`'s snapshot (not opted out; the hash aside)."""
    expected = table_to_dict(table, False, column_dict)
    expected["hash"] = data.get("hash")
    return expected == data


def extensions_json(extensions: Iterable[str]) -> str:
    return dumps({"installed": list(extensions)})
