"""Bad input never crashes: the example's resources, each mutated at random, either load or fail with an
InputError that names the broken file (what the CLI turns into exit 2), and never with anything else."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from snapshift.engine.base.errors import InputError
from snapshift.engine.resources.config import load_config
from snapshift.engine.resources.loading import load_resources
from tests.support.fuzzing import fuzz
from tests.support.paths import REPO_ROOT
from tests.support.toml_strategies import edited, pairs, toml_keys, values

EXAMPLE = REPO_ROOT / "examples" / "blog"
RESOURCES = sorted((EXAMPLE / "resources").glob("*.toml"))
RESOURCE_KEYS = (
    *("table", "schema", "repo", "type", "allow_nil", "primary_key", "default", "generated", "size"),
    *("precision", "scale", "references", "column", "on_delete", "keys", "where", "fields", "unique"),
    *("name", "check", "attributes", "strategy", "attribute", "up", "down", "include", "using"),
)
VALUE = re.compile(r"(=\s*)([^,}\n]+)")


@st.composite
def mutated(draw: st.DrawFn, text: str, keys: tuple[str, ...]) -> str:
    """`text` after one to three edits: a value replaced (by any TOML value, maybe of the wrong type), a
    pair added (often one of `keys`, which the file's kind uses), or a character deleted, doubled or
    inserted."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "value", "pair", "character"]))
        if kind == "value" and (spots := list(VALUE.finditer(text))):
            spot = draw(st.sampled_from(spots))
            text = text[: spot.start(2)] + draw(values()) + text[spot.end(2) :]
        elif kind == "pair":
            lines = text.split("\n")
            key = draw(st.sampled_from(keys) | toml_keys())
            lines.insert(draw(st.integers(0, len(lines))), draw(pairs(key)))
            text = "\n".join(lines)
        else:
            text = draw(edited(text))
    return text


@fuzz
@given(data=st.data())
def test_a_mutated_resource_loads_or_names_its_file(data: st.DataObject) -> None:
    victim = data.draw(st.sampled_from(RESOURCES), label="file")
    text = data.draw(mutated(victim.read_text(encoding="utf-8"), RESOURCE_KEYS), label="text")
    with tempfile.TemporaryDirectory(prefix="snapshift-fuzz-") as folder:
        root = Path(folder)
        shutil.copy(EXAMPLE / "snapshift.toml", root / "snapshift.toml")
        shutil.copytree(EXAMPLE / "resources", root / "resources")
        (root / "resources" / victim.name).write_text(text, encoding="utf-8")
        try:
            load_resources(load_config(root / "snapshift.toml"))
            event("loaded")
        except InputError as error:
            # the mutated file, or another one when the mutation breaks a reference into it
            assert re.search(r"resources/\w+\.toml:\d+", str(error)), str(error)
            event("rejected")


CONFIG_KEYS = ("resources", "repos", "url", "migrations_path", "snapshots_path", "extensions", "tenants")


@fuzz
@given(data=st.data())
def test_a_mutated_config_loads_or_names_its_line(data: st.DataObject) -> None:
    config = (EXAMPLE / "snapshift.toml").read_text(encoding="utf-8")
    text = data.draw(mutated(config, CONFIG_KEYS), label="text")
    with tempfile.TemporaryDirectory(prefix="snapshift-fuzz-") as folder:
        path = Path(folder) / "snapshift.toml"
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path)
            event("loaded")
        except InputError as error:
            assert re.search(r"snapshift\.toml:\d+", str(error)), str(error)
            event("rejected")
