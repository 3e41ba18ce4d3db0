"""Subscription resolvers: live events from the hub's change stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import strawberry

from gateway.domain.cursors import decode_sequence
from gateway.services import live
from resolvers.context import Context, Info
from resolvers.inputs import listing_filter, match_filter
from schemas.graphql.listing import Offer, OfferFilter
from schemas.graphql.match import Match, MatchFilter

T = TypeVar("T")


async def _each(
    context: Context,
    docs: AsyncIterator[dict[str, Any]],
    wrap: Callable[[dict[str, Any]], T],
    event_id: Callable[[T], str] | None = None,
) -> AsyncGenerator[T, None]:
    """Every event's document wrapped, with fresh loaders that share loads across
    subscribers, and its `event_id` (what a client resumes after) on the context."""
    session = context.session.for_live()
    async for doc in docs:
        item = wrap(doc)
        context.next_event(session, event_id(item) if event_id else None)
        yield item


@dataclass(frozen=True)
class StoredOnly:
    """A root value that runs `matchFound` over stored matches only: those after the
    cursor number `after` (and before `before`), no live part."""

    after: int
    before: int | None = None


LIVE_ONLY = object()
"""A root value that runs `matchFound` live only, whatever `after` or `Last-Event-ID` say
(the shared part of a resumed subscription)."""


def _resume_point(context: Context, after: str | None) -> int | None:
    """The sequence number to replay after: an SSE `Last-Event-ID` wins over `after`."""
    if context.resume_after is not None:
        return decode_sequence(context.resume_after, "Last-Event-ID")
    return decode_sequence(after) if after is not None else None


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="New and re-scored matches. With `after` (a match's cursor), the ones "
        "missed since are replayed in order first, then the stream goes live: no gap, "
        "no duplicate. Over SSE each match's cursor is its event id, and a `Last-Event-ID` "
        "header takes the place of `after`."
    )
    async def match_found(
        self, info: Info, filter: MatchFilter | None = None, after: str | None = None
    ) -> AsyncGenerator[Match, None]:
        ctx, root = info.context, info.root_value
        if isinstance(root, StoredOnly):
            docs = live.stored_matches(ctx.session, match_filter(filter), root.after, root.before)
        else:
            since = None if root is LIVE_ONLY else _resume_point(ctx, after)
            docs = live.match_found(ctx.session, match_filter(filter), since, ctx.cut_off)
        async for match in _each(ctx, docs, Match.from_document, lambda match: match.cursor):
            yield match

    @strawberry.subscription(
        description="New offers as they are published, e.g. TALENT referrals in a region."
    )
    async def offer_published(
        self, info: Info, filter: OfferFilter | None = None
    ) -> AsyncGenerator[Offer, None]:
        ctx = info.context
        docs = live.offer_published(ctx.session, listing_filter(filter), ctx.cut_off)
        async for offer in _each(ctx, docs, Offer.from_document):
            yield offer
