"""Live subscriptions: new matches (with replay after a cursor) and new offers.

Each subscription compiles its filter once, with the caller's visibility, and
checks every event of the hub's change stream in memory with the same conditions
a list query sends to the store, so live and list answers cannot disagree.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from gateway.domain.filters import ListingFilter, MatchFilter
from gateway.domain.paging import MAX_PAGE, PageRequest
from gateway.live.events import CutOff, Event
from gateway.services import listings, matches
from gateway.services.session import Session
from schemas.common import Status

Doc = dict[str, Any]


async def match_found(
    session: Session, f: MatchFilter, after: int | None, on_cut_off: CutOff | None = None
) -> AsyncIterator[Doc]:
    """New and re-scored matches; with `after` (a cursor's number) the ones since
    are replayed in cursor order first, then the stream goes live without duplicates."""
    conditions = await matches.compile_filter(session, f)

    def wanted(event: Event) -> bool:
        found = event.operation == "insert" or "seq" in event.updated_fields
        return found and conditions.test(event.document)

    with session.hub.events.subscribe("matches", wanted, on_cut_off) as subscriber:
        replayed: set[int] = set()
        if after is not None:  # live events queue up meanwhile, the replay goes first
            async for doc in _replay(session, conditions.query(), after):
                replayed.add(doc["seq"])
                yield doc
        async for event in subscriber:
            seq = event.document["seq"]
            if seq in replayed or (after is not None and seq <= after):
                continue  # delivered by the replay, or seen before the dashboard left
            yield event.document


async def stored_matches(
    session: Session, f: MatchFilter, after: int, before: int | None = None
) -> AsyncIterator[Doc]:
    """The stored matches after the cursor number `after` (and before `before`), in cursor
    order, and nothing live: a subscriber replays these alone and takes the live ones
    from the cohort it shares (`gateway.http.streaming`)."""
    query = (await matches.compile_filter(session, f)).query()
    if before is not None:
        query = {"$and": [query, {"seq": {"$lt": before}}]}
    async for doc in _replay(session, query, after):
        yield doc


async def _replay(session: Session, query: Doc, after: int) -> AsyncIterator[Doc]:
    """Matches after the cursor number `after`, in cursor order, a page at a time."""
    while True:
        page = await session.store.page(
            "matches", query, PageRequest(MAX_PAGE, after, count=False), order=matches.ORDER
        )
        for doc in page.documents:
            yield doc
        if not page.has_next_page:
            return
        after = page.documents[-1]["seq"]


async def offer_published(
    session: Session, f: ListingFilter, on_cut_off: CutOff | None = None
) -> AsyncIterator[Doc]:
    """Offers as they are published (inserted open), e.g. TALENT referrals in a region."""
    conditions = await listings.compile_filter(session, f)

    def wanted(event: Event) -> bool:
        doc = event.document
        return (
            event.operation == "insert"
            and doc.get("status") == Status.OPEN
            and conditions.test(doc)
        )

    with session.hub.events.subscribe("offers", wanted, on_cut_off) as subscriber:
        async for event in subscriber:
            yield event.document
