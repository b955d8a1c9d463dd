"""The facade the CLI and the app both call: one method per user action, answers passed as data.

Nothing here prompts or prints; progress goes through callbacks, problems through SnapshiftError.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine.config import ProjectConfig, RepoConfig, find_config, load_config
from engine.errors import UsageError
from engine.generate import GenerateOptions, Generation, plan_generation, write_generation
from engine.model import Table
from engine.questions import Answers
from engine.resources import load_resources


@dataclass(frozen=True)
class GenerateResult:
    generation: Generation
    written: tuple[Path, ...]


class Project:
    """A snapshift project: its config, resources, snapshots, migrations and databases."""

    def __init__(self, config: ProjectConfig) -> None:
        self.config = config

    @classmethod
    def open(cls, start: Path) -> Project:
        """The project whose config is in `start` or its nearest parent."""
        return cls(load_config(find_config(start.resolve())))

    @property
    def root(self) -> Path:
        return self.config.root

    def repos(self, name: str | None = None) -> list[RepoConfig]:
        """All repos in config order, or the one named (UsageError when there is none)."""
        if name is None:
            return list(self.config.repos)
        repo = self.config.repo(name)
        if repo is None:
            known = ", ".join(r.name for r in self.config.repos)
            raise UsageError(f"unknown repo '{name}' (known: {known})")
        return [repo]

    def load_tables(self) -> list[Table]:
        return load_resources(self.config)

    def plan(
        self,
        answers: Answers = Answers(),
        options: GenerateOptions = GenerateOptions(),
        repo: str | None = None,
        now: datetime | None = None,
    ) -> Generation:
        """What `generate` would write now; open questions are listed, never asked."""
        names: Sequence[str] = [r.name for r in self.repos(repo)]
        return plan_generation(self.config, self.load_tables(), answers, options, now, names)

    def generate(
        self,
        answers: Answers = Answers(),
        options: GenerateOptions = GenerateOptions(),
        repo: str | None = None,
        now: datetime | None = None,
    ) -> GenerateResult:
        """Plan and write; raises UnansweredQuestions (writing nothing) when answers are missing."""
        generation = self.plan(answers, options, repo, now)
        written = write_generation(generation) if generation.has_changes else []
        return GenerateResult(generation, tuple(written))
