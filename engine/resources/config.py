"""Project config (SPEC 2): find snapshift.toml (or [tool.snapshift] in pyproject.toml) and validate it."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from snapshift.engine.base.errors import ConfigError, Location
from snapshift.engine.base.pglimits import MAX_IDENTIFIER_BYTES
from snapshift.engine.resources.tomlpos import Doc, KeyPath, TomlTable, did_you_mean, load_toml, parse_text


@dataclass(frozen=True)
class RepoConfig:
    """One repo (database) and the paths of its generated files, all absolute."""

    name: str
    url: str | None  # as written: a URL, "env:NAME", or None for the embedded dev database
    migrations_path: Path
    tenant_migrations_path: Path
    snapshots_root: Path  # the configured snapshots_path; this repo's snapshots live in snapshots_root / name
    extensions: tuple[str, ...] = ()
    tenants: tuple[str, ...] | None = None
    tenants_query: str | None = None
    config_path: Path | None = field(default=None, compare=False)  # the file it was read from
    connect_timeout: int | None = None  # seconds; a connect_timeout in the URL wins (engine.db.database)
    lock_timeout: float = 5.0  # seconds a migration waits for a lock; 0: forever (--lock-timeout wins)

    @property
    def url_key(self) -> str:
        """Where the URL is configured, for messages: `snapshift.toml, key 'repos.X.url'`."""
        where = f"{self.config_path}, " if self.config_path else ""
        return f"{where}key 'repos.{self.name}.url'"

    @property
    def snapshots_path(self) -> Path:
        return self.snapshots_root / self.name


@dataclass(frozen=True)
class ProjectConfig:
    """The whole config; `repos` keeps file order and the first repo is the default."""

    root: Path  # folder of the config file
    config_path: Path
    resource_globs: tuple[str, ...]
    repos: tuple[RepoConfig, ...]
    read_ns: int = field(default=0, compare=False)  # when the file was read (time.time_ns()); 0: not read

    @property
    def default_repo(self) -> RepoConfig:
        return self.repos[0]

    def repo(self, name: str) -> RepoConfig | None:
        for repo in self.repos:
            if repo.name == name:
                return repo
        return None


CONFIG_FILE = "snapshift.toml"
PYPROJECT_FILE = "pyproject.toml"
DEFAULT_REPO = "repo"
DEFAULT_RESOURCES = ("resources/**/*.toml",)
DEFAULT_SNAPSHOTS = "priv/resource_snapshots"

_TOP_KEYS = frozenset({"resources", "repos"})
_REPO_KEYS = frozenset(
    {
        "url",
        "migrations_path",
        "tenant_migrations_path",
        "snapshots_path",
        "extensions",
        "tenants",
        "tenants_query",
        "connect_timeout",
        "lock_timeout",
    }
)
_REPO_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def find_config(start: Path) -> Path:
    """The config file in `start` or its nearest parent; raises ConfigError when there is none.

    In each folder, from `start` upwards, snapshift.toml wins over a pyproject.toml with [tool.snapshift].
    """
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT_FILE
        if pyproject.is_file() and _has_tool_section(pyproject):
            return pyproject
    raise ConfigError(f"no {CONFIG_FILE} (or pyproject.toml with [tool.snapshift]) in {start} or its parents")


def _has_tool_section(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "snapshift" not in text:
        return False
    data, _ = load_toml(pyproject, ConfigError)
    tool = data.get("tool")
    return isinstance(tool, dict) and "snapshift" in tool


def load_config(path: Path) -> ProjectConfig:
    """Read and validate a config file (snapshift.toml or pyproject.toml with [tool.snapshift])."""
    path = path.resolve()
    read_ns = time.time_ns()
    data, text = load_toml(path, ConfigError)  # a UTF-8 byte order mark is accepted
    prefix: KeyPath = ()
    if path.name == PYPROJECT_FILE:
        prefix = ("tool", "snapshift")
        tool = data.get("tool")
        section = tool.get("snapshift") if isinstance(tool, dict) else None
        if section is None:
            raise ConfigError("no [tool.snapshift] section", Location(path))
        data = section
    doc = Doc(path, text, ConfigError, prefix)
    return replace(_project(doc, doc.table(data, ()) if prefix else data), read_ns=read_ns)


def parse_config(text: str, path: Path) -> ProjectConfig:
    """Validate config text as if it were stored at `path` (for editors and tests); no file is read."""
    path = path.resolve()
    return _project(Doc(path, text, ConfigError), parse_text(text, path, ConfigError))


def _project(doc: Doc, data: TomlTable) -> ProjectConfig:
    doc.check_keys(data, _TOP_KEYS, ())
    root = doc.path.parent
    globs = doc.strings(data, "resources", ())
    if globs is None:
        globs = list(DEFAULT_RESOURCES)
    for position, pattern in enumerate(globs):
        if not pattern.strip():
            raise doc.error(("resources", position), "a resource glob must not be empty")
        if os.path.isabs(pattern) or pattern.startswith("~") or ".." in Path(pattern).parts:
            raise doc.error(
                ("resources", position),
                f"resource glob '{pattern}' must stay inside the project: relative to it, without '..'",
            )
    repos_table = data.get("repos")
    repos: list[RepoConfig] = []
    if repos_table is not None:
        for name, section in doc.table(repos_table, ("repos",)).items():
            repos.append(_repo(doc, root, name, doc.table(section, ("repos", name))))
    if not repos:
        repos.append(_repo(doc, root, DEFAULT_REPO, {}))
    _check_distinct_paths(doc, repos)
    return ProjectConfig(root=root, config_path=doc.path, resource_globs=tuple(globs), repos=tuple(repos))


def _repo(doc: Doc, root: Path, name: str, section: TomlTable) -> RepoConfig:
    key: KeyPath = ("repos", name)
    if _REPO_NAME.fullmatch(name) is None or len(name) > MAX_IDENTIFIER_BYTES:
        raise doc.error(key, f"repo name '{name}' must be a lowercase identifier ([a-z_][a-z0-9_]*)")
    doc.check_keys(section, _REPO_KEYS, key)
    url = doc.string(section, "url", key)
    if url is not None and (not url.strip() or url.strip() == "env:"):
        raise doc.error((*key, "url"), "url must be a database URL or env:NAME")
    problem = url_problem(url) if url is not None and not url.strip().startswith("env:") else None
    if problem is not None:
        raise doc.error((*key, "url"), problem)
    tenants = doc.strings(section, "tenants", key)
    tenants_query = doc.string(section, "tenants_query", key)
    if tenants is not None and tenants_query is not None:
        raise doc.error((*key, "tenants_query"), "set either tenants or tenants_query, not both")
    if tenants_query is not None and not tenants_query.strip():
        raise doc.error((*key, "tenants_query"), "tenants_query must not be empty")
    for position, tenant in enumerate(tenants or ()):
        problem = tenant_problem(tenant)
        if problem is not None:
            raise doc.error((*key, "tenants", position), problem)
    if tenants is not None and len(set(tenants)) != len(tenants):
        duplicate = next(t for t in tenants if tenants.count(t) > 1)
        raise doc.error((*key, "tenants"), f"tenant '{duplicate}' is listed twice")
    extensions = doc.strings(section, "extensions", key) or []
    for position, extension in enumerate(extensions):
        if not extension.strip():
            raise doc.error((*key, "extensions", position), "an extension name must not be empty")
    return RepoConfig(
        name=name,
        url=url,
        connect_timeout=_seconds(doc, section, "connect_timeout", key),
        lock_timeout=_lock_timeout(doc, section, key),
        migrations_path=_path(doc, root, section, "migrations_path", key, f"priv/{name}/migrations"),
        tenant_migrations_path=_path(
            doc, root, section, "tenant_migrations_path", key, f"priv/{name}/tenant_migrations"
        ),
        snapshots_root=_path(doc, root, section, "snapshots_path", key, DEFAULT_SNAPSHOTS),
        extensions=tuple(dict.fromkeys(extensions)),
        tenants=tuple(tenants) if tenants is not None else None,
        tenants_query=tenants_query,
        config_path=doc.path,
    )


OWN_SCHEMA = "public"  # where the repo's own schema_migrations lives
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def tenant_problem(tenant: str) -> str | None:
    """Why `tenant` cannot be a tenant schema name, or None. A control character (NUL above all) would
    fail at the driver, or print as something else; `public` holds the repo's own schema_migrations, so
    its tenant migrations would be recorded as the repo's; PostgreSQL reserves `pg_` names."""
    shown = _CONTROL.sub(lambda match: repr(match.group())[1:-1], tenant)
    if not tenant or len(tenant.encode("utf-8", "surrogatepass")) > MAX_IDENTIFIER_BYTES:
        return f"tenant schema name '{shown}' must be 1-63 bytes"
    if _CONTROL.search(tenant):
        return f"tenant schema name '{shown}' must not contain a control character (NUL, tab, newline...)"
    if tenant != tenant.strip():  # a padded value from a query or a list: almost surely not the schema meant
        return f"tenant schema name '{shown}' starts or ends with a space"
    if tenant == OWN_SCHEMA:
        return (
            f"tenant '{OWN_SCHEMA}' is the repo's own schema: its schema_migrations would record tenant "
            "migrations as the repo's; use another schema"
        )
    if tenant.startswith("pg_"):
        return f"tenant schema name '{shown}' starts with pg_, which PostgreSQL reserves for system schemas"
    return None


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_KEYWORD_PAIR = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)*)")
URL_FORMS = "write postgresql://user@host:port/database, key=value pairs (host=... dbname=...) or env:NAME"


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a PostgreSQL connection string, or None; never quotes the URL, and a port
    it quotes may be a piece of a password cut at an unencoded "/" (so it is masked). A cheap check
    without the driver, so a typo is bad config rather than a failed connect."""
    problem = _url_problem(url.strip())
    if problem is None:
        return None
    from snapshift.engine.base.masking import mask  # the error path only: its patterns cost every start

    return mask(problem, url, None)


def _url_problem(url: str) -> str | None:
    scheme = _SCHEME.match(url)
    if scheme is not None:
        if scheme.group(1).lower() not in ("postgres", "postgresql"):
            return f"a {scheme.group(1)}:// URL is not a PostgreSQL URL ({URL_FORMS})"
        return _uri_problem(url)
    pairs: list[tuple[str, str]] = []
    index = 0
    while url[index:].strip():
        pair = _KEYWORD_PAIR.match(url, index)
        if pair is None:
            return f"not a PostgreSQL URL ({URL_FORMS})"
        pairs.append((pair.group(1), pair.group(2).strip("'")))
        index = pair.end()
    return _ports_problem([value for name, value in pairs if name == "port"])


def _uri_problem(url: str) -> str | None:
    parts = urlsplit(url)
    ports: list[str] = []
    for host in parts.netloc.rsplit("@", 1)[-1].split(","):
        _, colon, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        if colon and port:
            ports.append(port)
    ports += [value for name, value in parse_qsl(parts.query) if name == "port"]
    return _ports_problem(ports)


def _ports_problem(ports: list[str]) -> str | None:
    for value in ports:
        for port in value.split(","):
            if port and (not port.isdigit() or not 0 < int(port) < 65536):
                return f"port '{port}' is not a port number (1-65535)"
    return None


def _seconds(doc: Doc, section: TomlTable, name: str, key: KeyPath) -> int | None:
    """A whole number of seconds, at least 1 (libpq waits 2 at the least)."""
    value = doc.integer(section, name, key)
    if value is not None and value < 1:
        raise doc.error((*key, name), f"{name} must be a whole number of seconds, at least 1")
    return value


DEFAULT_LOCK_TIMEOUT = 5.0


def _lock_timeout(doc: Doc, section: TomlTable, key: KeyPath) -> float:
    """Seconds, a whole or a decimal number, 0 for none."""
    value = section.get("lock_timeout", DEFAULT_LOCK_TIMEOUT)
    if type(value) not in (int, float) or not 0 <= value < 10**9:  # also refuses inf and nan
        raise doc.error((*key, "lock_timeout"), "lock_timeout must be a number of seconds, 0 or more")
    return float(value)


def _path(doc: Doc, root: Path, section: TomlTable, name: str, key: KeyPath, default: str) -> Path:
    """A folder snapshift writes into: inside the project, so that a config in a pull request cannot
    make it write anywhere else (symlinks resolved), and not the project itself nor a file."""
    value = doc.string(section, name, key)
    if value is not None and not value.strip():
        raise doc.error((*key, name), f"{name} must not be empty")
    written = value if value is not None else default
    folder = Path(os.path.normpath(root / written))
    problem = outside_project(root, str(folder))
    if problem is None and folder == root:
        problem = "is the project folder itself"
    if problem is None and folder.exists() and not folder.is_dir():
        problem = "is a file, not a folder"
    if problem is not None:
        raise doc.error((*key, name), f"{name} '{written}' {problem}: give a folder inside the project")
    return folder


def outside_project(root: Path, path: str) -> str | None:
    """Why `path` (absolute, normalized) is no place for snapshift to read or write, or None: it lies
    outside the project folder `root` (resolved), by its text or through a symlink, or inside `.git`."""
    base = str(root)
    if not _within(path, base):
        return "lies outside the project"
    if ".git" in Path(path).relative_to(base).parts:
        return "lies inside .git"
    if not _within(os.path.realpath(path), os.path.realpath(base)):
        return "leads outside the project through a symbolic link"
    return None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _check_distinct_paths(doc: Doc, repos: list[RepoConfig]) -> None:
    """Two repos writing migrations or snapshots into one folder would read each other's files."""
    seen: dict[Path, tuple[str, str]] = {}
    for repo in repos:
        for name in ("migrations_path", "tenant_migrations_path"):
            folder: Path = getattr(repo, name)
            clash = seen.get(folder)
            if clash is not None:
                raise doc.error(
                    ("repos", repo.name, name),
                    f"{name} {folder} is also {clash[1]} of repo '{clash[0]}'",
                )
            seen[folder] = (repo.name, name)
    snapshot_folders = [(repo, repo.snapshots_path) for repo in repos]
    for repo in repos:
        for name in ("migrations_path", "tenant_migrations_path"):
            folder = getattr(repo, name)
            for other, snapshots in snapshot_folders:
                if folder == snapshots or snapshots in folder.parents:
                    raise doc.error(
                        ("repos", repo.name, name),
                        f"{name} {folder} lies inside the snapshots of repo '{other.name}' ({snapshots})",
                    )
    for repo, folder in snapshot_folders:
        for other, other_folder in snapshot_folders:
            if other is not repo and (folder == other_folder or other_folder in folder.parents):
                raise doc.error(
                    ("repos", repo.name, "snapshots_path"),
                    f"the snapshots of repo '{repo.name}' ({folder}) would lie inside those of repo "
                    f"'{other.name}' ({other_folder})",
                )


def repo_hint(config: ProjectConfig, name: str) -> str:
    """A did-you-mean hint for an unknown repo name."""
    return did_you_mean(name, [repo.name for repo in config.repos])
