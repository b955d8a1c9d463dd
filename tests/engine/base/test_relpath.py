from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snapshift.engine.base.relpath import RelativeTo


@given(
    parts=st.lists(st.sampled_from(["a", ".", "..", "", "proj", "projx", "..x", ".a", "a."]), max_size=6),
    inside=st.booleans(),
    as_text=st.booleans(),
    tail=st.sampled_from(["", "/", "/.", "/.."]),
)
def test_the_text_is_os_relpath_s(parts: list[str], inside: bool, as_text: bool, tail: str) -> None:
    """Under the root or not, normalized or not, as a Path or as text: what os.path.relpath gives."""
    root = Path("/srv/work/proj")
    text = os.path.join(str(root) if inside else "/srv/work", *parts) + tail
    path: Path | str = text if as_text else Path(text)
    assert RelativeTo(root)(path) == os.path.relpath(path, root)


def test_a_relative_root_is_taken_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert RelativeTo("proj")(tmp_path / "proj" / "a" / "b.sql") == os.path.join("a", "b.sql")
