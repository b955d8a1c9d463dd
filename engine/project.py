"""The facade the CLI and the app both call: one method per user action, answers passed as data.

Nothing here prompts or prints; progress goes through callbacks, problems through SnapshiftError.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from snapshift.engine.autogen.questions import Answers
from snapshift.engine.base.errors import InputError, Location, SnapshiftError, UsageError
from snapshift.engine.base.lazy import lazy_module
from snapshift.engine.db.run_options import (
    RepoEvent,
    RepoProgress,
    RepoRuns,
    Steps,
    TenantFilter,
    mapping_of,
    run_each,
)
from snapshift.engine.resources.config import ProjectConfig, RepoConfig, find_config, load_config

if TYPE_CHECKING:
    from snapshift.engine import state
    from snapshift.engine.autogen import cleancache, confine, journal
    from snapshift.engine.autogen import generate as generator
    from snapshift.engine.checks import drift as drifting
    from snapshift.engine.checks import repo_checks as checking
    from snapshift.engine.checks import verify as verifying
    from snapshift.engine.db import dbactions, devdb, ordered, runs, status
    from snapshift.engine.resources import loading as resources
    from snapshift.engine.resources.model import Table
    from snapshift.engine.workflows import regen as regen_workflow
    from snapshift.engine.workflows import untracked as untracked_workflow
    from snapshift.engine.workflows.workflow_project import GenerateResult
else:  # the generator and the database side each load only when used
    cleancache = lazy_module("snapshift.engine.autogen.cleancache")
    confine = lazy_module("snapshift.engine.autogen.confine")
    checking = lazy_module("snapshift.engine.checks.repo_checks")
    dbactions = lazy_module("snapshift.engine.db.dbactions")
    devdb = lazy_module("snapshift.engine.db.devdb")
    journal = lazy_module("snapshift.engine.autogen.journal")
    ordered = lazy_module("snapshift.engine.db.ordered")
    resources = lazy_module("snapshift.engine.resources.loading")
    generator = lazy_module("snapshift.engine.autogen.generate")
    runs = lazy_module("snapshift.engine.db.runs")
    state = lazy_module("snapshift.engine.state")
    status = lazy_module("snapshift.engine.db.status")
    regen_workflow = lazy_module("snapshift.engine.workflows.regen")
    untracked_workflow = lazy_module("snapshift.engine.workflows.untracked")


R = TypeVar("R")


def _no_report(event: RepoEvent[Any]) -> None:
    """No `on_repo` callback was given."""


@dataclass(frozen=True)
class _TenantRun:
    """How a tenant run goes, beside its steps: which tenants, how many at once, when to stop."""

    which: TenantFilter
    jobs: int | None
    fail_fast: bool
    progress: runs.Progress | None
    lock_timeout: float | None


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
        return resources.load_resource_files(self.config, resources.resource_paths(self.config))

    def plan(
        self,
        answers: Answers = Answers(),
        options: generator.GenerateOptions | None = None,
        repo: str | None = None,
        now: datetime | None = None,
    ) -> generator.Generation:
        """What `generate` would write now; open questions are listed, never asked. It never finishes a
        killed generate's journal: callers do that once at start (`finish_interrupted_generate`)."""
        repos = self.repos(repo)
        names: Sequence[str] = [r.name for r in repos]
        options = options or generator.GenerateOptions()
        # the config was read before the plan began: a change to it since then was not planned
        since = min(time.time_ns(), self.config.read_ns)
        paths = resources.resource_paths(self.config)
        read = state.read_state(self.config, resources=state.read_resources(self.config, paths))
        generation = state.plan(read, answers, options, now, names)
        # remember a clean result for known_clean, when the config came from its file (not from text)
        if not generation.has_changes and self.config.read_ns:
            listings = [r.state.listing for r in generation.repos]
            cleancache.store(
                self.config, repos, cleancache.fingerprint(self.config, repos, paths, listings, since)
            )
        return generation

    def read_state(self) -> state.ProjectState:
        """Everything a plan reads, read once: `engine.state.plan` then plans over it without I/O, and
        `refresh` re-reads only what changed (the app's live view)."""
        return state.read_state(self.config)

    def finish_interrupted_generate(self) -> list[Path]:
        """Put in place the files of a generate that was killed while it renamed them (autogen.journal):
        the files put in place now, none when no generate was cut short. InputError when the journal asks
        for more than that. The CLI's writing commands and the app call it once at start; nothing else
        here does, so planning never writes."""
        return journal.finish_interrupted(self.root, confine.project_folders(self.config))

    def interrupted_generate_pending(self) -> bool:
        """Whether a killed generate's journal waits for `generate` to finish it; read-only commands say so
        rather than finish it. InputError when the journal is unreadable or asks for more than that."""
        return journal.check_pending(self.root, confine.project_folders(self.config))

    def known_clean(self, repo: str | None = None) -> bool:
        """True when no file a plan reads changed since a plan last found nothing to do: then `plan`
        would find nothing again, and callers can skip it (a large project answers in milliseconds).
        Never while a killed generate's journal waits to be finished."""
        return not journal.pending(self.root) and cleancache.known_clean(self.config, self.repos(repo))

    def generate(
        self,
        answers: Answers = Answers(),
        options: generator.GenerateOptions | None = None,
        repo: str | None = None,
        now: datetime | None = None,
    ) -> GenerateResult:
        """Plan and write; raises UnansweredQuestions (writing nothing) when answers are missing."""
        generation = self.plan(answers, options, repo, now)
        from snapshift.engine.workflows.workflow_project import GenerateResult  # the facade's result type

        return GenerateResult(generation, self.write(generation))

    def write(self, generation: generator.Generation) -> tuple[Path, ...]:
        """Write a plan made by `plan` (UnansweredQuestions when it still has open questions). InputError
        while a killed generate's journal waits: the plan missed its files, and writing would sweep them."""
        if generation.has_changes and journal.pending(self.root):
            raise InputError(
                "a generate that was killed while it put its files in place left this journal; finish it "
                "first (`snapshift generate`, or Project.finish_interrupted_generate), then plan again",
                Location(self.root / journal.NAME),
            )
        return tuple(generator.write_generation(generation, self.root)) if generation.has_changes else ()

    # -- the database side (SPEC 2, 6, 7): every action runs per repo in config order unless one is named

    def database_url(self, repo: str | None = None) -> str:
        """The repo's URL (config url or env:NAME); without one, the embedded dev database, started."""
        return self._target(self.repos(repo)[0]).url

    def _target(self, repo: RepoConfig) -> dbactions.RepoUrl:
        first = repo.name == self.config.default_repo.name
        return dbactions.repo_url(repo, self.root, first=first)

    def migrate(
        self,
        repo: str | None = None,
        steps: Steps = Steps(),
        *,
        progress: runs.Progress | None = None,
        lock_timeout: float | None = None,
        keep_going: bool = False,
        on_repo: RepoProgress[dbactions.RunResult] | None = None,
    ) -> RepoRuns[dbactions.RunResult]:
        """Apply pending migrations of each repo. A repo's failure (MigrationError) is in the results and
        stops the run unless `keep_going` (`RepoRuns.check` raises it); bad input is raised at once.
        `lock_timeout`: seconds a migration waits for a lock (default: the repo's `lock_timeout`)."""
        return self._run(repo, steps.up(), progress, lock_timeout, keep_going, on_repo)

    def rollback(
        self,
        repo: str | None = None,
        steps: Steps = Steps(),
        *,
        progress: runs.Progress | None = None,
        lock_timeout: float | None = None,
        keep_going: bool = False,
        on_repo: RepoProgress[dbactions.RunResult] | None = None,
    ) -> RepoRuns[dbactions.RunResult]:
        """Undo applied migrations of each repo, newest first (one by default; `Steps` says which)."""
        return self._run(repo, steps.down(), progress, lock_timeout, keep_going, on_repo)

    def _run(
        self,
        repo: str | None,
        selection: runs.Selection,
        progress: runs.Progress | None,
        lock_timeout: float | None,
        keep_going: bool,
        on_repo: RepoProgress[dbactions.RunResult] | None,
    ) -> RepoRuns[dbactions.RunResult]:
        run = ordered.migrate_repo if selection.direction == "up" else ordered.rollback_repo

        def one(config: RepoConfig, target: dbactions.RepoUrl) -> dbactions.RunResult:
            tagged = dbactions.tagged(progress, config.name)
            return run(config, target.url, selection, tagged, lock_timeout)

        return self._each(repo, one, keep_going, on_repo)

    def _each(
        self,
        repo: str | None,
        run: Callable[[RepoConfig, dbactions.RepoUrl], R],
        keep_going: bool = False,
        on_repo: RepoProgress[R] | None = None,
        stop: Callable[[Sequence[R]], bool] | None = None,
    ) -> RepoRuns[R]:
        """`run(config, target)` for each selected repo in config order (see `run_options.run_each`),
        telling `on_repo` as each starts, ends or fails."""
        configs = {config.name: config for config in self.repos(repo)}
        report = on_repo or _no_report

        def one(name: str) -> R:
            target = self._target(configs[name])
            report(RepoEvent("start", name, target.shown))
            try:
                result = run(configs[name], target)
            except SnapshiftError as exc:
                if not isinstance(exc, InputError):
                    report(RepoEvent("failed", name, target.shown, error=exc))
                raise
            report(RepoEvent("done", name, target.shown, result))
            return result

        return run_each(list(configs), one, keep_going=keep_going, stop=stop)

    def tenants(self, repo: str | None = None, which: TenantFilter = TenantFilter()) -> list[str]:
        """The repo's tenant schemas (`tenants`, or `tenants_query` run on its database), filtered."""
        config = self.repos(repo)[0]
        url = self._target(config).url if config.tenants_query is not None else None
        return dbactions.tenant_names(config, url, which.only, which.except_)

    def migrate_tenants(
        self,
        repo: str | None = None,
        steps: Steps = Steps(),
        which: TenantFilter = TenantFilter(),
        *,
        jobs: int | None = None,
        fail_fast: bool = False,
        progress: runs.Progress | None = None,
        lock_timeout: float | None = None,
        keep_going: bool = False,
        on_repo: RepoProgress[dbactions.TenantsResult] | None = None,
    ) -> RepoRuns[dbactions.TenantsResult]:
        """Apply tenant migrations in every tenant of each repo; failed tenants are in the results, not
        raised (`RepoRuns.check` raises them); with `fail_fast` a repo whose tenants failed stops the run."""
        options = _TenantRun(which, jobs, fail_fast, progress, lock_timeout)
        return self._run_tenants(repo, steps.up(), options, keep_going, on_repo)

    def rollback_tenants(
        self,
        repo: str | None = None,
        steps: Steps = Steps(),
        which: TenantFilter = TenantFilter(),
        *,
        jobs: int | None = None,
        fail_fast: bool = False,
        progress: runs.Progress | None = None,
        lock_timeout: float | None = None,
        keep_going: bool = False,
        on_repo: RepoProgress[dbactions.TenantsResult] | None = None,
    ) -> RepoRuns[dbactions.TenantsResult]:
        """Roll back tenant migrations in every tenant of each repo."""
        options = _TenantRun(which, jobs, fail_fast, progress, lock_timeout)
        return self._run_tenants(repo, steps.down(), options, keep_going, on_repo)

    def _run_tenants(
        self,
        repo: str | None,
        selection: runs.Selection,
        options: _TenantRun,
        keep_going: bool,
        on_repo: RepoProgress[dbactions.TenantsResult] | None,
    ) -> RepoRuns[dbactions.TenantsResult]:
        workers = dbactions.check_jobs(options.jobs)

        def one(config: RepoConfig, target: dbactions.RepoUrl) -> dbactions.TenantsResult:
            url = target.url
            names, why = dbactions.chosen_tenants(config, url, options.which.only, options.which.except_)
            if selection.direction == "down":
                ordered.refuse_tenant_rollback(config, url, selection, names)
            return dbactions.run_repo_tenants(
                config,
                url,
                selection,
                names,
                jobs=workers,
                fail_fast=options.fail_fast,
                progress=dbactions.tagged(options.progress, config.name),
                none_because=why,
                lock_timeout=options.lock_timeout,
            )

        def stop(done: Sequence[dbactions.TenantsResult]) -> bool:
            return options.fail_fast and any(not result.ok for result in done)

        return self._each(repo, one, keep_going, on_repo, stop)

    def create(
        self, repo: str | None = None, *, on_repo: RepoProgress[dbactions.DatabaseChange] | None = None
    ) -> RepoRuns[dbactions.DatabaseChange]:
        """CREATE DATABASE for each repo (an existing one is left alone)."""
        return self._each(repo, lambda _config, target: dbactions.create(target), on_repo=on_repo)

    def drop(self, repo: str | None = None) -> RepoRuns[dbactions.DatabaseChange]:
        """DROP DATABASE for each repo, ending its sessions; the caller asks for confirmation first."""
        return self._each(repo, lambda _config, target: dbactions.drop(target))

    def database_targets(self, repo: str | None = None) -> list[dbactions.RepoUrl]:
        """Each repo's database (name and redacted URL), e.g. to ask before dropping it."""
        return [self._target(config) for config in self.repos(repo)]

    def status(self, repo: str | None = None) -> status.ProjectStatus:
        """Migrations per repo and tenant group against the database, git and the resources."""
        configs = self.repos(repo)
        urls = {config.name: self._target(config) for config in configs}
        return status.project_status(self.root, configs, urls, self._pending_changes)

    def _pending_changes(self, repo: str) -> bool:
        if self.interrupted_generate_pending():  # read-only: say so, leave it to `generate`
            return True
        return not self.known_clean(repo) and self.plan(repo=repo).has_changes

    def devdb_start(self) -> str:
        """Start (or reuse) the project's embedded development database; its URL."""
        return devdb.DevDatabase(self.root).start()

    def devdb_stop(self) -> bool:
        """Stop the development database; False when it was not running."""
        return devdb.DevDatabase(self.root).stop()

    def devdb_status(self) -> devdb.DevDbStatus:
        return devdb.DevDatabase(self.root).status()

    def devdb_url(self) -> str | None:
        """The running development database's URL, or None; never starts it."""
        return devdb.DevDatabase(self.root).url()

    # -- verify and drift (SPEC 7; engine/checks/): results as data, progress by callback

    def verify(
        self,
        repo: str | None = None,
        *,
        progress: verifying.VerifyProgress | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> list[verifying.VerifyResult]:
        """Each repo's migrations on scratch databases: up, against a fresh build, down, up again."""
        targets = [(config, self._target(config).url) for config in self.repos(repo)]
        return [checking.verify_repo(config, url, progress, cancel) for config, url in targets]

    def verify_generation(
        self,
        generation: generator.Generation,
        *,
        progress: verifying.VerifyProgress | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> list[verifying.VerifyResult]:
        """A plan's new migrations, before anything is written (`generate --verify`)."""
        results = []
        for repo_plan in generation.repos:
            folders = {repo_plan.repo.migrations_path: False, repo_plan.repo.tenant_migrations_path: True}
            planned = [
                (f.path.name, f.text, folders[f.path.parent])
                for f in generation.files
                if f.kind in ("migration", "tenant_migration") and f.path.parent in folders
            ]
            if planned:
                url = self._target(repo_plan.repo).url
                results.append(checking.verify_planned(repo_plan, url, planned, progress, cancel))
        return results

    def drift(
        self,
        repo: str | None = None,
        *,
        tenants: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> list[drifting.DriftResult]:
        """Each repo's live database (and with `tenants` every tenant schema) against its snapshots."""
        results = []
        for config in self.repos(repo):
            url = self._target(config).url
            names = dbactions.tenant_names(config, url) if tenants else None
            results.append(checking.drift(config, url, names, progress))
        return results

    # -- the regen workflow (SPEC 7 `regen`, `rollback --untracked`; engine/workflows/)

    def untracked(self, repo: str | None = None) -> list[untracked_workflow.UntrackedFiles]:
        """Each repo's migration and snapshot files that git does not track (GitError outside a work tree)."""
        return [untracked_workflow.untracked_files(self, config) for config in self.repos(repo)]

    def rollback_untracked(
        self,
        repo: str | None = None,
        *,
        force: bool = False,
        scope: untracked_workflow.Scope = "all",
        which: TenantFilter = TenantFilter(),
        progress: runs.Progress | None = None,
    ) -> RepoRuns[untracked_workflow.RolledBack]:
        """Undo exactly the applied migrations whose files git does not track, tenant ones too; a failure
        is raised (RegenError), naming what the repos before it undid."""
        done = untracked_workflow.rollback_untracked(
            self, repo, force=force, scope=scope, which=which, progress=progress
        )
        return mapping_of((result.repo, result) for result in done)

    def plan_rollback_untracked(
        self,
        repo: str | None = None,
        *,
        force: bool = False,
        scope: untracked_workflow.Scope = "all",
        which: TenantFilter = TenantFilter(),
    ) -> RepoRuns[untracked_workflow.UntrackedRollback]:
        """What `rollback_untracked` would undo in each repo; changes nothing."""
        plans = untracked_workflow.plan_rollback_untracked(self, repo, force=force, scope=scope, which=which)
        return mapping_of((plan.repo, plan) for plan in plans)

    def plan_regen(
        self,
        name: str | None = None,
        repo: str | None = None,
        answers: Answers = Answers(),
        options: generator.GenerateOptions | None = None,
    ) -> regen_workflow.RegenPlan:
        """What regen would roll back, delete and generate; changes nothing."""
        return regen_workflow.plan_regen(self, name, repo, answers, options or generator.GenerateOptions())

    def regen(
        self,
        name: str | None = None,
        *,
        migrate: bool = False,
        answers: Answers = Answers(),
        options: generator.GenerateOptions | None = None,
        repo: str | None = None,
        force: bool = False,
        progress: regen_workflow.RegenProgress | None = None,
    ) -> regen_workflow.RegenResult:
        """Roll back and delete the untracked migrations and snapshots, generate again, optionally migrate."""
        return regen_workflow.regen(
            self,
            name,
            migrate=migrate,
            answers=answers,
            options=options or generator.GenerateOptions(),
            repo=repo,
            force=force,
            progress=progress,
        )
