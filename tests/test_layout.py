"""The installed layout (issue 13, items 6 and 8): one top-level package, `snapshift`, holding every module
of engine/ and tui/, and a public engine API that loads nothing until used."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import snapshift.engine
from tests.support.paths import REPO_ROOT


def test_the_wheel_installs_only_snapshift_with_every_module(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("snapshift-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert top == {"snapshift"}
    sources = [
        path.relative_to(REPO_ROOT).as_posix()
        for folder in ("engine", "tui")
        for path in (REPO_ROOT / folder).rglob("*")
        if path.suffix in {".py", ".tcss"} and "__pycache__" not in path.parts
    ]
    assert sources
    missing = sorted(source for source in sources if f"snapshift/{source}" not in names)
    assert not missing, f"not in the wheel (add their packages to pyproject.toml): {missing}"
    entry = next(name for name in names if name.endswith("entry_points.txt"))
    assert "snapshift = snapshift.tui.cli.main:run" in zipfile.ZipFile(wheel).read(entry).decode()


def test_the_public_engine_api_resolves_every_name() -> None:
    assert snapshift.engine.__all__ == sorted(snapshift.engine._WHERE)
    for name in snapshift.engine.__all__:
        module = importlib.import_module(f"snapshift.engine.{snapshift.engine._WHERE[name]}")
        assert getattr(snapshift.engine, name) is getattr(module, name)


def test_importing_the_engine_loads_none_of_its_modules() -> None:
    code = (
        "import sys, snapshift.engine\n"
        "print(sorted(m for m in sys.modules if m.startswith('snapshift.engine.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def sentences(text: str) -> int:
    """Sentence ends in prose: code in backticks and abbreviations (e.g., i.e., etc.) do not end one."""
    prose = re.sub(r"`[^`]*`", "code", text)
    prose = re.sub(r"\b(e\.g|i\.e|etc|vs)\.", "abbr", prose)
    return len(re.findall(r"[.!?](?=\s|$)", prose))


def test_every_module_says_what_it_is_for_in_one_to_three_sentences() -> None:
    wordy = {}
    for path in sorted([*(REPO_ROOT / "engine").rglob("*.py"), *(REPO_ROOT / "tui").rglob("*.py")]):
        docstring = ast.get_docstring(ast.parse(path.read_text()))
        count = sentences(docstring or "")
        if not 1 <= count <= 3:
            wordy[path.relative_to(REPO_ROOT).as_posix()] = count
    assert not wordy, f"module docstrings outside 1-3 sentences: {wordy}"
