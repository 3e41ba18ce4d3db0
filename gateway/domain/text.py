"""Words for the indexed text search: what a document stores and what a search asks for."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")

MAX_SEARCH_WORDS = 8
"""Words of a search that count; more would only slow the query down."""


def search_terms(*texts: str | None) -> list[str]:
    """Lower-case words of `texts`, stored on a document for an indexed word search.

    Whole words, not prefixes: a prefix search needs a `$regex`, which the embedded
    store answers with a scan.
    """
    words: set[str] = set()
    for text in texts:
        words.update(w.lower() for w in _WORD.findall(text or "") if len(w) > 1 or w.isdigit())
    return sorted(words)


def query_words(search: str) -> list[str]:
    """The words of a search that must all be words of a document."""
    return search_terms(search)[:MAX_SEARCH_WORDS]
