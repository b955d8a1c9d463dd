"""psycopg helpers outside migrations: resolve and redact URLs, connect, create and drop databases.

A password in a URL never reaches a message we produce (SPEC 2): every error built here goes through
engine.base.masking (the URL and the driver's text alike), and the driver's own exception is not chained,
so tracebacks cannot leak it either.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from snapshift.engine.base.errors import ConfigError, DatabaseError
from snapshift.engine.base.masking import mask

ENV_PREFIX = "env:"
MAINTENANCE_DATABASE = "postgres"

_URI_SCHEME = re.compile(r"^postgres(?:ql)?://", re.IGNORECASE)
DEFAULT_CONNECT_TIMEOUT = 10  # seconds; libpq waits at least 2
PASSWORD_KEYS = ("password", "sslpassword")


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


class MissingDatabase(DatabaseError):
    """The server answered that the database does not exist (so `status` need not ask it again)."""


_MISSING = re.compile(r'database ".*" does not exist')


def redact(url: str) -> str:
    """`url` as it may be printed: without its password, even when the driver cannot parse it."""
    return mask(url, url, _passwords(url))


def _passwords(url: str) -> list[str] | None:
    """The passwords the driver reads from `url`; None when it cannot read `url` at all."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return None
    return [str(params[key]) for key in PASSWORD_KEYS if params.get(key)]


def _error(action: str, url: str, exc: Exception, note: str = "") -> DatabaseError:
    """A DatabaseError naming `url` (redacted) with the driver's reason, from which every piece of the
    password is taken out: a malformed URL makes the driver quote pieces of it as hosts or keywords."""
    detail = str(exc).strip() or type(exc).__name__
    return DatabaseError(f"{hide_password(action, url)} ({redact(url)}): {hide_password(detail, url)}{note}")


def hide_password(text: str, url: str) -> str:
    """`text` without any piece of the password of `url`: also of a URL made from it (another database
    on the same server), whose own password a malformed `url` may have cut short."""
    return mask(text, url, _passwords(url))


def timeout_of(url: str, configured: int | None = None) -> int:
    """The seconds a connect may take: the URL's own connect_timeout, else the configured one, else 10."""
    own = _parsed_timeout(url)
    return own if own is not None else (configured or DEFAULT_CONNECT_TIMEOUT)


def _parsed_timeout(url: str) -> int | None:
    try:
        value = conninfo_to_dict(url).get("connect_timeout")
    except psycopg.Error:
        return None
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def connect(
    url: str, *, autocommit: bool = False, connect_timeout: int | None = None
) -> psycopg.Connection[Any]:
    """Open a connection, waiting at most `connect_timeout` seconds (the URL's own wins; default 10); a
    failure is a DatabaseError with the redacted URL and the server's reason (a timeout: how long)."""
    return _open(url, url, "could not connect to the database", autocommit, connect_timeout)


def _open(
    conninfo: str, url: str, action: str, autocommit: bool, timeout: int | None
) -> psycopg.Connection[Any]:
    """Connect to `conninfo`, made from the configured `url` that messages name."""
    seconds = timeout_of(url, timeout)
    own: dict[str, Any] = {} if _parsed_timeout(conninfo) is not None else {"connect_timeout": seconds}
    try:
        return psycopg.connect(conninfo, autocommit=autocommit, **own)
    except psycopg.errors.ConnectionTimeout as exc:
        note = f" (waited {seconds} s; connect_timeout in the URL or the repo's config sets how long)"
        raise _error(action, url, exc, note) from None
    except psycopg.Error as exc:
        error = _error(action, url, exc)
        if _MISSING.search(str(exc)):
            raise MissingDatabase(error.message) from None
        raise error from None


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
    path = "/" + quote(database, safe="")
    # by hand, not urlunsplit: that drops the "//" of a URI without a host (a socket URL)
    return (
        f"{parts.scheme}://{parts.netloc}{path}"
        + (f"?{query}" if query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


def maintenance_url(url: str) -> str:
    """Connection parameters of the same server's "postgres" database ("template1" when `url` is that
    database itself), made from the parsed parameters of `url`, never by editing its text: a socket URL
    (`postgresql:///db?host=/run/postgresql`) keeps its host in the query."""
    params = {key: value for key, value in _params(url).items() if value is not None}
    params["dbname"] = MAINTENANCE_DATABASE if database_name(url) != MAINTENANCE_DATABASE else "template1"
    return make_conninfo("", **params)


@contextmanager
def _maintenance(url: str, timeout: int | None) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the maintenance database of `url`'s server; a failure names the
    configured URL (redacted) and the database it was after, not only the maintenance one."""
    admin = maintenance_url(url)
    action = (
        f"could not connect to the server of database {database_name(url)!r} "
        f"through its maintenance database {database_name(admin)!r}"
    )
    with _open(admin, url, action, True, timeout) as conn:
        yield conn


def database_exists(url: str, timeout: int | None = None) -> bool:
    """Whether the database of `url` exists, asked through the maintenance database."""
    name = database_name(url)
    with _maintenance(url, timeout) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def create_database(url: str, timeout: int | None = None) -> bool:
    """CREATE DATABASE for `url`; True if created, False if it already existed."""
    name = database_name(url)
    with _maintenance(url, timeout) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            return False  # created meanwhile by someone else (a concurrent CREATE reports the unique index)
        except psycopg.Error as exc:
            raise _error(f"could not create database {name!r}", url, exc) from None
    return True


def drop_database(url: str, *, force: bool = True, timeout: int | None = None) -> bool:
    """DROP DATABASE for `url` (WITH (FORCE) ends its sessions); False if it did not exist."""
    name = database_name(url)
    statement = sql.SQL("DROP DATABASE {}").format(sql.Identifier(name))
    if force:
        statement = sql.SQL("{} WITH (FORCE)").format(statement)
    with _maintenance(url, timeout) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(statement)
        except psycopg.errors.InvalidCatalogName:
            return False
        except psycopg.Error as exc:
            raise _error(f"could not drop database {name!r}", url, exc) from None
    return True
