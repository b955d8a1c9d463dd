"""What git says about a project's generated files: untracked, tracked, changed since the index.

`regen` and `rollback --untracked` act only on files git does not track, so git is asked directly
(`git ls-files`) rather than guessed from names or timestamps. Ignored files count as neither: they are
never listed as untracked, so nothing ignored is ever rolled back or deleted.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from snapshift.engine.base.errors import GitError

GIT_TIMEOUT = 60.0
NOT_A_WORK_TREE = "not a git work tree"


def _existing_folder(path: Path) -> Path:
    """`path` itself when it is a folder, else its nearest existing parent (where git can run)."""
    for folder in (path, *path.parents):
        if folder.is_dir():
            return folder
    return Path(os.sep)


def _run(cwd: Path, args: Sequence[str], purpose: str) -> bytes:
    """`git <args>` in `cwd`; GitError (exit 2) when git is missing or `cwd` is not in a work tree."""
    command = ["git", *args]
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, stdin=subprocess.DEVNULL, check=False
        )
    except FileNotFoundError as exc:
        message = f"{purpose} needs git, and no `git` program was found on PATH"
        raise GitError(message, "git not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"{purpose}: `{' '.join(command)}` did not answer in {GIT_TIMEOUT:.0f}s") from exc
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        detail = reason[0] if reason else f"exit status {done.returncode}"
        if "not a git repository" in detail.lower():
            raise GitError(
                f"{cwd} is not inside a git work tree; {purpose} needs git to tell which files are "
                "untracked (run `git init` and commit the files you keep)",
                NOT_A_WORK_TREE,
            )
        raise GitError(f"{purpose}: `{' '.join(command)}` failed in {cwd}: {detail}")
    return done.stdout


def _paths(cwd: Path, output: bytes) -> list[Path]:
    names = [name for name in output.decode("utf-8", errors="surrogateescape").split("\0") if name]
    return sorted({Path(os.path.normpath(cwd / name)) for name in names})


def work_tree_root(path: Path, purpose: str = "this command") -> Path:
    """The top folder of the git work tree holding `path`; GitError when there is none."""
    cwd = _existing_folder(path.resolve())
    output = _run(cwd, ["rev-parse", "--show-toplevel"], purpose).decode(errors="surrogateescape")
    if not output.strip():
        raise GitError(f"{cwd} is not inside a git work tree; {purpose} needs one", NOT_A_WORK_TREE)
    return Path(output.strip()).resolve()


def untracked(root: Path, paths: Sequence[Path], purpose: str = "this command") -> list[Path]:
    """Untracked, not ignored files under `paths` (absolute, sorted), asked with git in `root`.

    A path that does not exist simply has no untracked files; `root` itself must lie in a work tree.
    """
    work_tree_root(root, purpose)
    if not paths:
        return []
    args = ["ls-files", "--others", "--exclude-standard", "-z", "--", *(str(p) for p in paths)]
    return _paths(root, _run(root, args, purpose))


def changed_tracked(root: Path, paths: Sequence[Path], purpose: str = "this command") -> list[Path]:
    """Tracked files under `paths` whose work-tree content differs from the index (modified or deleted)."""
    top = work_tree_root(root, purpose)
    if not paths:
        return []
    args = ["diff", "--name-only", "--no-renames", "--no-ext-diff", "-z", "--"]
    return _paths(top, _run(root, [*args, *(str(p) for p in paths)], purpose))


def tracked(path: Path, purpose: str = "this command") -> bool:
    """Whether git tracks the file `path` (it is in the index); GitError outside a work tree."""
    path = Path(os.path.abspath(path))
    cwd = _existing_folder(path.parent)
    output = _run(cwd, ["ls-files", "-z", "--", str(path)], purpose)
    return any(candidate == path for candidate in _paths(cwd, output))


def index_bytes(root: Path, path: Path, purpose: str = "this command") -> bytes:
    """The content git's index holds for the tracked file `path`, as git stores it."""
    top = work_tree_root(root, purpose)
    relative = Path(os.path.abspath(path)).relative_to(top).as_posix()
    return _run(top, ["cat-file", "blob", f":{relative}"], purpose)


def checkout_from_index(root: Path, paths: Sequence[Path], purpose: str = "this command") -> None:
    """Write the index's version of each tracked file in `paths` into the work tree, as `git restore` does."""
    if not paths:
        return
    top = work_tree_root(root, purpose)
    relative = [Path(os.path.abspath(p)).relative_to(top).as_posix() for p in paths]
    _run(top, ["checkout-index", "-f", "--", *relative], purpose)
