"""The one place that takes passwords out of text before it reaches a user (SPEC 2).

`mask(text, url)` hides the password fields of any connection string written in `text` (URI userinfo,
`password=` in a query, key=value `password=...`, quoted or not; `sslpassword` alike), and every piece
of the password of `url` wherever it appears: a malformed URL (an unencoded `@`, `/`, space or `%`)
makes the driver cut the password at a separator and quote a piece of it as a host, a port or a
keyword, so the pieces between separators are taken out too, not only the password as a whole.
No psycopg here: the driver's parse is one more source of the password, asked for by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote

HIDDEN = "***"

# user:password@ of a URI; the password runs to the last "@" before any query (even past a "/").
_URI_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/?#@]*:)([^\n?#]*)@", re.IGNORECASE)
# password=... in a URI query string.
_QUERY_PASSWORD = re.compile(r"([?&](?:ssl)?password=)([^&#\s]*)", re.IGNORECASE)
# password=... in a key=value conninfo string, quoted with backslash escapes ('a \' b') or bare.
_KEYWORD_PASSWORD = re.compile(r"((?<![?&])\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S+)", re.IGNORECASE)
# a malformed key=value string: everything after "password=" may be the password.
_KEYWORD_TAIL = re.compile(r"\b(?:ssl)?password\s*=\s*(.*)", re.IGNORECASE | re.DOTALL)
# where libpq cuts a URI or a key=value string, so where a quoted piece of a password may end
_SEPARATORS = re.compile(r"[\s@:/?#&=%,\[\]'\"\\]+")
SHORTEST_PIECE = 3  # shorter pieces of a cut password tell little and would hide common words


def mask(text: str, url: str | None = None, passwords: Sequence[str] | None = ()) -> str:
    """`text` without passwords: its own password fields, and the password of `url` in full or in
    pieces, wherever they appear. `passwords` are the ones the driver read from `url`; None when it
    could not read it, so that all that follows a "password=" may be one."""
    secrets = _secrets(url, passwords) if url is not None else []
    masked = _hide_fields(text)
    for secret in secrets:
        masked = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", HIDDEN, masked)
    return masked


def _hide_fields(text: str) -> str:
    text = _URI_PASSWORD.sub(rf"\1{HIDDEN}@", text)
    text = _QUERY_PASSWORD.sub(rf"\1{HIDDEN}", text)
    return _KEYWORD_PASSWORD.sub(rf"\1{HIDDEN}", text)


def _secrets(url: str, passwords: Sequence[str] | None) -> list[str]:
    """Every string that is, or may be a piece of, the password in `url`; longest first."""
    whole = [value for value in passwords or () if value]
    whole += [match.group(2) for match in _URI_PASSWORD.finditer(url)]
    whole += [match.group(2) for match in _QUERY_PASSWORD.finditer(url)]
    whole += [match.group(2) for match in _KEYWORD_PASSWORD.finditer(url)]
    if passwords is None:
        whole += [match.group(1) for match in _KEYWORD_TAIL.finditer(url)]
    whole += [_unquoted(value) for value in whole]
    whole = [value.strip() for value in whole if value.strip() and value.strip() != HIDDEN]
    pieces = [piece for value in whole for piece in _SEPARATORS.split(value) if len(piece) >= SHORTEST_PIECE]
    return sorted(set(whole + pieces), key=len, reverse=True)


def _unquoted(value: str) -> str:
    """A value as the driver reads it: percent-decoded (URIs), or unquoted and unescaped (key=value)."""
    if value.startswith("'"):
        return re.sub(r"\\(.)", r"\1", value.strip("'"))
    return unquote(value)
