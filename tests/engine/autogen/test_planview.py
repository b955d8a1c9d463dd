"""Plans as rows (engine.autogen.planview): each operation with its table, kind, flags and own SQL."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from snapshift.engine.autogen.planview import by_table, plan_warnings, planned_operations
from snapshift.engine.autogen.questions import Answers
from snapshift.engine.resources.config import load_config
from snapshift.engine.state import plan, read_state
from snapshift.tui.wording import warning_text
from tests.support.paths import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "blog"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def example_with(tmp_path: Path, edits: dict[str, tuple[str, str]]) -> Path:
    root = tmp_path / "blog"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".snapshift"))
    for name, (old, new) in edits.items():
        path = root / "resources" / f"{name}.toml"
        text = path.read_text()
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1))
    return root


def test_rows_carry_table_kind_flags_and_sql(tmp_path: Path) -> None:
    root = example_with(
        tmp_path,
        {
            "tags": (
                "[attributes]\n",
                '[attributes]\ncolor = { type = "text", allow_nil = false, default = "\'red\'" }\n',
            ),
            "authors": ('email = { type = "ci_string"', 'email = { type = "text"'),
        },
    )
    (root / "resources" / "audit_events.toml").unlink()
    state = read_state(load_config(root / "snapshift.toml"))
    generation = plan(state, Answers(drop_tables=frozenset({"audit.events"})), now=NOW)
    rows = planned_operations(generation)
    groups = by_table(rows)
    assert set(groups) >= {("repo", "tags"), ("repo", "authors"), ("repo", "audit.events")}
    add = next(r for r in groups[("repo", "tags")] if r.description == "add column tags.color")
    assert add.change == "add" and not add.destructive
    assert add.up == ('ALTER TABLE "tags" ADD COLUMN "color" text DEFAULT \'red\' NOT NULL;',)
    assert add.down == ('ALTER TABLE "tags" DROP COLUMN "color";',)
    retyped = next(r for r in groups[("repo", "authors")] if r.description.startswith("alter column"))
    assert retyped.change == "change" and retyped.rewrites and retyped.long_lock
    dropped = next(r for r in groups[("repo", "audit.events")] if r.description.startswith("drop table"))
    assert dropped.change == "remove" and dropped.destructive
    assert any("CREATE TABLE" in line for line in dropped.down)
    warnings = plan_warnings(generation)
    assert warnings[0].code == "destructive" and "drop table audit.events" in warnings[0].facts
    assert warning_text(warnings[0]).startswith("Warning: this migration includes destructive operations")


def test_a_clean_plan_has_no_rows_and_no_warnings(tmp_path: Path) -> None:
    root = example_with(tmp_path, {})
    generation = plan(read_state(load_config(root / "snapshift.toml")), now=NOW)
    assert planned_operations(generation) == [] and plan_warnings(generation) == []


def test_the_apps_rows_mark_only_real_rewrites(tmp_path: Path) -> None:
    """A default change is an `alter column` that rewrites nothing: the app marks only the type change."""
    from snapshift.tui.plan_views import plan_view

    slug = 'slug = { type = "varchar", size = 80, allow_nil = false'
    root = example_with(
        tmp_path,
        {
            "authors": ('email = { type = "ci_string"', 'email = { type = "text"'),
            "posts": (slug, slug + ", default = \"'draft'\""),
        },
    )
    view = plan_view(root, plan(read_state(load_config(root / "snapshift.toml")), now=NOW), 0.0)
    ops = {op.text: op for row in view.tables for op in row.operations}
    assert ops["alter column authors.email"].rewrites and ops["alter column authors.email"].symbol == "~"
    assert not ops["alter column posts.slug"].rewrites
