"""Subscription resolvers: live events from the hub's change stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from resolvers.context import Info
from resolvers.inputs import given_fields
from schemas.graphql.listing import Offer, OfferFilter


def _offer_predicate(filter: OfferFilter | None):
    given = given_fields(filter)
    kinds = {str(k) for k in given.get("kinds", [])}
    clusters = set(given.get("cluster_ids", []))

    def matches(doc: dict[str, Any]) -> bool:
        return (
            doc.get("status") == "OPEN"
            and (not kinds or doc.get("kind") in kinds)
            and (not clusters or bool(clusters.intersection(doc.get("clusters", []))))
        )

    return matches


@strawberry.type
class Subscription:
    @strawberry.subscription(description="New offers as they are published.")
    async def offer_published(
        self, info: Info, filter: OfferFilter | None = None
    ) -> AsyncGenerator[Offer, None]:
        with info.context.events.subscribe("offers", _offer_predicate(filter)) as subscriber:
            async for doc in subscriber:
                if doc.get("version", 1) == 1:  # published = first version
                    yield Offer.from_document(doc)
