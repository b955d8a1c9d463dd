"""snapshift's engine as a library: the names below are its public API; everything else may change.

`Project` is the facade the CLI and the app call; `read_state`, `ProjectState.refresh` and `plan` are
the live re-plan underneath it. Names load on first use, so `import snapshift.engine` costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from snapshift.engine.autogen.generate import GenerateOptions, Generation
    from snapshift.engine.autogen.planview import (
        PlannedOperation,
        PlanWarning,
        plan_warnings,
        planned_operations,
    )
    from snapshift.engine.autogen.questions import Answers, Question
    from snapshift.engine.base.errors import (
        Cancelled,
        InputError,
        InputProblems,
        SnapshiftError,
        UsageError,
    )
    from snapshift.engine.db.runs import ProgressEvent
    from snapshift.engine.project import Project
    from snapshift.engine.resources.config import ProjectConfig, RepoConfig, load_config
    from snapshift.engine.state import ProjectState, plan, read_state

_WHERE = {
    "Project": "project",
    "ProjectState": "state",
    "read_state": "state",
    "plan": "state",
    "Answers": "autogen.questions",
    "Question": "autogen.questions",
    "GenerateOptions": "autogen.generate",
    "Generation": "autogen.generate",
    "PlannedOperation": "autogen.planview",
    "PlanWarning": "autogen.planview",
    "planned_operations": "autogen.planview",
    "plan_warnings": "autogen.planview",
    "ProgressEvent": "db.runs",
    "ProjectConfig": "resources.config",
    "RepoConfig": "resources.config",
    "load_config": "resources.config",
    "SnapshiftError": "base.errors",
    "InputError": "base.errors",
    "InputProblems": "base.errors",
    "UsageError": "base.errors",
    "Cancelled": "base.errors",
}
__all__ = [
    "Answers",
    "Cancelled",
    "GenerateOptions",
    "Generation",
    "InputError",
    "InputProblems",
    "PlanWarning",
    "PlannedOperation",
    "ProgressEvent",
    "Project",
    "ProjectConfig",
    "ProjectState",
    "Question",
    "RepoConfig",
    "SnapshiftError",
    "UsageError",
    "load_config",
    "plan",
    "plan_warnings",
    "planned_operations",
    "read_state",
]


def __getattr__(name: str) -> Any:
    """The public names, imported from their modules on first use."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value
