"""Resource files (SPEC 3) -> resolved model tables: defaults, names, references, multitenancy, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapshift.engine.base.errors import ResourceError
from snapshift.engine.resources.config import load_config
from snapshift.engine.resources.loading import load_resource_files, load_resources, resource_paths
from snapshift.engine.resources.model import (
    Column,
    Identity,
    Index,
    IndexField,
    Multitenancy,
    Reference,
    Table,
)


def project(tmp_path: Path, files: dict[str, str], config: str = "") -> Path:
    (tmp_path / "snapshift.toml").write_text(config)
    for name, text in files.items():
        path = tmp_path / "resources" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def load(tmp_path: Path, files: dict[str, str], config: str = "") -> dict[str, Table]:
    project(tmp_path, files, config)
    tables = load_resources(load_config(tmp_path / "snapshift.toml"))
    return {table.key.display(): table for table in tables}


def error(tmp_path: Path, files: dict[str, str], config: str = "") -> ResourceError:
    project(tmp_path, files, config)
    with pytest.raises(ResourceError) as raised:
        load_resources(load_config(tmp_path / "snapshift.toml"))
    return raised.value


def assert_at(err: ResourceError, tmp_path: Path, file: str, key: str | None, line: int) -> None:
    """The error names the file, the key path and the line, structurally and in its text."""
    path = tmp_path.resolve() / "resources" / file
    assert err.location.path == path
    assert err.location.key == key
    assert err.location.line == line
    assert f"{path}:{line}" in str(err)
    if key is not None:
        assert f"key '{key}'" in str(err)
    assert err.exit_code == 2


def column(table: Table, name: str) -> Column:
    found = table.column(name)
    assert found is not None
    return found


def reference(table: Table, name: str) -> Reference:
    ref = column(table, name).references
    assert ref is not None
    return ref


POSTS = """\
table = "posts"

[attributes]
id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
title = { type = "string", allow_nil = false }
slug = { type = "varchar", size = 80 }
price = { type = "decimal", precision = 10, scale = 2, default = 0 }
ratio = { type = "float", default = 1.5 }
archived = { type = "boolean", default = false }
status = { type = "text", default = "  'draft'  " }
tags = { type = "text[]", default = "'{}'" }
views = { type = "bigint", generated = true }
counter = { type = "bigint", generated = true, default = "0" }
inserted_at = { type = "utc_datetime", allow_nil = false, default = "now()" }
updated_at = { type = "utc_datetime_usec", default = "now()" }
nothing = { type = "text", default = "NULL" }
"""


# --- columns -----------------------------------------------------------------------------------------------


def test_columns_keep_order_and_resolve_types_and_defaults(tmp_path: Path) -> None:
    posts = load(tmp_path, {"posts.toml": POSTS})["posts"]
    assert [c.name for c in posts.columns] == [
        "id", "title", "slug", "price", "ratio", "archived", "status", "tags", "views", "counter",
        "inserted_at", "updated_at", "nothing",
    ]  # fmt: skip
    assert column(posts, "id") == Column("id", "uuid", False, True, "gen_random_uuid()")
    assert column(posts, "title") == Column("title", "text", allow_nil=False)
    assert column(posts, "slug") == Column("slug", "varchar", size=80)
    assert column(posts, "price") == Column("price", "numeric", default="0", precision=10, scale=2)
    assert column(posts, "ratio") == Column("ratio", "float8", default="1.5")
    assert column(posts, "archived") == Column("archived", "boolean", default="false")
    assert column(posts, "status").default == "'draft'"
    assert column(posts, "tags") == Column("tags", "text[]", default="'{}'")
    assert column(posts, "views") == Column(
        "views", "bigint", allow_nil=False, generated="serial"
    )  # NOT NULL
    assert column(posts, "counter") == Column("counter", "bigint", default="0", generated=None)
    assert column(posts, "inserted_at") == Column(
        "inserted_at", "timestamp", False, default="now()", precision=0
    )
    assert column(posts, "updated_at") == Column("updated_at", "timestamp", default="now()")
    assert column(posts, "nothing").default is None
    assert posts.primary_key == ("id",)
    assert posts.source == (tmp_path / "resources" / "posts.toml").resolve()


def test_primary_keys_are_never_null_and_identity_is_generated(tmp_path: Path) -> None:
    text = """table = "t"
[attributes]
id = { type = "identity", primary_key = true, allow_nil = true }
n = { type = "serial" }
at = { type = "utc_datetime", precision = 3 }
"""
    table = load(tmp_path, {"t.toml": text})["t"]
    assert column(table, "id") == Column("id", "bigint", False, True, generated="identity")
    assert column(table, "n") == Column("n", "integer", allow_nil=False, generated="serial")
    assert column(table, "at").precision == 3


def test_sub_table_style_attributes(tmp_path: Path) -> None:
    text = 'table = "t"\n\n[attributes.id]\ntype = "uuid"\nprimary_key = true\n\n'
    text += '[attributes.name]\ntype = "text"\n'
    table = load(tmp_path, {"t.toml": text})["t"]
    assert [c.name for c in table.columns] == ["id", "name"]


def test_repo_schema_and_sorting(tmp_path: Path) -> None:
    config = "[repos.main]\n[repos.other]\n"
    files = {
        "b.toml": 'table = "b"\n[attributes]\nid = { type = "uuid" }\n',
        "a.toml": 'table = "a"\nrepo = "other"\nschema = "public"\n[attributes]\nid = { type = "uuid" }\n',
        "z.toml": 'table = "z"\nschema = "blog"\n[attributes]\nid = { type = "uuid" }\n',
        "t.toml": 'table = "c"\nmultitenancy = { strategy = "context" }\n[attributes]\nid.type = "uuid"',
    }
    project(tmp_path, files, config)
    tables = load_resources(load_config(tmp_path / "snapshift.toml"))
    # Table.key.sort_key(): non-tenant before tenant, then schema ("public" for none), then name
    assert [(t.key.display(), t.repo) for t in tables] == [
        ("blog.z", "main"),
        ("a", "other"),
        ("b", "main"),
        ("tenants.c", "main"),
    ]
    assert tables[1].schema is None  # "public" is the default schema
    assert tables[3].multitenancy == Multitenancy("context")


def test_resource_paths_expand_globs_sorted_and_once(tmp_path: Path) -> None:
    config = 'resources = ["resources/**/*.toml", "resources/*.toml", "extra/*.toml"]\n'
    project(tmp_path, {"b.toml": "", "sub/a.toml": "", "notes.txt": ""}, config)
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "c.toml").write_text("")
    paths = resource_paths(load_config(tmp_path / "snapshift.toml"))
    root = tmp_path.resolve()
    assert paths == [root / "extra/c.toml", root / "resources/b.toml", root / "resources/sub/a.toml"]


def test_no_resources_gives_no_tables(tmp_path: Path) -> None:
    assert load(tmp_path, {}) == {}


# --- references --------------------------------------------------------------------------------------------

AUTHORS = """table = "authors"
[attributes]
id = { type = "uuid", primary_key = true }
email = { type = "text" }
"""
TENANT_POSTS = """table = "posts"
multitenancy = { strategy = "context" }
[attributes]
id = { type = "uuid", primary_key = true }
"""
COMMENTS = """table = "comments"
[attributes]
author_id = { type = "uuid", references = { table = "authors" } }
"""


def test_reference_defaults(tmp_path: Path) -> None:
    comments = COMMENTS
    tables = load(tmp_path, {"authors.toml": AUTHORS, "comments.toml": comments})
    assert reference(tables["comments"], "author_id") == Reference(
        table="authors", column="id", name="comments_author_id_fkey"
    )


def test_reference_options(tmp_path: Path) -> None:
    authors = AUTHORS + '[identities]\nemail = { keys = ["email"] }\n'
    comments = """table = "comments"
schema = "blog"
[attributes]
[attributes.author_email]
type = "varchar"
size = 200

[attributes.author_email.references]
table = "authors"
column = "email"
name = "by_email"
on_delete = "nilify"
on_update = "update"
deferrable = "initially"
index = true
match_type = "simple"
"""
    tables = load(tmp_path, {"authors.toml": authors, "comments.toml": comments})
    assert reference(tables["blog.comments"], "author_email") == Reference(
        table="authors",
        column="email",
        name="by_email",
        schema=None,
        on_delete="nilify",
        on_update="update",
        deferrable="initially",
        index=True,
        index_name="comments_author_email_index",
        match_type="simple",
    )


def test_reference_schema_defaults_to_the_destination_schema(tmp_path: Path) -> None:
    authors = AUTHORS.replace('table = "authors"', 'table = "authors"\nschema = "blog"')
    comments = COMMENTS
    tables = load(tmp_path, {"authors.toml": authors, "comments.toml": comments})
    assert reference(tables["comments"], "author_id").schema == "blog"


def test_reference_prefers_the_public_table_and_honours_an_explicit_schema(tmp_path: Path) -> None:
    blog = AUTHORS.replace('table = "authors"', 'table = "authors"\nschema = "blog"')
    comments = """table = "comments"
[attributes]
a = { type = "uuid", references = { table = "authors" } }
b = { type = "uuid", references = { table = "authors", schema = "blog" } }
"""
    tables = load(tmp_path, {"authors.toml": AUTHORS, "blog_authors.toml": blog, "comments.toml": comments})
    assert reference(tables["comments"], "a").schema is None
    assert reference(tables["comments"], "b").schema == "blog"


def test_match_with_pairs(tmp_path: Path) -> None:
    parents = """table = "parents"
[attributes]
id = { type = "uuid", primary_key = true }
kind = { type = "text", primary_key = true }
"""
    children = """table = "children"
[attributes]
kind = { type = "text" }
parent_id.type = "uuid"
parent_id.references = { table = "parents", match_with = { kind = "kind" }, match_type = "full" }
"""
    tables = load(tmp_path, {"parents.toml": parents, "children.toml": children})
    ref = reference(tables["children"], "parent_id")
    assert ref.match_with == (("kind", "kind"),)
    assert ref.match_type == "full"


ORGS_POSTS = """table = "posts"
multitenancy = { strategy = "attribute", attribute = "org_id" }
[attributes]
id = { type = "uuid", primary_key = true }
org_id = { type = "bigint", allow_nil = false }
slug = { type = "text" }
[identities]
unique_slug = { keys = ["slug"] }
"""


def test_attribute_multitenancy_adds_the_tenant_pair_for_non_pk_targets(tmp_path: Path) -> None:
    comments = """table = "comments"
multitenancy = { strategy = "attribute", attribute = "tenant" }
[attributes]
tenant = { type = "bigint" }
post_id = { type = "uuid", references = { table = "posts" } }
post_slug = { type = "text", references = { table = "posts", column = "slug" } }
"""
    tables = load(tmp_path, {"posts.toml": ORGS_POSTS, "comments.toml": comments})
    by_pk = reference(tables["comments"], "post_id")
    assert by_pk.match_with == () and by_pk.match_type is None
    by_slug = reference(tables["comments"], "post_slug")
    assert by_slug.match_with == (("tenant", "org_id"),)
    assert by_slug.match_type == "full"


def test_tenant_pair_is_not_duplicated(tmp_path: Path) -> None:
    comments = """table = "comments"
multitenancy = { strategy = "attribute", attribute = "org_id" }
[attributes]
org_id = { type = "bigint" }
post_slug.type = "text"
post_slug.references = { table = "posts", column = "slug", match_with = { org_id = "org_id" } }
"""
    tables = load(tmp_path, {"posts.toml": ORGS_POSTS, "comments.toml": comments})
    assert reference(tables["comments"], "post_slug").match_with == (("org_id", "org_id"),)
    assert reference(tables["comments"], "post_slug").match_type == "full"


def test_context_tables_reference_tenant_and_public_tables(tmp_path: Path) -> None:
    tenant_posts = TENANT_POSTS
    comments = """table = "comments"
multitenancy = { strategy = "context" }
[attributes]
post_id = { type = "uuid", references = { table = "posts" } }
author_id = { type = "uuid", references = { table = "authors" } }
"""
    tables = load(tmp_path, {"posts.toml": tenant_posts, "authors.toml": AUTHORS, "comments.toml": comments})
    post = reference(tables["tenants.comments"], "post_id")
    assert post.tenant_table is True and post.schema is None
    author = reference(tables["tenants.comments"], "author_id")
    assert author.tenant_table is False


# --- identities and indexes --------------------------------------------------------------------------------


def test_identities_sorted_named_and_tenant_prefixed(tmp_path: Path) -> None:
    text = (
        ORGS_POSTS
        + """title = { keys = ["slug", "org_id"], where = "slug IS NOT NULL", nulls_distinct = false }
global_slug = { keys = ["slug"], all_tenants = true, index_name = "posts_global_slug" }
first = { keys = ["org_id", "slug"] }
"""
    )
    posts = load(tmp_path, {"posts.toml": text})["posts"]
    assert posts.identities == (
        Identity("first", ("org_id", "slug"), "posts_first_index"),
        Identity("global_slug", ("slug",), "posts_global_slug", all_tenants=True),
        Identity("title", ("org_id", "slug"), "posts_title_index", "slug IS NOT NULL", nulls_distinct=False),
        Identity("unique_slug", ("org_id", "slug"), "posts_unique_slug_index"),
    )


def test_indexes_fields_names_and_options(tmp_path: Path) -> None:
    text = (
        POSTS
        + """
[[indexes]]
fields = ["title", "inserted_at desc", "status  asc nulls  first"]

[[indexes]]
fields = ["lower(title)", "slug"]
name = "posts_search_index"
unique = true
using = "BTREE"
where = "archived = false"
include = ["price", "ratio"]
nulls_distinct = false
concurrently = true
"""
    )
    posts = load(tmp_path, {"posts.toml": text})["posts"]
    assert posts.indexes == (
        Index(
            "posts_title_inserted_at_status_index",
            (
                IndexField("title"),
                IndexField("inserted_at", True, "DESC"),
                IndexField("status", True, "ASC NULLS FIRST"),
            ),
        ),
        Index(
            "posts_search_index",
            (IndexField("lower(title)", False), IndexField("slug")),
            unique=True,
            using="btree",
            where="archived = false",
            include=("price", "ratio"),
            nulls_distinct=False,
            concurrently=True,
        ),
    )


def test_indexes_get_the_tenant_column_first(tmp_path: Path) -> None:
    text = (
        ORGS_POSTS
        + """
[[indexes]]
fields = ["slug"]

[[indexes]]
fields = ["slug", "org_id"]

[[indexes]]
fields = ["slug"]
name = "posts_any_tenant_index"
all_tenants = true
"""
    )
    posts = load(tmp_path, {"posts.toml": text})["posts"]
    assert [index.fields for index in posts.indexes] == [
        (IndexField("org_id"), IndexField("slug")),
        (IndexField("org_id"), IndexField("slug")),
        (IndexField("slug"),),
    ]
    assert posts.indexes[0].name == "posts_slug_index"  # named from the declared fields
    assert posts.indexes[1].name == "posts_slug_org_id_index"


def test_checks_and_statements(tmp_path: Path) -> None:
    text = (
        POSTS
        + """
[[check_constraints]]
name = "price_positive"
check = "price > 0"
attributes = ["price"]

[[statements]]
name = "touch"
up = \"\"\"
CREATE TRIGGER touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();
\"\"\"
down = "DROP TRIGGER touch ON posts"
"""
    )
    posts = load(tmp_path, {"posts.toml": text})["posts"]
    assert [(c.name, c.check, c.attributes) for c in posts.checks] == [
        ("price_positive", "price > 0", ("price",))
    ]
    assert posts.statements[0].name == "touch"
    assert posts.statements[0].up.startswith("CREATE TRIGGER touch")


def test_loading_twice_gives_equal_tables(tmp_path: Path) -> None:
    """Loading keeps no state between loads: a second load sees the same tables."""
    first = load(tmp_path, {"posts.toml": POSTS, "authors.toml": AUTHORS})
    second = load_resources(load_config(tmp_path / "snapshift.toml"))
    assert list(first.values()) == second


def test_defaults_respect_value_types(tmp_path: Path) -> None:
    """True == 1 in Python: `default = true` must stay the boolean literal, `default = 1` the integer."""
    one = 'table = "a"\n[attributes]\nx = { type = "integer", default = 1 }\n'
    true = 'table = "b"\n[attributes]\nx = { type = "integer", default = true }\n'
    tables = load(tmp_path, {"a.toml": one, "b.toml": true})
    assert column(tables["a"], "x").default == "1"
    assert column(tables["b"], "x").default == "true"


def test_load_resource_files_takes_explicit_paths(tmp_path: Path) -> None:
    project(tmp_path, {"authors.toml": AUTHORS, "posts.toml": POSTS})
    config = load_config(tmp_path / "snapshift.toml")
    tables = load_resource_files(config, [tmp_path / "resources" / "posts.toml"])
    assert [t.name for t in tables] == ["posts"]


# --- errors: each names file, key and line -----------------------------------------------------------------

BASE = 'table = "t"\n\n[attributes]\nid = { type = "uuid", primary_key = true }\n'  # 4 lines


def test_error_invalid_toml(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + "name = { type = text }\n"})
    assert_at(err, tmp_path, "t.toml", None, 5)
    assert "invalid TOML" in str(err)


def test_error_unknown_top_level_key(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + '\n[identitys]\nx = { keys = ["id"] }\n'})
    assert_at(err, tmp_path, "t.toml", "identitys", 6)
    assert "did you mean 'identities'?" in str(err)


def test_error_unknown_attribute_key(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + 'name = { type = "text", alow_nil = false }\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.name.alow_nil", 5)
    assert "did you mean 'allow_nil'?" in str(err)


def test_error_unknown_reference_key(tmp_path: Path) -> None:
    text = BASE + 'p = { type = "uuid", references = { table = "t", on_delte = "delete" } }\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "attributes.p.references.on_delte", 5)
    assert "did you mean 'on_delete'?" in str(err)


def test_error_missing_table(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": '# a resource\nschema = "x"\n'})
    assert err.location.path == (tmp_path / "resources" / "t.toml").resolve()
    assert err.location.key == "table"
    assert "missing required key 'table'" in str(err)


def test_error_missing_type(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + "\nname = { allow_nil = false }\n"})
    assert_at(err, tmp_path, "t.toml", "attributes.name.type", 6)
    assert "missing required key 'type'" in str(err)


def test_error_wrong_value_type(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + 'name = { type = "text", allow_nil = "no" }\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.name.allow_nil", 5)
    assert "must be true or false" in str(err)


def test_error_attribute_not_a_table(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + 'name = "text"\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.name", 5)


def test_error_unknown_type(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + 'name = { type = "strng" }\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.name.type", 5)
    assert "unknown type 'strng'" in str(err)


def test_error_size_on_a_type_without_size(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + 'name = { type = "text", size = 10 }\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.name.size", 5)


def test_error_scale_without_precision(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + 'n = { type = "decimal", scale = 2 }\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.n.scale", 5)


def test_error_generated_non_integer_without_default(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + 'u = { type = "uuid", generated = true }\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.u.generated", 5)


def test_error_bad_default_expression(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + 'at = { type = "timestamp", default = "now(" }\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.at.default", 5)
    assert "now(" in str(err)


@pytest.mark.parametrize("name", ["draft", "Infinity", "active_status"])
def test_error_a_bare_name_default_names_the_quoting_to_use(tmp_path: Path, name: str) -> None:
    """PostgreSQL reads a bare name as a column, which DEFAULT never allows: stop at generate, not at
    migrate, and say how a text default is written."""
    err = error(tmp_path, {"t.toml": BASE + f's = {{ type = "text", default = "{name}" }}\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.s.default", 5)
    assert f"""default = "'{name}'\"""" in str(err)


@pytest.mark.parametrize(
    ("default", "column"), [("id * 2", "id"), ("lower(name)", "name"), ("coalesce(x, 1)", "x")]
)
def test_error_a_default_that_names_a_column(tmp_path: Path, default: str, column: str) -> None:
    """PostgreSQL allows no column reference in a DEFAULT: say so at generate, not at migrate."""
    err = error(tmp_path, {"t.toml": BASE + f'n = {{ type = "text", default = "{default}" }}\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.n.default", 5)
    assert f"names column '{column}'" in str(err)


@pytest.mark.parametrize("text", ["current_timestamp", "CURRENT_DATE", "true", "localtime", "current_user"])
def test_a_default_keyword_is_no_bare_name(tmp_path: Path, text: str) -> None:
    [table] = load(tmp_path, {"t.toml": BASE + f'x = {{ type = "text", default = "{text}" }}\n'}).values()
    assert table.columns[-1].default == text


def test_error_bad_default_value_type(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + 'd = { type = "date", default = 2024-01-01 }\n'})
    assert_at(err, tmp_path, "t.toml", "attributes.d.default", 5)


def test_error_bad_where_expression(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + '\n[identities]\nx = { keys = ["id"], where = "id = = 1" }\n'})
    assert_at(err, tmp_path, "t.toml", "identities.x.where", 7)


def test_error_empty_reference_column(tmp_path: Path) -> None:
    text = BASE + 'p = { type = "uuid", references = { table = "t", column = "" } }\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "attributes.p.references.column", 5)


def test_error_bad_check_expression(tmp_path: Path) -> None:
    text = BASE + '\n[[check_constraints]]\nname = "c"\ncheck = "id >"\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "check_constraints[0].check", 8)


def test_error_missing_check(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + '\n[[check_constraints]]\nname = "c"\n'})
    assert_at(err, tmp_path, "t.toml", "check_constraints[0].check", 6)
    assert "missing required key 'check'" in str(err)


def test_error_bad_index_expression(tmp_path: Path) -> None:
    text = BASE + '\n[[indexes]]\nname = "i"\nfields = ["id", "lower(id"]\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "indexes[0].fields[1]", 8)


def test_error_expression_index_needs_a_name(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + '\n[[indexes]]\nfields = ["lower(id::text)"]\n'})
    assert_at(err, tmp_path, "t.toml", "indexes[0].fields[0]", 7)
    assert "needs a 'name'" in str(err)


def test_error_identity_over_unknown_column(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + '\n[identities]\nx = { keys = ["idd"] }\n'})
    assert_at(err, tmp_path, "t.toml", "identities.x.keys[0]", 7)
    assert "did you mean 'id'?" in str(err)


def test_error_index_field_over_unknown_column(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + '\n[[indexes]]\nfields = ["id", "nme desc"]\n'})
    assert_at(err, tmp_path, "t.toml", "indexes[0].fields[1]", 7)
    assert "unknown attribute 'nme'" in str(err)


def test_error_misspelt_index_method(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + '\n[[indexes]]\nfields = ["id"]\nusing = "btre"\n'})
    assert_at(err, tmp_path, "t.toml", "indexes[0].using", 8)
    assert "did you mean 'btree'" in str(err)


def test_index_methods_of_extensions_are_accepted(tmp_path: Path) -> None:
    for method in ("bloom", "hnsw", "ivfflat", "rum"):
        text = BASE + f'\n[[indexes]]\nfields = ["id"]\nusing = "{method}"\n'
        assert load(tmp_path, {"t.toml": text})["t"].indexes[0].using == method


def test_error_index_include_over_unknown_column(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + '\n[[indexes]]\nfields = ["id"]\ninclude = ["x"]\n'})
    assert_at(err, tmp_path, "t.toml", "indexes[0].include[0]", 8)


def test_error_check_attributes_over_unknown_column(tmp_path: Path) -> None:
    text = BASE + '\n[[check_constraints]]\nname = "c"\ncheck = "true"\nattributes = ["price"]\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "check_constraints[0].attributes[0]", 9)


def test_error_duplicate_check_names(tmp_path: Path) -> None:
    check = '[[check_constraints]]\nname = "c"\ncheck = "true"\n'
    text = BASE + check + check
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "check_constraints[1].name", 9)


def test_error_duplicate_statement_names(tmp_path: Path) -> None:
    stmt = '[[statements]]\nname = "s"\nup = "SELECT 1"\ndown = "SELECT 2"\n'
    err = error(tmp_path, {"t.toml": BASE + stmt + stmt})
    assert_at(err, tmp_path, "t.toml", "statements[1].name", 10)


def test_error_statement_needs_down(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": BASE + '[[statements]]\nname = "s"\nup = "SELECT 1"\n'})
    assert_at(err, tmp_path, "t.toml", "statements[0].down", 5)
    assert "missing required key 'down'" in str(err)


def test_error_duplicate_table_names_both_files(tmp_path: Path) -> None:
    err = error(tmp_path, {"a.toml": BASE, "b.toml": "# again\n" + BASE})
    assert_at(err, tmp_path, "b.toml", "table", 2)
    assert str((tmp_path / "resources" / "a.toml").resolve()) in str(err)


def test_error_identity_index_name_clashes_with_custom_index(tmp_path: Path) -> None:
    text = (
        BASE + '\n[identities]\nx = { keys = ["id"] }\n\n[[indexes]]\nfields = ["id"]\nname = "t_x_index"\n'
    )
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "indexes[0]", 9)
    assert "identity index" in str(err)


def test_error_index_name_clashes_across_files_in_one_schema(tmp_path: Path) -> None:
    other = (
        'table = "u"\n[attributes]\nid = { type = "uuid" }\n[[indexes]]\nfields = ["id"]\nname = "t_pkey"\n'
    )
    err = error(tmp_path, {"t.toml": BASE, "u.toml": other})
    assert_at(err, tmp_path, "u.toml", "indexes[0]", 4)
    assert "primary key index" in str(err) and "t.toml" in str(err)


def test_error_foreign_key_index_name_clash(tmp_path: Path) -> None:
    text = (
        BASE
        + 'p = { type = "uuid", references = { table = "t", index = true } }\n[[indexes]]\nfields = ["p"]\n'
    )
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "indexes[0]", 6)
    assert "foreign key index" in str(err)


def test_error_index_named_like_its_table(tmp_path: Path) -> None:
    text = 'table = "t"\n[attributes]\na = { type = "text" }\n[[indexes]]\nfields = ["a"]\nname = "t"\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "indexes[0]", 4)
    assert "clashes with the table" in str(err)


def test_same_index_name_in_another_schema_is_fine(tmp_path: Path) -> None:
    other = 'table = "t"\nschema = "blog"\n[attributes]\nid = { type = "uuid", primary_key = true }\n'
    tables = load(tmp_path, {"t.toml": BASE, "blog_t.toml": other})
    assert set(tables) == {"t", "blog.t"}


def test_error_name_longer_than_63_bytes(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": f'table = "{"t" * 64}"\n'})
    assert_at(err, tmp_path, "t.toml", "table", 1)
    assert "63 bytes" in str(err)


def test_error_derived_index_name_longer_than_63_bytes(tmp_path: Path) -> None:
    text = BASE + f'\n[identities]\n{"x" * 60} = {{ keys = ["id"] }}\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", f"identities.{'x' * 60}", 7)


def test_error_unknown_repo(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": 'table = "t"\nrepo = "mian"\n'}, "[repos.main]\n")
    assert_at(err, tmp_path, "t.toml", "repo", 2)
    assert "did you mean 'main'?" in str(err)


def test_error_context_multitenancy_with_schema(tmp_path: Path) -> None:
    text = 'table = "t"\nschema = "x"\nmultitenancy = { strategy = "context" }\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "schema", 2)


def test_error_tenant_attribute_must_be_a_column(tmp_path: Path) -> None:
    text = 'table = "t"\nmultitenancy = { strategy = "attribute", attribute = "org" }\n'
    text += '[attributes]\norg_id = { type = "bigint" }\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "multitenancy.attribute", 2)
    assert "did you mean 'org_id'?" in str(err)


def test_error_unknown_strategy(tmp_path: Path) -> None:
    err = error(tmp_path, {"t.toml": 'table = "t"\nmultitenancy = { strategy = "schema" }\n'})
    assert_at(err, tmp_path, "t.toml", "multitenancy.strategy", 2)


def test_error_reference_to_unknown_table(tmp_path: Path) -> None:
    text = BASE + 'a = { type = "uuid", references = { table = "athors" } }\n'
    err = error(tmp_path, {"t.toml": text, "authors.toml": AUTHORS})
    assert_at(err, tmp_path, "t.toml", "attributes.a.references.table", 5)
    assert "did you mean 'authors'?" in str(err)


def test_error_reference_to_unknown_column(tmp_path: Path) -> None:
    text = BASE + 'a = { type = "uuid", references = { table = "authors", column = "uid" } }\n'
    err = error(tmp_path, {"t.toml": text, "authors.toml": AUTHORS})
    assert_at(err, tmp_path, "t.toml", "attributes.a.references.column", 5)


def test_error_reference_to_a_non_unique_column(tmp_path: Path) -> None:
    text = BASE + 'a = { type = "text", references = { table = "authors", column = "email" } }\n'
    err = error(tmp_path, {"t.toml": text, "authors.toml": AUTHORS})
    assert_at(err, tmp_path, "t.toml", "attributes.a.references.column", 5)
    assert "unique" in str(err)


def test_error_reference_with_incompatible_type(tmp_path: Path) -> None:
    text = BASE + 'a = { type = "bigint", references = { table = "authors" } }\n'
    err = error(tmp_path, {"t.toml": text, "authors.toml": AUTHORS})
    assert_at(err, tmp_path, "t.toml", "attributes.a.references.table", 5)
    assert "bigint" in str(err) and "uuid" in str(err)


def test_error_reference_to_another_repo(tmp_path: Path) -> None:
    authors = AUTHORS.replace('table = "authors"', 'table = "authors"\nrepo = "b"')
    text = BASE + 'a = { type = "uuid", references = { table = "authors" } }\n'
    err = error(tmp_path, {"t.toml": text, "authors.toml": authors}, "[repos.a]\n[repos.b]\n")
    assert_at(err, tmp_path, "t.toml", "attributes.a.references.table", 5)
    assert "repo 'b'" in str(err)


def test_error_public_table_referencing_a_tenant_table(tmp_path: Path) -> None:
    tenant = TENANT_POSTS
    text = BASE + 'post_id = { type = "uuid", references = { table = "posts" } }\n'
    err = error(tmp_path, {"t.toml": text, "posts.toml": tenant})
    assert_at(err, tmp_path, "t.toml", "attributes.post_id.references.table", 5)
    assert "per-tenant" in str(err)


def test_error_on_delete_update(tmp_path: Path) -> None:
    text = BASE + 'p = { type = "uuid", references = { table = "t", on_delete = "update" } }\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "attributes.p.references.on_delete", 5)


def test_error_deferrable_value(tmp_path: Path) -> None:
    text = BASE + 'p = { type = "uuid", references = { table = "t", deferrable = "later" } }\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "attributes.p.references.deferrable", 5)


def test_error_match_partial(tmp_path: Path) -> None:
    text = BASE + 'p = { type = "uuid", references = { table = "t", match_type = "partial" } }\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "attributes.p.references.match_type", 5)


def test_error_match_with_unknown_local_column(tmp_path: Path) -> None:
    text = BASE + 'p = { type = "uuid", references = { table = "t", match_with = { kind = "kind" } } }\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "attributes.p.references.match_with.kind", 5)


def test_error_tenant_reference_must_match_full(tmp_path: Path) -> None:
    comments = """table = "comments"
multitenancy = { strategy = "attribute", attribute = "org_id" }
[attributes]
org_id = { type = "bigint" }
post_slug = { type = "text", references = { table = "posts", column = "slug", match_type = "simple" } }
"""
    err = error(tmp_path, {"posts.toml": ORGS_POSTS, "comments.toml": comments})
    assert_at(err, tmp_path, "comments.toml", "attributes.post_slug.references.match_type", 5)


def test_error_foreign_key_name_clashes_with_check(tmp_path: Path) -> None:
    text = BASE + 'p = { type = "uuid", references = { table = "t" } }\n'
    text += '[[check_constraints]]\nname = "t_p_fkey"\ncheck = "true"\n'
    err = error(tmp_path, {"t.toml": text})
    assert_at(err, tmp_path, "t.toml", "check_constraints[0].name", 7)
