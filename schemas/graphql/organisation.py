"""Member organisations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

import strawberry
from strawberry import relay

from schemas.graphql.common import Location
from schemas.graphql.enums import OrganisationKind, OrganisationSize
from schemas.graphql.relay import Entity

if TYPE_CHECKING:
    from schemas.graphql.cluster import Cluster
    from schemas.graphql.listing import Need, Offer


@strawberry.type
class Membership:
    cluster_id: str
    binding: bool

    @strawberry.field
    async def cluster(
        self, info: strawberry.Info
    ) -> Annotated[Cluster, strawberry.lazy("schemas.graphql.cluster")] | None:
        from schemas.graphql.cluster import Cluster

        doc = await info.context.loaders.clusters.load(self.cluster_id)
        return Cluster.from_document(doc) if doc else None


@strawberry.federation.type(keys=["id"])
class Organisation(Entity):
    """A member: a company or an institution (chamber, job centre, training provider, ...)."""

    loader_name: ClassVar[str] = "organisations"
    id: relay.NodeID[str]
    name: str
    kind: OrganisationKind
    sector: str
    size: OrganisationSize
    description: str
    location: Location
    memberships: list[Membership]

    @strawberry.field(description="Open offers of this organisation the caller may see.")
    async def offers(
        self, info: strawberry.Info
    ) -> list[Annotated[Offer, strawberry.lazy("schemas.graphql.listing")]]:
        from schemas.graphql.listing import Offer

        docs = await info.context.loaders.offers_of_organisation.load(self.id)
        return [Offer.from_document(d) for d in docs]

    @strawberry.field(description="Open needs of this organisation the caller may see.")
    async def needs(
        self, info: strawberry.Info
    ) -> list[Annotated[Need, strawberry.lazy("schemas.graphql.listing")]]:
        from schemas.graphql.listing import Need

        docs = await info.context.loaders.needs_of_organisation.load(self.id)
        return [Need.from_document(d) for d in docs]

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Self:
        return cls(
            id=doc["_id"],
            name=doc["name"],
            kind=OrganisationKind(doc["kind"]),
            sector=doc["sector"],
            size=OrganisationSize(doc["size"]),
            description=doc.get("description", ""),
            location=Location.from_document(doc["location"]),
            memberships=[
                Membership(cluster_id=m["cluster"], binding=m.get("binding", True))
                for m in doc.get("memberships", [])
            ],
        )


@strawberry.input
class OrganisationFilter:
    search: str | None = strawberry.field(default=None, description="Words of name, sector, city.")
    cluster_ids: list[str] | None = None
    kinds: list[OrganisationKind] | None = None
