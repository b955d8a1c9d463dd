"""The snapshift app: watches the resources, shows the next migration taking shape, drives the workflow.

A router in the Harlequin manner: bindings and handlers here own all state; every engine call runs in
a thread worker through `tui.session` and only posts a message back; widgets draw what they are given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Tab, Tabs, Tree
from textual.worker import get_current_worker

from snapshift.engine.autogen.questions import Answers, Question
from snapshift.engine.base.relpath import shown_path
from snapshift.tui.check_views import DriftView, VerifyView
from snapshift.tui.messages import (
    DatabaseChecked,
    FilesChanged,
    JobFinished,
    JobProgressed,
    MigrationsListed,
    PlanComputed,
)
from snapshift.tui.palette import ActionsProvider
from snapshift.tui.session import Progress, Session, progress_line
from snapshift.tui.views import MigrationsView, PlanProblems, PlanView, Problem, SqlText
from snapshift.tui.watcher import Watcher
from snapshift.tui.widgets.keys_footer import KeysFooter
from snapshift.tui.widgets.log import LogPane
from snapshift.tui.widgets.migrations import MigrationsPane
from snapshift.tui.widgets.pending import PendingPane
from snapshift.tui.widgets.resource_tree import ResourceTree
from snapshift.tui.widgets.sql_area import SqlArea
from snapshift.tui.widgets.sql_pane import SqlPane
from snapshift.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from snapshift.engine.autogen.generate import Generation

PANES_QUERY = "StatusBar, ResourceTree, PendingPane, SqlPane, MigrationsPane, LogPane"  # what handlers touch
PANES_COUNT = 6

# The dialogs' modules (screens/, asking) are imported when first opened: the first view needs none.

NARROW_WIDTH = 110
MAX_QUESTIONS = 100
EMPTY_PLAN = PlanView((), SqlText(""), SqlText(""), (), (), (), "migrate_resources", 0.0, planned=False)
JOB_ACTIONS = frozenset(
    {"generate", "migrate", "tenants", "rollback", "untracked", "regen", "create", "drop", "verify", "drift"}
)
PANES = ("resources", "pending", "sql")
Report = VerifyView | DriftView
Job = Callable[[Callable[[Any], None]], "str | Report"]


class SnapshiftApp(App[None]):
    """`snapshift` / `snapshift tui`: one project, every repo; `session.repo` limits the database work."""

    CSS_PATH = "app.tcss"
    TITLE = "snapshift"
    COMMANDS: ClassVar = App.COMMANDS | {ActionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "generate", "generate"),
        Binding("m", "migrate", "migrate"),
        Binding("t", "tenants", "tenants"),
        Binding("b", "rollback", "back"),
        Binding("u", "untracked", "untracked"),
        Binding("R", "regen", "regen"),
        Binding("c", "create", "create"),
        Binding("d", "drop", "drop"),
        Binding("v", "verify", "verify"),
        Binding("D", "drift", "drift"),
        Binding("question_mark", "help", "help"),
        Binding("ctrl+p", "command_palette", "cmds"),
        Binding("q", "quit", "quit"),
        Binding("1", "pane('resources')", "resources", show=False),
        Binding("2", "pane('pending')", "pending", show=False),
        Binding("3", "pane('sql')", "SQL", show=False),
    ]
    # (action, title, help): the command palette and the help screen list these
    ACTIONS: ClassVar[list[tuple[str, str, str]]] = [
        ("generate", "Generate migration", "asks the name; renames and drops are asked in dialogs"),
        ("migrate", "Migrate", "apply the pending migrations"),
        ("tenants", "Migrate tenants", "apply the tenant migrations in every tenant schema"),
        ("rollback", "Roll back", "undo the newest applied migration (asks first)"),
        ("untracked", "Roll back untracked", "undo the applied migrations git does not track (asks first)"),
        ("regen", "Regen", "redo the untracked migrations from the resources (asks; can migrate after)"),
        ("create", "Create database", "CREATE DATABASE for the repo"),
        ("drop", "Drop database", "DROP DATABASE for the repo (asks first)"),
        ("verify", "Verify migrations", "every migration on a scratch database: up, down, up again"),
        ("drift", "Drift", "the live database and tenant schemas against the snapshots"),
        ("help", "Help", "keys and marks"),
        ("quit", "Quit", "leave the app"),
    ]

    def __init__(self, session: Session, *, watch: bool = True) -> None:
        super().__init__()
        SqlArea.compile_in_background()  # on another core while the app starts: the SQL pane needs it
        self.session = session
        self.watch_files = watch
        self.plan: PlanView = EMPTY_PLAN
        self.problems: tuple[Problem, ...] = ()
        self.stale = False
        self.busy: str | None = None
        self.plan_requests = 0
        self.plan_applied = -1
        self.plans_done = 0
        self.watcher: Watcher | None = None
        self.migrations = MigrationsView((), (), None)

    # -- layout

    def compose(self) -> ComposeResult:
        yield StatusBar(self.session.root.name, id="status")
        yield Tabs(
            Tab("Resources", id="tab-resources"),
            Tab("Pending", id="tab-pending"),
            Tab("SQL", id="tab-sql"),
            id="pane-tabs",
        )
        with Horizontal(id="upper", classes="show-resources"):
            yield ResourceTree(first_repo=self.session.repo, id="resources")
            yield PendingPane(id="pending")
            yield SqlPane(id="sql")
        with Horizontal(id="lower"):
            yield MigrationsPane(id="migrations")
            yield LogPane(id="log")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._set_narrow(self.size.width)
        self.call_after_refresh(self._focus_tree)
        self.log_line(f"opened {self.session.root.name} ({self.session.resource_count()} resource files)")
        self.request_replan()  # the database is looked at once the first plan is shown
        if self.watch_files:
            self.start_watching()

    def _focus_tree(self) -> None:
        """Arrow keys move through the tables from the start (Textual would focus the tab bar first)."""
        if not self.closing and len(self.screen_stack) == 1:
            self.main.query_one(ResourceTree).focus()

    def on_resize(self, event: Resize) -> None:
        self._set_narrow(event.size.width)

    def _set_narrow(self, width: int) -> None:
        self.main.set_class(width < NARROW_WIDTH, "narrow")
        self.main.query_one(KeysFooter).set_narrow(width < NARROW_WIDTH)

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        pane = (event.tab.id or "tab-resources").removeprefix("tab-")
        upper = self.main.query_one("#upper")
        for name in PANES:
            upper.set_class(name == pane, f"show-{name}")
        if pane == "sql" and self.screen_stack:  # scrolled while hidden: put the selection in view again
            self.call_after_refresh(self.show_selection)

    def action_pane(self, pane: str) -> None:
        self.main.query_one("#pane-tabs", Tabs).active = f"tab-{pane}"
        container = self.main.query_one(f"#{pane}")
        if container.can_focus:  # the tree; the other two are containers: their list, or the shown SQL
            container.focus()
        else:
            self.call_after_refresh(lambda: _content_of(container).focus())

    @property
    def main(self) -> Screen[None]:
        """The main screen, under any dialog: handlers update its widgets while a dialog is open."""
        return self.screen_stack[0]

    @property
    def closing(self) -> bool:
        """Shutting down, the widgets gone or going: a message a worker posted may still arrive."""
        if not self.screen_stack:
            return True
        # widgets go one by one while the app shuts down: every pane a handler touches must still be there
        return len(self.main.query(PANES_QUERY)) < PANES_COUNT

    def log_line(self, text: str, level: str = "info") -> None:
        self.main.query_one(LogPane).add(text, level)

    # -- watching and planning

    def start_watching(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.watcher = Watcher(self.session.root, self.session.watched_folders(), self.post_files_changed)
        for paths, recursive in self.watcher.targets():
            self.run_worker(
                partial(self.watcher.run, paths, recursive), thread=True, group="watch", exit_on_error=False
            )

    def post_files_changed(self, paths: frozenset[Path]) -> None:
        self.post_message(FilesChanged(paths))

    def on_files_changed(self, message: FilesChanged) -> None:
        if self.closing:
            return
        inputs = [path for path in message.paths if path.suffix in (".toml", ".json", ".sql")]
        names = sorted({shown_path(self.session.root, path) for path in inputs or message.paths})
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        self.log_line(f"changed: {shown}")
        self.request_replan(message.paths)
        if self.watcher and sorted(self.watcher.folders) != [
            f for f in self.session.watched_folders() if f.is_dir() and f != self.session.root
        ]:
            self.start_watching()  # a watched folder appeared (the first generate) or the config moved it
        if not self.busy and any(path.suffix == ".sql" for path in message.paths):
            self.refresh_database()

    def request_replan(self, changed: frozenset[Path] | None = None) -> None:
        self.plan_requests += 1
        self.replan(self.plan_requests, changed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def replan(self, request: int, changed: frozenset[Path] | None) -> None:
        try:
            view: PlanView | PlanProblems = self.session.first_or_replan(changed)
        except Exception as exc:  # the live view must survive anything the engine raises
            view = PlanProblems((Problem(None, None, f"{type(exc).__name__}: {exc}"),), 0.0)
        self.post_message(PlanComputed(view, request))

    def on_plan_computed(self, message: PlanComputed) -> None:
        if self.closing:
            return
        if message.request <= self.plan_applied:
            return  # an older plan finished after a newer one
        if self.plan_applied < 0:
            self.call_after_refresh(self.refresh_database)
        self.plan_applied = message.request
        view = message.view
        if isinstance(view, PlanProblems):
            fresh = view.problems != self.problems
            self.problems, self.stale = view.problems, self.plans_done > 0
            if fresh:
                for problem in view.problems:
                    self.log_line(f"{problem.where(self.session.root)}: {problem.message}", "error")
                if self.stale:
                    self.log_line(f"plan stale: {len(view.problems)} problem(s)", "warning")
        else:
            if self.problems:
                self.log_line("problems fixed: plan up to date", "ok")
            self.plan, self.problems, self.stale = view, (), False
            self.plans_done += 1
            if message.request > 1:
                ops = f"{view.operation_count} operation(s)" if view.has_changes else "no changes"
                self.log_line(f"re-planned in {view.elapsed * 1000:.0f} ms: {ops}")
        self.show_plan()

    def show_plan(self) -> None:
        tree = self.main.query_one(ResourceTree)
        tree.show(self.plan, self.problems, self.session.root, self.stale)
        self.main.query_one(SqlPane).show(self.plan, self.stale, blocked=bool(self.problems))
        self.show_selection()
        status = self.main.query_one(StatusBar)
        status.watching = self.session.resource_count() if self.watch_files else 0
        status.plan_state = "plan stale" if self.stale else ""
        status.redraw()

    def show_selection(self) -> None:
        selected = self.main.query_one(ResourceTree).selected
        self.main.query_one(PendingPane).show(
            self.plan, selected, self.problems, self.session.root, self.stale
        )
        table = selected.split(":", 1)[1] if ":" in selected and not selected.endswith(":") else None
        self.main.query_one(SqlPane).scroll_to_table(table)

    @on(Tree.NodeHighlighted, "#resources")
    def _table_highlighted(self) -> None:
        if not self.closing:  # a highlight posted while the app shuts down finds no panes
            self.show_selection()

    # -- the database: state in the header and the migrations pane

    @work(thread=True, exclusive=True, exit_on_error=False, group="database")
    def refresh_database(self) -> None:
        try:
            self.post_message(DatabaseChecked(self.session.database()))
        except Exception as exc:
            self.post_message(DatabaseChecked(None, _first_line(exc)))
        try:
            self.post_message(MigrationsListed(self.session.migrations()))
        except Exception as exc:
            self.post_message(MigrationsListed(MigrationsView((), (), _first_line(exc))))

    def on_database_checked(self, message: DatabaseChecked) -> None:
        if self.closing:
            return
        status = self.main.query_one(StatusBar)
        previous = status.database
        status.database, status.database_error = message.info, message.error
        status.redraw()
        info = message.info
        if info is None or not info.reachable:
            reason = message.error if info is None else info.error
            if info is not None and info.missing:
                reason = f"{reason} (press c to create it)"
            if previous is None or previous.reachable:
                self.log_line(f"database: {reason}; resources, plans and SQL still work", "error")
        elif previous is None or not previous.reachable:
            self.log_line(f"database: {'embedded dev database ' if info.embedded else ''}{info.url}", "ok")

    def on_migrations_listed(self, message: MigrationsListed) -> None:
        if self.closing:
            return
        self.migrations = message.view
        self.main.query_one(MigrationsPane).show(message.view)

    # -- jobs

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in JOB_ACTIONS and self.busy is not None:
            return None  # shown, disabled, until the running job ends
        return True

    def start_job(self, job: str, title: str, run: Job) -> None:
        self.busy = job
        self.refresh_bindings()
        self.main.query_one(MigrationsPane).start_job(title)
        self.log_line(f"{title}…")
        self.run_job(job, run)

    @work(thread=True, exclusive=True, exit_on_error=False, group="job")
    def run_job(self, job: str, run: Job) -> None:
        def progress(event: object) -> None:
            text, done, total = progress_line(event)  # type: ignore[arg-type]
            self.post_message(JobProgressed(text, done, total))

        try:
            result = run(progress)
            if isinstance(result, str):
                self.post_message(JobFinished(job, result))
            else:
                self.post_message(JobFinished(job, result.summary, report=result))
        except Exception as exc:  # database errors and everything else: the log and a notification
            self.post_message(JobFinished(job, "", str(exc) or type(exc).__name__))

    def on_job_progressed(self, message: JobProgressed) -> None:
        if self.closing:
            return
        if message.text:
            self.log_line(message.text)
        self.main.query_one(MigrationsPane).progress(message.done, message.total)

    def on_job_finished(self, message: JobFinished) -> None:
        if self.closing:
            return
        self.busy = None
        self.refresh_bindings()
        self.main.query_one(MigrationsPane).end_job()
        report = message.report
        if isinstance(report, VerifyView | DriftView):
            severity: SeverityLevel = "information" if report.ok else "warning"
            self.log_line(f"{message.job}: {message.summary}", "ok" if report.ok else "error")
            self.notify(_first_line(message.summary), title=message.job, severity=severity)
            from snapshift.tui.screens.drift import DriftScreen
            from snapshift.tui.screens.verify import VerifyScreen

            self.push_screen(VerifyScreen(report) if isinstance(report, VerifyView) else DriftScreen(report))
        elif message.error is None:
            self.log_line(f"{message.job}: {message.summary}", "ok")
            self.notify(message.summary, title=message.job)
        else:
            for index, line in enumerate(message.error.splitlines()):
                self.log_line(f"{message.job} failed: {line}" if index == 0 else f"  {line}", "error")
            self.notify(
                _first_line(message.error), title=f"{message.job} failed", severity="error", timeout=8
            )
        self.refresh_database()
        self.request_replan()

    def action_migrate(self) -> None:
        self.start_job("migrate", "migrating", self.session.migrate)

    def action_tenants(self) -> None:
        self.start_job("tenants", "migrating tenants", self.session.migrate_tenants)

    def action_create(self) -> None:
        self.start_job("create", "creating the database", lambda _progress: self.session.create())

    def action_verify(self) -> None:
        def verify(progress: Callable[[Any], None]) -> VerifyView:
            worker = get_current_worker()  # cancelled when the app exits: verify stops between steps
            return self.session.verify(progress, lambda: worker.is_cancelled)

        self.start_job("verify", "verifying on a scratch database", verify)

    def action_drift(self) -> None:
        self.start_job("drift", "reading the live catalog", self.session.drift)

    def action_help(self) -> None:
        from snapshift.tui.screens.help import HelpScreen

        keys = [(self.get_key_display(binding), title, text) for binding, (_, title, text) in _bound(self)]
        self.push_screen(HelpScreen(keys))

    @work(exclusive=True, exit_on_error=False, group="dialog")
    async def action_rollback(self) -> None:
        await self._roll_back_after_preview(
            "rollback",
            self.session.rollback_preview,
            "nothing to roll back: no migration is applied",
            "Roll back?",
            self.session.rollback,
        )

    @work(exclusive=True, exit_on_error=False, group="dialog")
    async def action_untracked(self) -> None:
        await self._roll_back_after_preview(
            "untracked",
            self.session.untracked_rollback_plan,
            "no applied migration is untracked",
            "Roll back untracked migrations?",
            self.session.rollback_untracked,
        )

    async def _roll_back_after_preview(
        self, job: str, preview: Callable[[], list[str]], nothing: str, title: str, run: Job
    ) -> None:
        """What would be undone, read in a thread and listed in a confirmation, then the rollback job."""
        from snapshift.tui.screens.confirm import ConfirmScreen

        try:
            lines = await asyncio.to_thread(preview)
        except Exception as exc:
            self._refuse(job, exc)
            return
        if not lines:
            self.notify(nothing, title=job)
            return
        lines.append("(each down runs in a transaction of its own, in this order)")
        if await self.push_screen_wait(ConfirmScreen(title, lines, "Roll back")):
            self.start_job(job, "rolling back", run)

    @work(exclusive=True, exit_on_error=False, group="dialog")
    async def action_drop(self) -> None:
        from snapshift.tui.screens.confirm import ConfirmScreen

        try:
            names = await asyncio.to_thread(self.session.database_names)
        except Exception as exc:
            self._refuse("drop", exc)
            return
        lines = [f"DROP DATABASE {name}: every table and row in it is lost" for name in names]
        if await self.push_screen_wait(ConfirmScreen("Drop the database?", lines, "Drop", danger=True)):
            self.start_job("drop", "dropping the database", lambda _progress: self.session.drop())

    def _refuse(self, job: str, error: BaseException) -> None:
        self.log_line(f"{job}: {error}", "error")
        self.notify(_first_line(error), title=f"{job} failed", severity="error", timeout=8)

    # -- generate and regen: dialogs, then a job

    @work(exclusive=True, exit_on_error=False, group="dialog")
    async def action_generate(self) -> None:
        if self.problems:  # said in full: at 80 columns the log is not on screen
            first = self.problems[0]
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            where = first.where(self.session.root)
            self.notify(f"fix {where} first: {first.message}{more}", title="generate", severity="warning")
            return
        view = self.plan
        if not view.has_changes:
            self.notify("no changes: nothing to generate", title="generate")
            return
        destructive = sum(1 for t in view.tables for op in t.operations if op.destructive)
        tables = sum(1 for t in view.tables if t.operations or t.questions)
        summary = f"{tables} table(s) · {view.operation_count} operation(s) · {destructive} destructive"
        from snapshift.tui.screens.generate import GenerateScreen

        if view.questions:
            summary += f"\nbefore your answers to {len(view.questions)} question(s), asked next"
        name = await self.push_screen_wait(GenerateScreen(view.default_name, summary))
        if name is None:
            return
        answers = await self._answer_all("generate", lambda a: self.session.plan_generate(a, name).questions)
        if answers is None:
            self.log_line("generate cancelled")
            return
        try:
            generation, unchanged = await asyncio.to_thread(
                self.session.plan_if_unchanged, view, answers, name
            )
        except Exception as exc:
            self._refuse("generate", exc)
            return
        if not unchanged:  # what would be written is not what the panes showed when g was pressed
            self.log_line(
                "generate: the files changed while its dialogs were open; nothing written", "warning"
            )
            self.notify(
                "the files changed meanwhile: nothing written; see the new plan, then g", title="generate"
            )
            self.request_replan()
            return
        if view.questions and not await self._confirm_answered(generation):
            self.log_line("generate cancelled")
            return

        def write(_progress: Progress) -> str:
            written = self.session.write(generation)  # the plan just checked, not one made again
            shown = [_short(Path(p)) for p in written[:3]] + (["..."] if len(written) > 3 else [])
            return f"wrote {len(written)} file(s): " + ", ".join(shown)

        self.start_job("generate", "generating", write)

    async def _confirm_answered(self, generation: Generation) -> bool:
        """The answers changed what generate writes (a rename instead of a drop and an add): show the
        operations it writes now, destructive ones marked, before writing them."""
        from snapshift.engine.autogen.planview import planned_operations
        from snapshift.tui.screens.confirm import ConfirmScreen

        rows = planned_operations(generation)
        destructive = sum(1 for row in rows if row.destructive)
        lines = [f"{len(rows)} operation(s) · {destructive} destructive:"]
        lines += [f"  {row.description}" + ("  ⚠ drop" if row.destructive else "") for row in rows[:15]]
        if len(rows) > 15:
            lines.append(f"  ... and {len(rows) - 15} more")
        confirmed: bool = await self.push_screen_wait(ConfirmScreen("Generate this?", lines, "Generate"))
        return confirmed

    async def _answer_all(
        self, job: str, questions_for: Callable[[Answers], list[Question]]
    ) -> Answers | None:
        """Plan, ask the first open question in a dialog, plan again, until none is left. Back asks the
        previous question again (the first one's Back, like escape, calls it all off)."""
        from snapshift.tui import asking

        answers = Answers()
        earlier: list[Answers] = []  # the answers before each question answered so far
        for _ in range(MAX_QUESTIONS):
            try:
                questions = await asyncio.to_thread(questions_for, answers)
            except Exception as exc:
                self._refuse(job, exc)
                return None
            if not questions:
                return answers
            answered = await asking.answer(self, questions[0], answers)
            if answered == "cancel" or (answered == "back" and not earlier):
                return None
            if answered == "back":
                answers = earlier.pop()
            else:
                assert isinstance(answered, Answers)
                earlier.append(answers)
                answers = answered
        return answers

    @work(exclusive=True, exit_on_error=False, group="dialog")
    async def action_regen(self) -> None:
        answers = await self._answer_all(
            "regen", lambda a: list(self.session.plan_regen(a, None, True).questions)
        )
        if answers is None:
            return
        chosen = answers
        try:
            view = await asyncio.to_thread(self.session.plan_regen, chosen, None, True)
        except Exception as exc:
            self._refuse("regen", exc)
            return
        if view.nothing_to_do:
            self.notify("nothing to regenerate: no untracked migrations and no changes", title="regen")
            return
        from snapshift.tui.screens.regen import RegenScreen

        migrate = await self.push_screen_wait(RegenScreen(view.lines, view.refused))
        if migrate is None:
            return
        self.start_job("regen", "regenerating", partial(self.session.regen, chosen, None, migrate))

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()


def _bound(app: SnapshiftApp) -> Iterable[tuple[Binding, tuple[str, str, str]]]:
    actions = {action: entry for entry in app.ACTIONS for action in (entry[0],)}
    for binding in app.BINDINGS:
        if isinstance(binding, Binding) and binding.action in actions:
            yield binding, actions[binding.action]
        elif isinstance(binding, Binding) and binding.action == "command_palette":
            yield binding, ("command_palette", "Commands", "every action, searchable")


def _content_of(container: Widget) -> Widget:
    """The first widget inside `container` that takes focus and is not a tab bar (the SQL, not up/down)."""
    shown = [w for w in container.query("*") if w.focusable and not isinstance(w, Tabs)]
    return shown[0] if shown else container


def _short(path: Path) -> str:
    """A written file as the notification names it: a migration by its name, a snapshot with its table."""
    return path.name if path.suffix == ".sql" else f"{path.parent.name}/{path.name}"


def _first_line(error: object) -> str:
    return (str(error).splitlines() or [""])[0]
