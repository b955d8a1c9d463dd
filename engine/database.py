"""psycopg helpers outside migrations: resolve and redact URLs, connect, create and drop databases.

A password in a URL never reaches a message we produce (SPEC 2): every error built here goes through
`redact`, and the driver's own exception is not chained, so tracebacks cannot leak it either.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from engine.errors import ConfigError, DatabaseError

ENV_PREFIX = "env:"
MAINTENANCE_DATABASE = "postgres"

_URI_SCHEME = re.compile(r"^postgres(?:ql)?://", re.IGNORECASE)
# user:password@ of a URI; the password runs to the last "@" before any query (even past a "/").
_URI_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/?#@]*:)[^\n?#]*@", re.IGNORECASE)
# password=... in a URI query string.
_QUERY_PASSWORD = re.compile(r"([?&](?:ssl)?password=)[^&#\s]*", re.IGNORECASE)
# password=... in a key=value conninfo string, quoted with backslash escapes ('a \' b') or bare.
_KEYWORD_PASSWORD = re.compile(r"(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S+)", re.IGNORECASE)
_KEYWORD_TAIL = re.compile(r"(\b(?:ssl)?password\s*=\s*).*", re.IGNORECASE | re.DOTALL)
_QUOTED = re.compile(r'"[^"]*"')


def resolve_url(raw: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The URL a config value stands for: "env:NAME" reads the variable; unset or empty gives None."""
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    if not raw.startswith(ENV_PREFIX):
        return raw
    name = raw[len(ENV_PREFIX) :].strip()
    if not name:
        raise ConfigError(f"{raw!r} names no environment variable (write env:NAME)")
    value = (os.environ if environ is None else environ).get(name)
    return (value.strip() or None) if value else None


def redact(url: str) -> str:
    """`url` with any password replaced by "***", for URIs and key=value conninfo strings alike."""
    if _URI_SCHEME.match(url):
        return _QUERY_PASSWORD.sub(r"\1***", _URI_PASSWORD.sub(r"\1***@", url))
    return _KEYWORD_PASSWORD.sub(r"\1***", _URI_PASSWORD.sub(r"\1***@", url))


def _parsed(url: str) -> dict[str, Any] | None:
    try:
        return conninfo_to_dict(url)
    except psycopg.Error:
        return None


def _may_hold_password(url: str) -> bool:
    return redact(url) != url or "@" in url


def scrub(message: str, url: str) -> str:
    """`message` (from the driver or the server) with the password of `url` taken out wherever it appears."""
    params = _parsed(url)
    if params is None and _may_hold_password(url):
        message = _QUOTED.sub(lambda quoted: f'"{_fragment(quoted.group()[1:-1], url)}"', message)
    elif params and params.get("password"):
        password = re.escape(str(params["password"]))
        message = re.sub(rf"(?<![A-Za-z0-9]){password}(?![A-Za-z0-9])", "***", message)
    return redact(message)


def _fragment(fragment: str, url: str) -> str:
    """A fragment the driver quoted from a URL it could not parse: the whole URL is shown redacted,
    punctuation (`missing "=" after ...`) as is, anything else may be a piece of the password."""
    if fragment == url.strip():
        return _shown(url)
    return fragment if not any(char.isalnum() for char in fragment) else "***"


def _shown(url: str) -> str:
    """The URL for a message: redacted; when it does not even parse, cut where a password could be."""
    if _parsed(url) is not None or not _may_hold_password(url):
        return redact(url)
    if _URI_SCHEME.match(url) and "@" in url:
        return url[: url.index("://") + 3] + "***@" + url.rsplit("@", 1)[1]
    return _KEYWORD_TAIL.sub(r"\1***", redact(url))


def _error(action: str, url: str, exc: Exception) -> DatabaseError:
    detail = str(exc).strip() or type(exc).__name__
    return DatabaseError(f"{action} ({_shown(url)}): {scrub(detail, url)}")


def connect(url: str, *, autocommit: bool = False, connect_timeout: int = 10) -> psycopg.Connection[Any]:
    """Open a connection; a failure is a DatabaseError with the redacted URL and the server's reason."""
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=connect_timeout)
    except psycopg.Error as exc:
        raise _error("could not connect to the database", url, exc) from None


def _params(url: str) -> dict[str, Any]:
    try:
        return conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise _error("invalid database URL", url, exc) from None


def database_name(url: str) -> str:
    """The database `url` points at, with libpq's defaults (PGDATABASE, then the user name)."""
    params = _params(url)
    name = params.get("dbname") or os.environ.get("PGDATABASE")
    if name:
        return str(name)
    return str(params.get("user") or os.environ.get("PGUSER") or getpass.getuser())


def with_database(url: str, database: str) -> str:
    """`url` pointing at `database` on the same server, keeping the URI or key=value form."""
    if not _URI_SCHEME.match(url):
        _params(url)
        return make_conninfo(url, dbname=database)
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "dbname"])
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(database, safe=""), query, parts.fragment))


def maintenance_url(url: str) -> str:
    """A URL of the same server's "postgres" database ("template1" when `url` is that database itself)."""
    target = MAINTENANCE_DATABASE if database_name(url) != MAINTENANCE_DATABASE else "template1"
    return with_database(url, target)


def database_exists(url: str) -> bool:
    """Whether the database of `url` exists, asked through the maintenance database."""
    name = database_name(url)
    with connect(maintenance_url(url), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def create_database(url: str) -> bool:
    """CREATE DATABASE for `url`; True if created, False if it already existed."""
    name = database_name(url)
    admin = maintenance_url(url)
    with connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            return False  # created meanwhile by someone else (a concurrent CREATE reports the unique index)
        except psycopg.Error as exc:
            raise _error(f"could not create database {name!r}", admin, exc) from None
    return True


def drop_database(url: str, *, force: bool = True) -> bool:
    """DROP DATABASE for `url` (WITH (FORCE) ends its sessions); False if it did not exist."""
    name = database_name(url)
    admin = maintenance_url(url)
    statement = sql.SQL("DROP DATABASE {}").format(sql.Identifier(name))
    if force:
        statement = sql.SQL("{} WITH (FORCE)").format(statement)
    with connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(statement)
        except psycopg.errors.InvalidCatalogName:
            return False
        except psycopg.Error as exc:
            raise _error(f"could not drop database {name!r}", admin, exc) from None
    return True
