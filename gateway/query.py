"""Building MongoDB filters from plain values: words for search, and flat conjunctions.

Conditions are combined into one flat document (`{"a": ..., "b": ...}`) rather than
an `$and` list wherever fields differ: both servers plan that shape from an index,
while SecantusDB answers any `$and` with a collection scan. SecantusDB also plans
from the first indexed field it meets, so the most selective fields go first
(`SELECTIVE`); to mongod the order of fields means nothing.
"""

from __future__ import annotations

import re
from typing import Any

_WORD = re.compile(r"\w+")

SELECTIVE = ("_id", "offer", "need", "organisation", "parties", "skill_set", "terms", "cell")
"""Indexed fields that narrow most, in the order a query document should name them."""
MAX_SEARCH_WORDS = 8


def search_terms(*texts: str) -> list[str]:
    """Lower-case words of `texts`, stored on a document for an indexed word search."""
    words: set[str] = set()
    for text in texts:
        words.update(w.lower() for w in _WORD.findall(text or "") if len(w) > 1 or w.isdigit())
    return sorted(words)


def search_query(search: str) -> dict[str, Any]:
    """Every word of `search` must be a word of the document, served by the `terms` index.

    Whole words, not prefixes: SecantusDB answers a prefix `$regex` with a scan.
    """
    words = search_terms(search)[:MAX_SEARCH_WORDS]
    if not words:
        return {}
    return {"terms": words[0] if len(words) == 1 else {"$all": words}}


def combine(*parts: dict[str, Any]) -> dict[str, Any]:
    """All of `parts` as one filter: flat where fields differ, merged where they meet.

    Two `$in` on one field become their intersection (a filter narrowing access),
    other operators on one field merge; only a true clash falls back to `$and`.
    """
    out: dict[str, Any] = {}
    rest: list[dict[str, Any]] = []
    for part in parts:
        for key, cond in part.items():
            if key not in out:
                out[key] = cond
                continue
            mine = out[key]
            if _ops(mine) == {"$in"} and _ops(cond) == {"$in"}:
                allowed = set(cond["$in"])
                out[key] = {"$in": [v for v in mine["$in"] if v in allowed]}
            elif _ops(mine) and _ops(cond) and not _ops(mine) & _ops(cond):
                out[key] = {**mine, **cond}
            else:
                rest.append({key: cond})
    if rest:
        out["$and"] = rest
    return _selective_first(out)


def _selective_first(query: dict[str, Any]) -> dict[str, Any]:
    rank = {field: i for i, field in enumerate(SELECTIVE)}
    return dict(sorted(query.items(), key=lambda item: rank.get(item[0], len(rank))))


def _ops(cond: Any) -> set[str]:
    """The operators of a condition document; empty for a plain value."""
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        return set(cond)
    return set()
