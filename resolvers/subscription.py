"""Subscription resolvers: live events from the hub's change stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gateway import access, listings
from resolvers.context import Info
from resolvers.inputs import listing_filter
from schemas.graphql.listing import Offer, OfferFilter


@strawberry.type
class Subscription:
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

        def wanted(doc: dict) -> bool:
            return (
                doc.get("version") == 1  # published = created, not a later edit
                and doc.get("status") == "OPEN"
                and access.may_see(doc.get("clusters", []), visible)
                and listings.matches(doc, f, taxonomy)
            )

        with ctx.events.subscribe("offers", wanted) as subscriber:
            async for doc in subscriber:
                ctx.fresh_loaders()
                yield Offer.from_document(doc)
