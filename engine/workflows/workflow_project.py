"""What the workflows (regen, untracked, the `--to` check) need of the project: the facade's services as
a Protocol, so that they are built on those services and never import `engine.project` (no cycle)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from snapshift.engine.autogen.questions import Answers
from snapshift.engine.db.run_options import Steps, TenantFilter

if TYPE_CHECKING:
    from snapshift.engine.autogen.generate import GenerateOptions, Generation
    from snapshift.engine.db.dbactions import RunResult, TenantsResult
    from snapshift.engine.db.run_options import RepoRuns
    from snapshift.engine.db.runs import Progress
    from snapshift.engine.resources.config import ProjectConfig, RepoConfig
    from snapshift.engine.state import ProjectState


@dataclass(frozen=True)
class GenerateResult:
    """What `generate` planned and the files it wrote."""

    generation: Generation
    written: tuple[Path, ...]


class WorkflowProject(Protocol):
    """The part of `engine.project.Project` the workflows call."""

    config: ProjectConfig

    @property
    def root(self) -> Path: ...

    def repos(self, name: str | None = None) -> list[RepoConfig]: ...

    def read_state(self) -> ProjectState: ...

    def generate(
        self,
        answers: Answers = Answers(),
        options: GenerateOptions | None = None,
        repo: str | None = None,
        now: datetime | None = None,
    ) -> GenerateResult: ...

    def database_url(self, repo: str | None = None) -> str: ...

    def tenants(self, repo: str | None = None, which: TenantFilter = TenantFilter()) -> list[str]: ...

    def migrate(
        self, repo: str | None = None, steps: Steps = Steps(), *, progress: Progress | None = None
    ) -> RepoRuns[RunResult]: ...

    def migrate_tenants(
        self, repo: str | None = None, steps: Steps = Steps(), *, progress: Progress | None = None
    ) -> RepoRuns[TenantsResult]: ...
