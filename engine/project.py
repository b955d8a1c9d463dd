"""The facade the CLI and the app both call: one method per user action, answers passed as data.

Nothing here prompts or prints; progress goes through callbacks, problems through SnapshiftError.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config import ProjectConfig, RepoConfig, find_config, load_config
from engine.errors import InputError, Location, UsageError
from engine.lazy import lazy_module
from engine.questions import Answers

if TYPE_CHECKING:
    from engine import checks as checking
    from engine import (
        cleancache,
        confine,
        dbactions,
        devdb,
        journal,
        ordered,
        resources,
        runs,
        state,
        status,
    )
    from engine import drift as drifting
    from engine import generate as generator
    from engine import regen as regen_workflow
    from engine import untracked as untracked_workflow
    from engine import verify as verifying
    from engine.model import Table
else:  # the generator and the database side each load only when used
    cleancache = lazy_module("engine.cleancache")
    confine = lazy_module("engine.confine")
    checking = lazy_module("engine.checks")
    dbactions = lazy_module("engine.dbactions")
    devdb = lazy_module("engine.devdb")
    journal = lazy_module("engine.journal")
    ordered = lazy_module("engine.ordered")
    resources = lazy_module("engine.resources")
    generator = lazy_module("engine.generate")
    runs = lazy_module("engine.runs")
    state = lazy_module("engine.state")
    status = lazy_module("engine.status")
    regen_workflow = lazy_module("engine.regen")
    untracked_workflow = lazy_module("engine.untracked")


@dataclass(frozen=True)
class GenerateResult:
    """What `generate` planned and the files it wrote."""

    generation: generator.Generation
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
        """Put in place the files of a generate that was killed while it renamed them (engine.journal):
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
        *,
        steps: int | None = None,
        to: int | None = None,
        progress: runs.Progress | None = None,
        lock_timeout: float | None = None,
    ) -> list[dbactions.RunResult]:
        """Apply pending migrations of each repo; the first failure stops the run (MigrationError).
        `lock_timeout`: seconds a migration waits for a lock (default: the repo's `lock_timeout`)."""
        return self._run(repo, runs.migrate_selection(steps, to), progress, lock_timeout)

    def rollback(
        self,
        repo: str | None = None,
        *,
        steps: int = 1,
        to: int | None = None,
        all: bool = False,
        versions: Collection[int] | None = None,
        progress: runs.Progress | None = None,
        forget: Collection[int] = (),
        lock_timeout: float | None = None,
    ) -> list[dbactions.RunResult]:
        """Undo applied migrations of each repo, newest first (`to` inclusive); `forget`: applied
        versions without a file whose rows are deleted (a rollback passing one is refused otherwise)."""
        selection = runs.rollback_selection(steps, to, all, versions, forget)
        return self._run(repo, selection, progress, lock_timeout)

    def _run(
        self,
        repo: str | None,
        selection: runs.Selection,
        progress: runs.Progress | None,
        lock_timeout: float | None = None,
    ) -> list[dbactions.RunResult]:
        results = []
        run = ordered.migrate_repo if selection.direction == "up" else ordered.rollback_repo
        for config in self.repos(repo):
            url = self._target(config).url
            tagged = dbactions.tagged(progress, config.name)
            results.append(run(config, url, selection, tagged, lock_timeout))
        return results

    def tenants(
        self,
        repo: str | None = None,
        only: Sequence[str] | None = None,
        except_: Collection[str] | None = None,
    ) -> list[str]:
        """The repo's tenant schemas (`tenants`, or `tenants_query` run on its database), filtered."""
        config = self.repos(repo)[0]
        url = self._target(config).url if config.tenants_query is not None else None
        return dbactions.tenant_names(config, url, only, except_)

    def migrate_tenants(
        self,
        repo: str | None = None,
        *,
        steps: int | None = None,
        to: int | None = None,
        only: Sequence[str] | None = None,
        except_: Collection[str] | None = None,
        jobs: int | None = None,
        fail_fast: bool = False,
        progress: runs.Progress | None = None,
        lock_timeout: float | None = None,
    ) -> list[dbactions.TenantsResult]:
        """Apply tenant migrations in every tenant of each repo; failures are in the results, not raised."""
        selection = runs.migrate_selection(steps, to)
        return self._run_tenants(repo, selection, only, except_, jobs, fail_fast, progress, lock_timeout)

    def rollback_tenants(
        self,
        repo: str | None = None,
        *,
        steps: int = 1,
        to: int | None = None,
        all: bool = False,
        versions: Collection[int] | None = None,
        only: Sequence[str] | None = None,
        except_: Collection[str] | None = None,
        jobs: int | None = None,
        fail_fast: bool = False,
        progress: runs.Progress | None = None,
        forget: Collection[int] = (),
        lock_timeout: float | None = None,
    ) -> list[dbactions.TenantsResult]:
        """Roll back tenant migrations in every tenant of each repo."""
        selection = runs.rollback_selection(steps, to, all, versions, forget)
        return self._run_tenants(repo, selection, only, except_, jobs, fail_fast, progress, lock_timeout)

    def _run_tenants(
        self,
        repo: str | None,
        selection: runs.Selection,
        only: Sequence[str] | None,
        except_: Collection[str] | None,
        jobs: int | None,
        fail_fast: bool,
        progress: runs.Progress | None,
        lock_timeout: float | None = None,
    ) -> list[dbactions.TenantsResult]:
        workers = dbactions.check_jobs(jobs)
        results: list[dbactions.TenantsResult] = []
        for config in self.repos(repo):
            if fail_fast and any(not result.ok for result in results):
                break
            url = self._target(config).url
            names, why = dbactions.chosen_tenants(config, url, only, except_)
            if selection.direction == "down":
                ordered.refuse_tenant_rollback(config, url, selection, names)
            tagged = dbactions.tagged(progress, config.name)
            results.append(
                dbactions.run_repo_tenants(
                    config,
                    url,
                    selection,
                    names,
                    jobs=workers,
                    fail_fast=fail_fast,
                    progress=tagged,
                    none_because=why,
                    lock_timeout=lock_timeout,
                )
            )
        return results

    def create(self, repo: str | None = None) -> list[dbactions.DatabaseChange]:
        """CREATE DATABASE for each repo (an existing one is left alone)."""
        return [dbactions.create(self._target(config)) for config in self.repos(repo)]

    def drop(self, repo: str | None = None) -> list[dbactions.DatabaseChange]:
        """DROP DATABASE for each repo, ending its sessions; the caller asks for confirmation first."""
        return [dbactions.drop(self._target(config)) for config in self.repos(repo)]

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

    # -- verify and drift (SPEC 7; engine/verify.py, engine/drift.py): results as data, progress by callback

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

    # -- the regen workflow (SPEC 7 `regen`, `rollback --untracked`; engine/regen.py, engine/untracked.py)

    def untracked(self, repo: str | None = None) -> list[untracked_workflow.UntrackedFiles]:
        """Each repo's migration and snapshot files that git does not track (GitError outside a work tree)."""
        return [untracked_workflow.untracked_files(self, config) for config in self.repos(repo)]

    def rollback_untracked(
        self,
        repo: str | None = None,
        *,
        force: bool = False,
        scope: untracked_workflow.Scope = "all",
        only: Sequence[str] | None = None,
        except_: Collection[str] | None = None,
        progress: runs.Progress | None = None,
    ) -> list[untracked_workflow.RolledBack]:
        """Undo exactly the applied migrations whose files git does not track, tenant ones too."""
        return untracked_workflow.rollback_untracked(
            self, repo, force=force, scope=scope, only=only, except_=except_, progress=progress
        )

    def plan_rollback_untracked(
        self,
        repo: str | None = None,
        *,
        force: bool = False,
        scope: untracked_workflow.Scope = "all",
        only: Sequence[str] | None = None,
        except_: Collection[str] | None = None,
    ) -> list[untracked_workflow.UntrackedRollback]:
        """What `rollback_untracked` would undo; changes nothing."""
        return untracked_workflow.plan_rollback_untracked(
            self, repo, force=force, scope=scope, only=only, except_=except_
        )

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
