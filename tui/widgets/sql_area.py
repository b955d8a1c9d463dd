"""A read-only SQL TextArea that compiles tree-sitter's highlight query once per process, on a thread.

TextArea compiles the language's highlight query for every new document, and `load_text` makes one on
every save; the compiled query depends only on the language and the query text, so it is kept.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any, ClassVar

from textual._tree_sitter import get_language
from textual.document._syntax_aware_document import SyntaxAwareDocument
from textual.widgets import TextArea


class SqlArea(TextArea):
    _queries: ClassVar[dict[tuple[int, str], Future[Any]]] = {}
    _lock: ClassVar = threading.Lock()

    @classmethod
    def compile_in_background(cls, language: str = "sql") -> None:
        """Compile `language`'s built-in highlight query on a thread (once per process), before the first
        SqlArea exists: tree-sitter releases the GIL while it compiles, so a second core takes it."""
        document_language = get_language(language)  # here: textual caches it without a lock
        if document_language is None:
            return
        query = cls._get_builtin_highlight_query(language)
        future: Future[Any] = Future()
        with cls._lock:
            if cls._queries.setdefault((id(document_language), query), future) is not future:
                return

        def run() -> None:
            try:
                from tree_sitter import Query

                future.set_result(Query(document_language, query))
            except BaseException as exc:  # handed to the SqlArea that waits for it
                future.set_exception(exc)

        threading.Thread(target=run, daemon=True, name="sql-highlight-query").start()

    def _set_document(self, text: str, language: str | None) -> None:
        compile_query = SyntaxAwareDocument.prepare_query
        cache, lock = self._queries, self._lock

        def prepare(document: SyntaxAwareDocument, query: str) -> Any:
            key = (id(document.language), query)
            with lock:
                future = cache.get(key)
                mine = future is None
                if future is None:
                    future = cache[key] = Future()
            if mine:
                try:
                    future.set_result(compile_query(document, query))
                except BaseException as exc:
                    del cache[key]
                    future.set_exception(exc)
            return future.result()

        SyntaxAwareDocument.prepare_query = prepare  # type: ignore[method-assign, assignment]
        try:
            super()._set_document(text, language)
        finally:
            SyntaxAwareDocument.prepare_query = compile_query  # type: ignore[method-assign]
