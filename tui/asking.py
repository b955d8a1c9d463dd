"""generate's questions, asked in dialogs and folded into `Answers` (tui/cli/prompts.py asks on terminals)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from snapshift.engine.autogen.questions import Answers, ColumnRenameQuestion, Question, TableQuestion
from snapshift.tui.screens.questions import BACK, CANCELLED, DROP, ChoiceScreen, DropTableScreen

if TYPE_CHECKING:
    from textual.app import App

Outcome = Answers | Literal["back", "cancel"]


async def answer(app: App[None], question: Question, answers: Answers) -> Outcome:
    """The answers with this question answered; "back" for the previous question, "cancel" to stop."""
    if isinstance(question, ColumnRenameQuestion):
        return await _columns(app, question, answers)
    return await _table(app, question, answers)


def _stopped(chosen: int) -> Literal["back", "cancel"] | None:
    return "back" if chosen == BACK else "cancel" if chosen == CANCELLED else None


async def _columns(app: App[None], q: ColumnRenameQuestion, answers: Answers) -> Outcome:
    left = list(q.added)
    for old in q.removed:
        if not left:
            answers = answers.with_column(q.table, old, None)
            continue
        options = [f"rename {old} -> {new}" for new in left]
        options.append(f"drop {old}" + (f", add {', '.join(left)}" if len(q.removed) == 1 else ""))
        gone = f"{q.table} lost `{old}` and gained {', '.join(f'`{n}`' for n in left)}."
        default = 0 if len(q.removed) == 1 and len(q.added) == 1 else len(options) - 1
        chosen = await app.push_screen_wait(ChoiceScreen("Rename?", gone, options, default))
        stopped = _stopped(chosen)
        if stopped is not None:
            return stopped
        if chosen < len(left):
            answers = answers.with_column(q.table, old, left.pop(chosen))
        else:
            answers = answers.with_column(q.table, old, None)
    return answers


async def _table(app: App[None], q: TableQuestion, answers: Answers) -> Outcome:
    if q.candidates:
        options = [f"rename {q.table} -> {new}" for new in q.candidates]
        options += [f"keep {q.table} (remembered)", f"drop {q.table}"]
        default = 0 if len(q.candidates) == 1 else len(q.candidates)
        chosen = await app.push_screen_wait(ChoiceScreen("Rename table?", q.text(), options, default))
        stopped = _stopped(chosen)
        if stopped is not None:
            return stopped
        if chosen < len(q.candidates):
            return answers.with_table(q.table, rename_to=q.candidates[chosen])
        if chosen == len(q.candidates):
            return answers.with_table(q.table, drop=False)
    chosen = await app.push_screen_wait(DropTableScreen(q.table))
    stopped = _stopped(chosen)
    if stopped is not None:
        return stopped
    return answers.with_table(q.table, drop=chosen == DROP)
