"""Where the tests find the repository and the bundled example, wherever in tests/ they sit."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "blog"
