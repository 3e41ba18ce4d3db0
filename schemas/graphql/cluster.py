"""The Cluster type of the public network directory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

import strawberry
from strawberry import relay

from gateway.domain.filters import NETWORK_MIN_BINDING_MEMBERS
from schemas.graphql.enums import ClusterKind, FederalState, FieldOfAction, SharingPolicy
from schemas.graphql.relay import Entity

if TYPE_CHECKING:
    from schemas.graphql.organisation import Organisation


@strawberry.type
class Sharing:
    policy: SharingPolicy
    partner_ids: list[str]


@strawberry.federation.type(keys=["id"])
class Cluster(Entity):
    """An organisation network: industry cluster, regional network, alliance or talent pool."""

    loader_name: ClassVar[str] = "clusters"
    id: relay.NodeID[str]
    name: str
    kind: ClusterKind
    region: str
    federal_states: list[FederalState]
    description: str
    website: str | None
    fields_of_action: list[FieldOfAction]
    sharing: Sharing
    member_count: int = strawberry.field(description="Member organisations of the cluster.")
    binding_member_count: int = strawberry.field(
        description="Members bound by a binding membership."
    )

    @strawberry.field(description="Member organisations (up to 100), if the caller may see them.")
    async def members(
        self, info: strawberry.Info
    ) -> list[Annotated[Organisation, strawberry.lazy("schemas.graphql.organisation")]]:
        from schemas.graphql.organisation import Organisation

        docs = await info.context.loaders.members_of_cluster.load(self.id)
        return [Organisation.from_document(d) for d in docs]

    @strawberry.field(description="Matches ending in a placement into this cluster's members.")
    async def placements(self, info: strawberry.Info) -> int:
        return await info.context.loaders.placements.load(self.id)

    @strawberry.field(description="At least three members with a binding membership.")
    def qualifies_as_network(self) -> bool:
        return self.binding_member_count >= NETWORK_MIN_BINDING_MEMBERS

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Self:
        sharing = doc.get("sharing") or {}
        return cls(
            id=doc["_id"],
            name=doc["name"],
            kind=ClusterKind(doc["kind"]),
            region=doc["region"],
            federal_states=[FederalState(s) for s in doc.get("federal_states", [])],
            description=doc.get("description", ""),
            website=doc.get("website"),
            fields_of_action=[FieldOfAction(f) for f in doc.get("fields_of_action", [])],
            sharing=Sharing(
                policy=SharingPolicy(sharing.get("policy", SharingPolicy.CLUSTER)),
                partner_ids=sharing.get("partners", []),
            ),
            member_count=doc.get("member_count", 0),
            binding_member_count=doc.get("binding_member_count", 0),
        )


@strawberry.input
class ClusterFilter:
    """Narrows the directory; all given conditions must hold."""

    search: str | None = strawberry.UNSET
    kinds: list[ClusterKind] | None = strawberry.UNSET
    federal_states: list[FederalState] | None = strawberry.UNSET
    fields_of_action: list[FieldOfAction] | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    qualifies_as_network: bool | None = strawberry.UNSET
