"""Index expressions, `where` predicates and checks name only their table's columns: a stale name (a rename)
migrates, but breaks every fresh build of the migrations, so generate stops at the file, key and line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from snapshift.engine.resources.expression_columns import unknown_column
from tests.engine.resources.test_resources import assert_at, error, load
from tests.support.paths import REPO_ROOT

POSTS = """\
table = "posts"

[attributes]
id = { type = "uuid", primary_key = true }
title = { type = "text" }
content = { type = "text" }
archived = { type = "boolean", default = false }
inserted_at = { type = "utc_datetime_usec" }
"""  # a column `body` was renamed to `content`


def test_error_an_index_expression_names_a_renamed_column(tmp_path: Path) -> None:
    text = POSTS + '\n[[indexes]]\nname = "posts_search_index"\nfields = ["title", "lower(body)"]\n'
    err = error(tmp_path, {"posts.toml": text})
    assert_at(err, tmp_path, "posts.toml", "indexes[0].fields[1]", 12)
    assert "the expression names column 'body' which table 'posts' does not have" in str(err)


def test_error_an_index_where_names_an_unknown_column(tmp_path: Path) -> None:
    text = POSTS + '\n[[indexes]]\nfields = ["title"]\nwhere = "archivd = false"\n'
    err = error(tmp_path, {"posts.toml": text})
    assert_at(err, tmp_path, "posts.toml", "indexes[0].where", 12)
    assert "names column 'archivd' which table 'posts' does not have (did you mean 'archived'?)" in str(err)


def test_error_an_identity_where_names_an_unknown_column(tmp_path: Path) -> None:
    text = POSTS + '\n[identities]\nunique_title = { keys = ["title"], where = "deleted_at IS NULL" }\n'
    err = error(tmp_path, {"posts.toml": text})
    assert_at(err, tmp_path, "posts.toml", "identities.unique_title.where", 11)
    assert "names column 'deleted_at' which table 'posts' does not have" in str(err)


def test_error_a_check_names_an_unknown_column(tmp_path: Path) -> None:
    text = POSTS + '\n[[check_constraints]]\nname = "long_enough"\ncheck = "length(body) > 10"\n'
    err = error(tmp_path, {"posts.toml": text})
    assert_at(err, tmp_path, "posts.toml", "check_constraints[0].check", 12)
    assert "names column 'body' which table 'posts' does not have" in str(err)


def test_error_an_unknown_column_found_only_by_sqlglot(tmp_path: Path) -> None:
    """A quoted name keeps its case, so "Title" is not the column title."""
    text = POSTS + '\n[[check_constraints]]\nname = "c"\ncheck = "\\"Title\\" <> \'\'"\n'
    err = error(tmp_path, {"posts.toml": text})
    assert_at(err, tmp_path, "posts.toml", "check_constraints[0].check", 12)
    assert "names column 'Title' which table 'posts' does not have" in str(err)


def test_error_an_unquoted_capitalised_name_folds_to_lowercase(tmp_path: Path) -> None:
    text = POSTS + 'Rank = { type = "integer" }\n\n[[check_constraints]]\nname = "c"\ncheck = "Rank > 0"\n'
    err = error(tmp_path, {"posts.toml": text})
    assert_at(err, tmp_path, "posts.toml", "check_constraints[0].check", 13)
    assert "names column 'rank'" in str(err) and 'did you mean "Rank"?' in str(err)


@pytest.mark.parametrize(
    "expression",
    [
        "lower(content)",
        "coalesce(title, 'untitled')",
        "content::text",
        "length(content::varchar(20)) > 0",
        "inserted_at < current_timestamp",
        "inserted_at::date <> CURRENT_DATE",
        "inserted_at > now() - interval '1 day'",
        "title <> 'body'",
        "archived = true OR archived IS NULL",
        "to_tsvector('english', content)",
        "extract(year from inserted_at) > 2000",
        '"title" IS NOT NULL',
        "TITLE IS NOT NULL",
        "posts.body IS NULL",
        "excluded.body IS NULL",
        "title ~ '^[a-z]' AND content LIKE '%x%'",
        "session_user <> 'x' AND current_user IS NOT NULL AND user <> 'y'",
        "$1 = 1",
    ],
)
def test_expressions_over_known_columns_load(tmp_path: Path, expression: str) -> None:
    text = POSTS + f'\n[[check_constraints]]\nname = "c"\ncheck = {json.dumps(expression)}\n'
    assert load(tmp_path, {"posts.toml": text})["posts"].checks[0].check == expression


def test_a_quoted_capitalised_column_is_known(tmp_path: Path) -> None:
    text = POSTS + 'Rank = { type = "integer" }\n\n[[indexes]]\nname = "i"\nfields = [\'("Rank" + 1)\']\n'
    assert load(tmp_path, {"posts.toml": text})["posts"].indexes[0].fields[0].value == '("Rank" + 1)'


def test_the_tenant_column_of_an_attribute_multitenant_table_is_known(tmp_path: Path) -> None:
    text = (
        POSTS
        + 'org_id = { type = "uuid" }\n\n[multitenancy]\nstrategy = "attribute"\nattribute = "org_id"\n'
        + '\n[identities]\nunique_title = { keys = ["title"], where = "org_id IS NOT NULL" }\n'
        + '\n[[indexes]]\nname = "i"\nfields = ["lower(title)"]\nwhere = "org_id IS NOT NULL"\n'
    )
    table = load(tmp_path, {"posts.toml": text})["posts"]
    assert table.identities[0].keys == ("org_id", "title")
    assert table.indexes[0].where == "org_id IS NOT NULL"


@pytest.mark.parametrize("expression", ["lower(body", "lower(body) +", "select body from x"])
def test_an_expression_sqlglot_cannot_parse_names_no_column(expression: str) -> None:
    assert unknown_column(expression, {"title"}) is None


def test_everyday_expressions_over_known_columns_do_not_import_sqlglot() -> None:
    """sqlglot costs ~200 ms to import; loading the example project must not need it."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from snapshift.engine.resources.config import load_config\n"
        "from snapshift.engine.resources.loading import load_resources\n"
        "load_resources(load_config(Path('examples/blog/snapshift.toml')))\n"
        "print('sqlglot' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert done.stdout.strip() == "False"
