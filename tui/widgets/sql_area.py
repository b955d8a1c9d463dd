"""A read-only SQL TextArea that compiles tree-sitter's highlight query once per process.

TextArea compiles the language's highlight query for every new document, and `load_text` makes a new
document: that alone would blow the re-plan's latency budget on every save.
The compiled query depends only on the language and the query text, so it is kept and handed back.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.document._syntax_aware_document import SyntaxAwareDocument
from textual.widgets import TextArea


class SqlArea(TextArea):
    _queries: ClassVar[dict[tuple[int, str], Any]] = {}

    def _set_document(self, text: str, language: str | None) -> None:
        compile_query = SyntaxAwareDocument.prepare_query
        cache = self._queries

        def prepare(document: SyntaxAwareDocument, query: str) -> Any:
            key = (id(document.language), query)
            if key not in cache:
                cache[key] = compile_query(document, query)
            return cache[key]

        SyntaxAwareDocument.prepare_query = prepare  # type: ignore[method-assign, assignment]
        try:
            super()._set_document(text, language)
        finally:
            SyntaxAwareDocument.prepare_query = compile_query  # type: ignore[method-assign]
