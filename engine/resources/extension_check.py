"""Types that need a PostgreSQL extension (SPEC 2 `extensions`): caught at generate, not at migrate.

A `ci_string` column in a repo whose `extensions` lacks citext would give a migration that fails at
`migrate`, and adding the extension afterwards orders its migration after the failing one. So generate
stops first (exit 2), naming the resource, the type and the config line to add; with the extension
listed, the same generate creates it before the tables that need it.
"""

from __future__ import annotations

from collections.abc import Sequence

from snapshift.engine.base.errors import Location, ResourceError
from snapshift.engine.resources.config import RepoConfig
from snapshift.engine.resources.model import Table
from snapshift.engine.resources.tomlpos import find_line
from snapshift.engine.resources.types import element_type

#: Canonical types that PostgreSQL provides only through an extension of the same name.
EXTENSION_TYPES = {"citext": "citext", "hstore": "hstore", "ltree": "ltree"}


def check_extensions(repo: RepoConfig, tables: Sequence[Table], installed: Sequence[str] = ()) -> None:
    """ResourceError (exit 2) for the first column whose type needs an extension that `repo` does not
    list and its migrations did not create (`installed`, from its snapshots): a name taken out of the
    config later drops nothing, so whether a table changed must not decide whether this is an error."""
    listed = {*repo.extensions, *installed}
    for table in tables:
        for column in table.columns:
            needed = EXTENSION_TYPES.get(element_type(column.type))
            if needed is not None and needed not in listed:
                raise _missing(repo, table, column.name, column.type, needed)


def _missing(repo: RepoConfig, table: Table, column: str, type_name: str, extension: str) -> ResourceError:
    import tomllib  # the error path only: generate itself reads TOML with rtoml (resources.tomlpos)

    key = ("attributes", column, "type")
    spelled, line = type_name, None
    if table.source is not None:
        try:
            text = table.source.read_text(encoding="utf-8")
            spelled = str(tomllib.loads(text)["attributes"][column]["type"])
            line = find_line(text, key)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    shown = f"'{spelled}'" + ("" if spelled == type_name else f" ({type_name})")
    if repo.extensions:
        listed = ", ".join(f'"{e}"' for e in (*repo.extensions, extension))
        fix = f"extensions = [{listed}]"
    else:
        fix = f'extensions = ["{extension}"]'
    where = f" in {repo.config_path}" if repo.config_path else ""
    message = (
        f"table '{table.key.display()}': type {shown} needs the PostgreSQL extension {extension}, which "
        f"repo '{repo.name}' does not list; add `{fix}` to [repos.{repo.name}]{where} (generate then "
        "creates it before the tables that need it)"
    )
    return ResourceError(message, Location(table.source, ".".join(key), line))
