"""Query resolvers: translate arguments, call the store, wrap documents in types."""

from __future__ import annotations

import strawberry
from strawberry import relay

from gateway.directory import cluster_query
from resolvers.context import Info
from resolvers.inputs import given_fields
from schemas.graphql.cluster import Cluster, ClusterFilter
from schemas.graphql.relay import Connection
from schemas.graphql.viewer import Viewer


@strawberry.type
class Query:
    node: relay.Node | None = relay.node()

    @strawberry.field(description="The public network directory.")
    async def clusters(
        self,
        info: Info,
        filter: ClusterFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Cluster]:
        query = cluster_query(**given_fields(filter))
        page = await info.context.store.page("clusters", query, first=first, after=after)
        return Connection.from_page(page, Cluster.from_document)

    @strawberry.field
    async def cluster(self, info: Info, id: strawberry.ID) -> Cluster | None:
        doc = await info.context.loaders.clusters.load(Cluster.node_key(id))
        return Cluster.from_document(doc) if doc else None

    @strawberry.field(description="Who the caller is; null for anonymous callers.")
    def viewer(self, info: Info) -> Viewer | None:
        principal = info.context.viewer
        if principal is None:
            return None
        return Viewer(
            role=principal.role,
            cluster_id=principal.cluster,
            organisation_id=principal.organisation,
            cluster_ids=list(principal.clusters),
        )
