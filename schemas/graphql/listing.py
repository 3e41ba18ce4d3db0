"""Offer and Need types."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import strawberry
from strawberry import relay

from schemas.graphql.enums import OfferKind, Status
from schemas.graphql.relay import Entity


@strawberry.federation.type(keys=["id"])
class Offer(Entity):
    """Something a member organisation offers: staff, a talent, production capacity, training."""

    loader_name: ClassVar[str] = "offers"
    id: relay.NodeID[str]
    kind: OfferKind
    title: str
    description: str
    status: Status
    organisation_id: str

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Self:
        return cls(
            id=doc["_id"],
            kind=OfferKind(doc["kind"]),
            title=doc["title"],
            description=doc.get("description", ""),
            status=Status(doc["status"]),
            organisation_id=doc["organisation"],
        )


@strawberry.input
class OfferFilter:
    kinds: list[OfferKind] | None = strawberry.UNSET
    cluster_ids: list[str] | None = strawberry.UNSET
