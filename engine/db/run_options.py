"""The facade's database runs as data: which migrations (`Steps`), which tenants (`TenantFilter`), and what
each repo's run gave (`RepoRuns`), so that no caller loops over repos itself."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from snapshift.engine.base.errors import InputError, SnapshiftError, UsageError

if TYPE_CHECKING:
    from snapshift.engine.db.runs import Selection

R = TypeVar("R")


@dataclass(frozen=True)
class Steps:
    """Which migrations a run takes: at most `n` (migrate: every pending one by default; rollback: the
    newest one), up to (migrate) or back to (rollback) version `to` inclusive, or for a rollback `all`
    applied ones or exactly `versions`; `forget`: applied versions without a file whose rows a
    rollback deletes (one passing them is refused otherwise)."""

    n: int | None = None
    to: int | None = None
    all: bool = False
    versions: frozenset[int] | None = None
    forget: frozenset[int] = frozenset()

    @classmethod
    def of(
        cls,
        n: int | None = None,
        to: int | None = None,
        all: bool = False,
        versions: Collection[int] | None = None,
        forget: Collection[int] = (),
    ) -> Steps:
        """Steps from plain collections (a command line's lists)."""
        chosen = None if versions is None else frozenset(versions)
        return cls(n, to, all, chosen, frozenset(forget))

    def up(self) -> Selection:
        """The selection of a migrate; UsageError when these steps only make sense for a rollback."""
        if self.all or self.versions is not None or self.forget:
            raise UsageError("migrate takes a number of steps or a version to go up to, nothing else")
        from snapshift.engine.db.runs import migrate_selection  # the database side loads only when used

        return migrate_selection(self.n, self.to)

    def down(self) -> Selection:
        """The selection of a rollback (one step when nothing else is chosen)."""
        from snapshift.engine.db.runs import rollback_selection

        return rollback_selection(
            1 if self.n is None else self.n, self.to, self.all, self.versions, self.forget
        )


@dataclass(frozen=True)
class TenantFilter:
    """Which of a repo's tenants a run covers: all of them, `only` these (in this order), or all `except_`
    these; a name that matches no tenant is a UsageError when the tenants are listed."""

    only: tuple[str, ...] | None = None
    except_: tuple[str, ...] | None = None

    @classmethod
    def of(cls, only: Sequence[str] | None = None, except_: Collection[str] | None = None) -> TenantFilter:
        return cls(None if only is None else tuple(only), None if except_ is None else tuple(except_))


@dataclass(frozen=True)
class RepoRun(Generic[R]):
    """One repo's part of a run: its result, or the error that stopped it; neither when it was not run
    (an earlier repo failed, or with fail_fast an earlier repo's tenants did)."""

    repo: str
    result: R | None = None
    error: SnapshiftError | None = None


@dataclass(frozen=True)
class RepoEvent(Generic[R]):
    """A repo's run starting (with its database, password hidden), done (its result) or failed."""

    kind: Literal["start", "done", "failed"]
    repo: str
    shown_url: str = ""
    result: R | None = None
    error: SnapshiftError | None = None


RepoProgress = Callable[[RepoEvent[R]], None]


class RepoRuns(Mapping[str, R]):
    """The results of a run over several repos, by repo name in config order (only the repos that
    finished); `runs` holds every selected repo, failed and not run ones too. `check` raises the first
    failure, so a caller that needs them all to succeed says so in one call."""

    def __init__(self, runs: Iterable[RepoRun[R]]) -> None:
        self.runs = tuple(runs)
        self._results = {run.repo: run.result for run in self.runs if run.result is not None}

    def __getitem__(self, repo: str) -> R:
        return self._results[repo]

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def __repr__(self) -> str:
        return f"RepoRuns({list(self.runs)!r})"

    @property
    def failed(self) -> list[RepoRun[R]]:
        """The repos whose run raised, in config order."""
        return [run for run in self.runs if run.error is not None]

    @property
    def not_run(self) -> list[str]:
        return [run.repo for run in self.runs if run.result is None and run.error is None]

    @property
    def ok(self) -> bool:
        """Every repo ran without an error, and every result that says whether it is ok (a tenant run) is."""
        return not self.failed and not self.not_run and all(_ok(r) for r in self._results.values())

    def reraise(self) -> RepoRuns[R]:
        """Itself, once no repo's run raised: else the first repo's error (failed tenants are results)."""
        for run in self.runs:
            if run.error is not None:
                raise run.error
        return self

    def check(self) -> RepoRuns[R]:
        """Itself when every repo ran; else the first repo's error (a failed tenant run: RunFailed)."""
        for run in self.runs:
            if run.error is not None:
                raise run.error
            if run.result is not None and not _ok(run.result):
                raise RunFailed(f"repo {run.repo}: {_failure(run.result)}")
        if self.not_run:
            raise RunFailed(f"not run: {', '.join(self.not_run)}")
        return self


class RunFailed(SnapshiftError):
    """A run that finished but did not all succeed (a tenant failed, or repos were not run)."""


def _ok(result: object) -> bool:
    return bool(getattr(result, "ok", True))


def _failure(result: object) -> str:
    describe = getattr(result, "failure_text", None)
    return str(describe()) if callable(describe) else "failed"


def run_each(
    names: Sequence[str],
    run: Callable[[str], R],
    *,
    keep_going: bool = False,
    stop: Callable[[Sequence[R]], bool] | None = None,
) -> RepoRuns[R]:
    """`run` for each repo in order. Bad input (InputError) is raised at once; another failure is kept
    in the results and stops the run unless `keep_going`; `stop` (given the results so far) ends it
    early too. The repos left are listed as not run."""
    runs: list[RepoRun[R]] = []
    done: list[R] = []
    stopped = False
    for name in names:
        if stopped or (stop is not None and stop(done)):
            stopped = True
            runs.append(RepoRun(name))
            continue
        try:
            result = run(name)
        except InputError:
            raise
        except SnapshiftError as exc:
            runs.append(RepoRun(name, error=exc))
            stopped = not keep_going
            continue
        runs.append(RepoRun(name, result))
        done.append(result)
    return RepoRuns(runs)


def mapping_of(results: Iterable[tuple[str, R]]) -> RepoRuns[R]:
    """RepoRuns of results already made, by repo."""
    return RepoRuns(RepoRun(name, result) for name, result in results)
