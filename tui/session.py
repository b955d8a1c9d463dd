"""Every engine call the app makes, in one place: the live re-plan, the migrations listing, the database
jobs, generate and regen. Widgets and the app see only the views of `tui.views` (built by
`tui.plan_views`), so switching the re-plan to the engine's immutable project state later is a change
here alone. Nothing here imports Textual.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.errors import InputError, SnapshiftError
from snapshift.engine.base.relpath import shown_path
from snapshift.engine.project import Project
from snapshift.engine.state import ProjectState, plan, read_state
from snapshift.tui.check_views import DriftView, VerifyView, drift_view, verify_view
from snapshift.tui.plan_views import migrations_view, plan_view, progress_line, regen_view
from snapshift.tui.views import (
    DatabaseInfo,
    MigrationRow,
    MigrationsView,
    PlanProblems,
    PlanView,
    Problem,
    RegenView,
)
from snapshift.tui.wording import tenants_waiting

if TYPE_CHECKING:
    from snapshift.engine.autogen.generate import GenerateOptions, Generation
    from snapshift.engine.checks.verify import VerifyEvent
    from snapshift.engine.db.runs import ProgressEvent
    from snapshift.engine.resources.config import ProjectConfig
    from snapshift.engine.workflows.regen import RegenEvent

Progress = Callable[["ProgressEvent | RegenEvent"], None]
__all__ = ["Progress", "Session", "progress_line"]


SHOWN_TENANTS = 5  # named in a confirmation; a fleet of a thousand is counted, not listed


class Session:
    """The app's handle on one project: re-plans, listings and database jobs."""

    def __init__(self, directory: Path, repo: str | None = None, now: datetime | None = None) -> None:
        self.directory = directory
        self.repo = repo
        self.now = now  # a fixed clock for migration versions (tests, screenshots); None: the real one
        self.project = Project.open(directory)
        # once, as the command line does at start: a generate killed while it put its files in place
        self.finished_interrupted = self.project.finish_interrupted_generate()
        self._config_stamp = self._stamp(self.project.config.config_path)
        self._state: ProjectState | None = None  # the engine's project state, refreshed by path
        self._planning = threading.Lock()  # one re-plan at a time: each refreshes the last state

    # -- files to watch

    @property
    def root(self) -> Path:
        return self.project.root

    @property
    def config(self) -> ProjectConfig:
        return self.project.config

    def watched_folders(self) -> list[Path]:
        """The folders whose files a plan reads: the resource globs' fixed prefixes and every repo's
        snapshot and migration folders (the config's own folder is watched separately, not deeply)."""
        config = self.project.config
        folders = {config.root / _fixed_prefix(pattern) for pattern in config.resource_globs}
        for repo in config.repos:
            folders |= {repo.snapshots_root, repo.migrations_path, repo.tenant_migrations_path}
        return sorted(folders)

    def resource_count(self) -> int:
        from snapshift.engine.resources.loading import resource_paths

        return len(resource_paths(self.project.config))

    # -- planning

    def _reopen_if_config_changed(self) -> None:
        stamp = self._stamp(self.project.config.config_path)
        if stamp != self._config_stamp:
            self.project = Project.open(self.directory)
            self._config_stamp = stamp
            self._state = None

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int]:
        try:
            info = path.stat()
        except OSError:
            return (0, 0)
        return (info.st_mtime_ns, info.st_size)

    def start_first_plan(self) -> None:
        """Plan in a thread now, while the caller imports and mounts the app: its first `replan` takes
        this result instead of planning again."""
        self._first_plan: Future[PlanView | PlanProblems] = Future()

        def plan() -> None:
            try:
                self._first_plan.set_result(self.replan())
            except BaseException as exc:  # handed to the caller of replan, in its own thread
                self._first_plan.set_exception(exc)

        threading.Thread(target=plan, daemon=True, name="first-plan").start()

    def first_or_replan(self, changed: Iterable[Path] | None = None) -> PlanView | PlanProblems:
        """The plan `start_first_plan` made, once; a new plan after that (or without one)."""
        first = self.__dict__.pop("_first_plan", None)
        return first.result() if first is not None else self.replan(changed)

    def replan(self, changed: Iterable[Path] | None = None) -> PlanView | PlanProblems:
        """The live view: what generate would write now, or the problems that keep it from planning.
        `changed`: the paths changed since the last call, when known (None: anything may have)."""
        with self._planning:
            return self._replan(changed)

    def _replan(self, changed: Iterable[Path] | None) -> PlanView | PlanProblems:
        started = time.perf_counter()
        try:
            self._reopen_if_config_changed()
            state = self._refreshed_state(changed)
            if state.problems:  # the app keeps showing the last good plan, marked stale
                return PlanProblems(tuple(map(_problem, state.problems)), time.perf_counter() - started)
            generation = plan(state, now=self.now)
        except InputError as exc:  # the files are fine alone but not together
            return PlanProblems((_problem(exc),), time.perf_counter() - started)
        return plan_view(self.project.root, generation, time.perf_counter() - started)

    def _refreshed_state(self, changed: Iterable[Path] | None) -> ProjectState:
        """The project state with `changed` read again (everything when unknown)."""
        if self._state is None or changed is None:
            self._state = read_state(self.project.config)
        else:
            self._state = self._state.refresh(changed)
        return self._state

    def plan_generate(self, answers: Answers, name: str | None) -> Generation:
        """The plan `g` writes: the open questions, or the files."""
        return self.project.plan(answers, self._options(name), now=self.now)

    def plan_if_unchanged(
        self, shown: PlanView, answers: Answers, name: str | None
    ) -> tuple[Generation, bool]:
        """The plan `g` writes, and whether the files still give the plan `shown` (the one on screen when
        g was pressed). Planned first, checked after: a change made in between shows as a difference."""
        generation = self.plan_generate(answers, name)
        now = self.replan()
        unchanged = isinstance(now, PlanView) and (now.tables, now.questions) == (
            shown.tables,
            shown.questions,
        )
        return generation, unchanged

    def write(self, generation: Generation) -> list[str]:
        """Write the planned files; their paths relative to the project."""
        return [shown_path(self.root, path) for path in self.project.write(generation)]

    @staticmethod
    def _options(name: str | None) -> GenerateOptions:
        from snapshift.engine.autogen.generate import GenerateOptions

        return GenerateOptions(name=name or None)

    # -- the database

    def database(self) -> DatabaseInfo:
        """The first repo's database (starting the embedded one when no URL is configured) and
        whether it answers."""
        from snapshift.engine.db import database

        target = self.project.database_targets(self.project.config.default_repo.name)[0]
        try:
            database.connect(target.url).close()
        except database.MissingDatabase as exc:
            return DatabaseInfo(target.shown, target.embedded, False, _first_line(exc), missing=True)
        except SnapshiftError as exc:
            return DatabaseInfo(target.shown, target.embedded, False, _first_line(exc))
        return DatabaseInfo(target.shown, target.embedded, True)

    def migrations(self) -> MigrationsView:
        """Each repo's migration files with their state in the database and in git."""
        from snapshift.engine.db import status as status_module

        try:
            configs = self.project.repos()
            urls = {target.repo: target for target in self.project.database_targets()}
            status = status_module.project_status(self.root, configs, urls, lambda _repo: False)
        except SnapshiftError as exc:
            return self._files_only(_first_line(exc))
        return migrations_view(status)

    def _files_only(self, error: str) -> MigrationsView:
        from snapshift.engine.base.migrations import list_migrations

        rows = []
        for repo in self.project.config.repos:
            for tenant, folder in ((False, repo.migrations_path), (True, repo.tenant_migrations_path)):
                try:
                    files = list_migrations(folder)
                except SnapshiftError:
                    files = []
                rows += [MigrationRow(repo.name, m.version, m.name, tenant, "unknown", None) for m in files]
        return MigrationsView(tuple(rows), (), error)

    def migrate(self, progress: Progress) -> str:
        results = self.project.migrate(self.repo, progress=progress).check().values()
        count = sum(len(r.versions) for r in results)
        return f"applied {count} migration(s)" if count else "already up to date"

    def migrate_tenants(self, progress: Progress) -> str:
        results = self.project.migrate_tenants(self.repo, progress=progress).reraise().values()
        if not any(r.tenants for r in results):
            reasons = sorted({r.none_because for r in results if r.none_because})
            return "no tenants: " + ("; ".join(reasons) or "none configured")
        changed = sum(len(r.report.changed) for r in results)
        failed = [str(f.error) for r in results for f in r.report.failures]
        summary = f"migrated {changed} tenant(s), {len(failed)} failed"
        for result in results:
            waiting = tenants_waiting(result)
            if waiting:
                summary += f"; {waiting}: migrate first"
        if failed:
            raise JobFailed(summary + ": " + _first_line(failed[0]))
        return summary

    def rollback(self, progress: Progress) -> str:
        results = self.project.rollback(self.repo, progress=progress).check().values()
        labels = [str(v) for r in results for v in r.versions]
        return f"rolled back {', '.join(labels)}" if labels else "nothing to roll back"

    def rollback_preview(self) -> list[str]:
        """What `b` undoes, in the order it runs: per repo, the tenant migrations newer than the newest
        applied public one (rollback undoes them first, in every tenant that has them), then that one.
        Empty when nothing is applied; a SnapshiftError when the database cannot be read."""
        from snapshift.engine.db import status as status_module

        configs = self.project.repos(self.repo)
        urls = {target.repo: target for target in self.project.database_targets(self.repo)}
        lines = []
        for repo in status_module.project_status(self.root, configs, urls, lambda _repo: False).repos:
            if repo.error is not None:
                raise SnapshiftError(repo.error)
            applied = repo.migrations.database.applied if repo.migrations.database else ()
            if not applied:
                continue
            newest = max(applied)
            names = {m.version: m.label for m in (*repo.migrations.files, *repo.tenant_migrations.files)}
            holders: dict[int, list[str]] = {}
            for tenant in repo.tenant_migrations.tenants:
                for version in tenant.versions.applied:
                    if version > newest:
                        holders.setdefault(version, []).append(tenant.tenant)
            for version in sorted(holders, reverse=True):
                who = holders[version]
                shown = ", ".join(who[:SHOWN_TENANTS]) + (
                    f" and {len(who) - SHOWN_TENANTS} more" if len(who) > SHOWN_TENANTS else ""
                )
                lines.append(f"roll back tenant migration {names.get(version, version)} in {shown}")
            lines.append(
                f"roll back {names.get(newest, newest)}"
                + (f" (repo {repo.repo})" if len(configs) > 1 else "")
            )
        return lines

    def rollback_untracked(self, progress: Progress) -> str:
        results = self.project.rollback_untracked(self.repo, progress=progress).values()
        public = sum(len(r.public) for r in results)
        runs = sum(len(v) for r in results for v in r.tenants.values())
        if not public and not runs:
            return "no applied migration is untracked"
        return f"rolled back {public} untracked migration(s) and {runs} tenant run(s)"

    def untracked_rollback_plan(self) -> list[str]:
        """What `u` would roll back, for its confirmation (RegenRefused when it would run out of order)."""
        from snapshift.engine.workflows.untracked import (
            RepoDatabase,
            plan_untracked_rollback,
            refuse_out_of_order,
            untracked_files,
        )

        plans = [
            plan_untracked_rollback(
                RepoDatabase(self.project, config),
                untracked_files(self.project, config, "rollback --untracked"),
            )
            for config in self.project.repos(self.repo)
        ]
        refuse_out_of_order(plans, "rollback --untracked")
        return [line for plan in plans for line in plan.describe()]

    def create(self) -> str:
        changes = self.project.create(self.repo).check().values()
        return "; ".join(f"{c.database} {'created' if c.changed else 'already exists'}" for c in changes)

    def drop(self) -> str:
        changes = self.project.drop(self.repo).check().values()
        return "; ".join(f"{c.database} {'dropped' if c.changed else 'did not exist'}" for c in changes)

    def database_names(self) -> list[str]:
        return [target.database for target in self.project.database_targets(self.repo)]

    def verify(self, progress: Callable[[VerifyEvent], None], cancel: Callable[[], bool]) -> VerifyView:
        """`v`: every migration on a scratch database (dropped afterwards, cancelled ones too)."""
        results = self.project.verify(self.repo, progress=progress, cancel=cancel)
        return verify_view(self.root, self.project.repos(self.repo), results)

    def drift(self, progress: Callable[[str], None]) -> DriftView:
        """`D`: the live database and every tenant schema against the snapshots, grouped."""
        return drift_view(self.project.drift(self.repo, tenants=True, progress=progress))

    def plan_regen(self, answers: Answers, name: str | None, migrate: bool) -> RegenView:
        plan = self.project.plan_regen(name, self.repo, answers)
        return regen_view(self.root, plan, migrate)

    def regen(self, answers: Answers, name: str | None, migrate: bool, progress: Progress) -> str:
        result = self.project.regen(name, migrate=migrate, answers=answers, repo=self.repo, progress=progress)
        public = sum(len(r.public) for r in result.rolled_back)
        summary = f"rolled back {public} migration(s), deleted {len(result.deleted)} file(s), "
        summary += f"wrote {len(result.generated.written)} file(s)"
        if result.migrated:
            summary += f", applied {sum(len(m.public) for m in result.migrated)} migration(s)"
        return summary


class JobFailed(SnapshiftError):
    """A job that ran but did not all succeed (some tenants failed)."""


def _problem(error: InputError) -> Problem:
    return Problem(error.location.path, error.location.line, error.reason)


def _first_line(error: object) -> str:
    return (str(error).splitlines() or [""])[0]


def _fixed_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard (`resources/**/*.toml` -> `resources`)."""
    parts: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if any(char in part for char in "*?["):
            break
        parts.append(part)
    return str(Path(*parts)) if parts else "."
