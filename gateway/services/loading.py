"""Batch loads behind the GraphQL DataLoaders, with the caller's visibility applied.

Every path to an offer, need, organisation or match (lists, `node`, `_entities`,
relations) goes through these, so every path obeys the sharing policy.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from gateway.domain.access import visible_listings, visible_matches
from gateway.domain.matches import MatchStatus
from gateway.domain.paging import MAX_PAGE
from gateway.services.session import Session

Doc = dict[str, Any]

_GUARDED = {
    "organisations": visible_listings,
    "offers": visible_listings,
    "needs": visible_listings,
    "matches": visible_matches,
}
"""How each collection's documents are checked against the caller's visible clusters."""


async def by_ids(session: Session, collection: str, ids: list[str]) -> list[Doc | None]:
    """Documents by id, None where absent or hidden from the caller (never told apart)."""
    docs = await _get_many(session, collection, ids)
    guard = _GUARDED.get(collection)
    if guard is None:
        return docs
    visible = guard(await session.visible())
    return [d if d is not None and visible.test(d) else None for d in docs]


async def _get_many(session: Session, collection: str, ids: list[str]) -> list[Doc | None]:
    if not session.live:
        return await session.store.get_many(collection, ids)
    return await session.hub.recent.load(
        collection, ids, partial(session.store.get_many, collection)
    )


async def grouped(session: Session, collection: str, key: str, ids: list[str]) -> list[list[Doc]]:
    """Visible documents whose `key` holds each id, up to `MAX_PAGE` each."""
    visible = visible_listings(await session.visible())
    docs = await session.store.find_in(
        collection, key, ids, visible.query(), limit=MAX_PAGE * len(ids)
    )
    groups: dict[str, list[Doc]] = defaultdict(list)
    wanted = set(ids)
    for doc in docs:
        values = doc[key] if isinstance(doc[key], list) else [doc[key]]
        for value in wanted.intersection(values):
            if len(groups[value]) < MAX_PAGE:
                groups[value].append(doc)
    return [groups.get(i, []) for i in ids]


async def placements(session: Session, cluster_ids: list[str]) -> list[int]:
    """PLACED matches per cluster, counted on the side of the need."""
    placed = {"status": MatchStatus.PLACED}
    counts = await session.store.count_by("matches", "need_clusters", cluster_ids, placed)
    return [counts[c] for c in cluster_ids]


async def skills(session: Session, ids: list[str]) -> list[Doc | None]:
    """Skills come from the in-memory taxonomy: no query at all."""
    taxonomy = await session.taxonomy()
    return [taxonomy.skills.get(i) for i in ids]
