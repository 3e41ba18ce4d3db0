"""Subscription resolvers: live events from the hub's change stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import strawberry
from starlette.websockets import WebSocket, WebSocketState

from gateway import access, listings, matches
from gateway.events import Event
from gateway.query import combine
from gateway.store import MAX_PAGE, PageError, decode_cursor, encode_cursor
from resolvers.context import Context, Info
from resolvers.inputs import listing_filter, match_filter
from schemas.graphql.listing import Offer, OfferFilter
from schemas.graphql.match import Match, MatchFilter

SLOW_CONSUMER_CLOSE = 4008
"""WebSocket close code for a subscriber cut off for falling behind (policy violation)."""


def _cut_off(context: Context):
    async def close(reason: str) -> None:
        socket = context.request
        if (
            isinstance(socket, WebSocket)
            and socket.application_state != WebSocketState.DISCONNECTED
        ):
            await socket.close(code=SLOW_CONSUMER_CLOSE, reason=reason)

    return close


async def _replay(
    context: Context, f: matches.MatchFilter, visible: set[str] | None, after: int
) -> AsyncIterator[dict[str, Any]]:
    """Matches after the cursor number `after`, in cursor order, a page at a time."""
    query = combine(matches.match_query(f), matches.visible_query(visible))
    cursor = encode_cursor(after)
    while True:
        page = await context.store.page(
            "matches", query, first=MAX_PAGE, after=cursor, order="seq", count=False
        )
        for doc in page.documents:
            yield doc
        if not page.has_next_page:
            return
        cursor = encode_cursor(page.documents[-1]["seq"])


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="New and re-scored matches. With `after` (a match's cursor), the ones "
        "missed since are replayed in order first, then the stream goes live: no gap, "
        "no duplicate."
    )
    async def match_found(
        self, info: Info, filter: MatchFilter | None = None, after: str | None = None
    ) -> AsyncGenerator[Match, None]:
        ctx = info.context
        visible = await ctx.loaders.visible()
        f = match_filter(filter)
        since = decode_cursor(after) if after else None
        if since is not None and not isinstance(since, int):
            raise PageError("after: not a match cursor")

        def wanted(event: Event) -> bool:
            found = event.operation == "insert" or "seq" in event.updated_fields
            return found and matches.matches(event.document, f, visible)

        with ctx.events.subscribe("matches", wanted, _cut_off(ctx)) as subscriber:
            replayed: set[int] = set()
            if since is not None:  # live events queue up meanwhile, the replay goes first
                async for doc in _replay(ctx, f, visible, since):
                    replayed.add(doc["seq"])
                    ctx.fresh_loaders()
                    yield Match.from_document(doc)
            async for event in subscriber:
                seq = event.document["seq"]
                if seq in replayed or (since is not None and seq <= since):
                    continue  # delivered by the replay, or seen before the dashboard left
                ctx.fresh_loaders()
                yield Match.from_document(event.document)

    @strawberry.subscription(
        description="New offers as they are published, e.g. TALENT referrals in a region."
    )
    async def offer_published(
        self, info: Info, filter: OfferFilter | None = None
    ) -> AsyncGenerator[Offer, None]:
        ctx = info.context
        visible = await ctx.loaders.visible()
        f = await listing_filter(ctx.store, filter)
        taxonomy = await ctx.taxonomy.get()

        def wanted(event: Event) -> bool:
            doc = event.document
            return (
                event.operation == "insert"
                and doc.get("status") == "OPEN"
                and access.may_see(doc.get("clusters", []), visible)
                and listings.matches(doc, f, taxonomy)
            )

        with ctx.events.subscribe("offers", wanted, _cut_off(ctx)) as subscriber:
            async for event in subscriber:
                ctx.fresh_loaders()
                yield Offer.from_document(event.document)
