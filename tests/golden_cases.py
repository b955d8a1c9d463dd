"""Golden cases: resources before -> after, answers, and the exact SQL up and down."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.questions import Answers

AUTHORS = """
table = "authors"
[attributes]
id = { type = "bigint", primary_key = true, generated = true }
name = { type = "text", allow_nil = false }
"""

POSTS = """
table = "posts"
[attributes]
id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
title = { type = "text", allow_nil = false }
"""


@dataclass(frozen=True)
class Case:
    name: str
    before: dict[str, str]
    after: dict[str, str]
    up: list[str]
    down: list[str]
    answers: Answers = Answers()
    options: dict[str, object] = field(default_factory=dict)
    config: str | None = None


def posts(attributes: str, extra: str = "", table: str = "posts") -> str:
    head = f'table = "{table}"\n[attributes]\nid = {{ type = "uuid", primary_key = true }}\n'
    return f"{head}{attributes}\n{extra}"


CASES: list[Case] = []
