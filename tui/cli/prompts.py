"""Terminal questions for generate: renames and drops, asked like AshPostgres asks them."""

from __future__ import annotations

from collections.abc import Callable

from snapshift.engine.autogen.questions import Answers, ColumnRenameQuestion, Question, TableQuestion

Ask = Callable[[str], str]


def yes_no(ask: Ask, text: str, default: bool) -> bool:
    hint = "[Yn]" if default else "[yN]"
    while True:
        reply = ask(f"{text} {hint} ").strip().lower()
        if not reply:
            return default
        if reply in ("y", "yes"):
            return True
        if reply in ("n", "no"):
            return False


def choose(ask: Ask, text: str, options: tuple[str, ...]) -> str:
    while True:
        reply = ask(f"{text}: {', '.join(options)} ").strip()
        if reply in options:
            return reply


def answer_column_question(ask: Ask, q: ColumnRenameQuestion, answers: Answers) -> Answers:
    if len(q.removed) == 1 and len(q.added) == 1:
        renamed = yes_no(ask, q.text(), default=True)
        return answers.with_column(q.table, q.removed[0], q.added[0] if renamed else None)
    left = list(q.added)
    for old in q.removed:
        if not left or not yes_no(ask, f"Are you renaming {q.table}.{old}?", default=False):
            answers = answers.with_column(q.table, old, None)
            continue
        new = choose(ask, "What are you renaming it to?", tuple(left))
        left.remove(new)
        answers = answers.with_column(q.table, old, new)
    return answers


def answer_table_question(ask: Ask, q: TableQuestion, answers: Answers) -> Answers:
    if len(q.candidates) == 1 and yes_no(
        ask, f"Are you renaming {q.table} to {q.candidates[0]}?", default=True
    ):
        return answers.with_table(q.table, rename_to=q.candidates[0])
    if len(q.candidates) > 1 and yes_no(ask, f"Are you renaming {q.table}?", default=False):
        return answers.with_table(
            q.table, rename_to=choose(ask, "What are you renaming it to?", q.candidates)
        )
    drop = yes_no(
        ask,
        f"Table {q.table} no longer has a resource. Generate a migration to DROP this table? "
        "This will permanently remove the table and its data.",
        default=False,
    )
    return answers.with_table(q.table, drop=drop)


def answer(ask: Ask, question: Question, answers: Answers) -> Answers:
    """Ask one question on the terminal and fold the reply into the answers."""
    if isinstance(question, ColumnRenameQuestion):
        return answer_column_question(ask, question, answers)
    return answer_table_question(ask, question, answers)


def assume_defaults(questions: list[Question], answers: Answers) -> tuple[Answers, list[Question]]:
    """`--yes`: a single rename candidate is a rename and an orphan table is kept; the rest stay open."""
    still_open: list[Question] = []
    for q in questions:
        if isinstance(q, ColumnRenameQuestion) and len(q.removed) == 1 and len(q.added) == 1:
            answers = answers.with_column(q.table, q.removed[0], q.added[0])
        elif isinstance(q, TableQuestion) and len(q.candidates) == 1:
            answers = answers.with_table(q.table, rename_to=q.candidates[0])
        elif isinstance(q, TableQuestion) and not q.candidates:
            answers = answers.with_table(q.table, drop=False)
        else:
            still_open.append(q)
    return answers, still_open


def accept_renames(questions: list[Question], answers: Answers) -> tuple[Answers, list[Question]]:
    """regen `--accept-renames`: a single rename candidate is a rename; every other question stays open."""
    still_open: list[Question] = []
    for q in questions:
        if isinstance(q, ColumnRenameQuestion) and len(q.removed) == 1 and len(q.added) == 1:
            answers = answers.with_column(q.table, q.removed[0], q.added[0])
        elif isinstance(q, TableQuestion) and len(q.candidates) == 1:
            answers = answers.with_table(q.table, rename_to=q.candidates[0])
        else:
            still_open.append(q)
    return answers, still_open
