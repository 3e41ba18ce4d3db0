"""Query resolvers: translate arguments, call `gateway`, wrap documents in types."""

from __future__ import annotations

import strawberry
from strawberry import relay

from gateway import access, coverage, listings, matches
from gateway.access import Sharing
from gateway.directory import cluster_query, organisation_query
from gateway.query import combine
from resolvers.context import Info
from resolvers.inputs import given_fields, listing_filter, match_filter, party_query
from schemas.graphql.cluster import Cluster, ClusterFilter
from schemas.graphql.listing import Need, NeedFilter, Offer, OfferFilter
from schemas.graphql.match import CoverageReport, Match, MatchFilter, PartyFilter
from schemas.graphql.organisation import Organisation, OrganisationFilter
from schemas.graphql.relay import Connection, Entity
from schemas.graphql.skill import Skill
from schemas.graphql.viewer import Viewer

MAX_SKILL_RESULTS = 50


_NODE_TYPES: dict[str, type[Entity]] = {
    t.__name__: t for t in (Cluster, Organisation, Offer, Need, Match)
}


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id; null if none you may see.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        try:
            global_id = relay.GlobalID.from_id(id)
        except relay.GlobalIDValueError:
            return None
        entity = _NODE_TYPES.get(global_id.type_name)
        if entity is None:
            return None
        [found] = await entity.resolve_nodes(info=info, node_ids=[global_id.node_id])
        return found

    @strawberry.field(description="The public network directory; open to anonymous callers.")
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

    @strawberry.field(description="A cluster by id (global id or slug).")
    async def cluster(self, info: Info, id: strawberry.ID) -> Cluster | None:
        doc = await info.context.loaders.clusters.load(Cluster.node_key(id))
        return Cluster.from_document(doc) if doc else None

    @strawberry.field(description="Member organisations of the clusters the caller may see.")
    async def organisations(
        self,
        info: Info,
        filter: OrganisationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Organisation]:
        visible = await info.context.loaders.visible()
        given = given_fields(filter)
        if "cluster_ids" in given:
            given["cluster_ids"] = [Cluster.node_key(c) for c in given["cluster_ids"]]
        query = access.narrow(organisation_query(**given), visible)
        page = await info.context.store.page("organisations", query, first=first, after=after)
        return Connection.from_page(page, Organisation.from_document)

    @strawberry.field(description="Offers the caller may see under the sharing policies.")
    async def offers(
        self,
        info: Info,
        filter: OfferFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Offer]:
        page = await _listing_page(info, "offers", filter, first, after)
        return Connection.from_page(page, Offer.from_document)

    @strawberry.field(description="Needs the caller may see under the sharing policies.")
    async def needs(
        self,
        info: Info,
        filter: NeedFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Need]:
        page = await _listing_page(info, "needs", filter, first, after)
        return Connection.from_page(page, Need.from_document)

    @strawberry.field(description="Matches whose both sides the caller may see, in cursor order.")
    async def matches(
        self,
        info: Info,
        filter: MatchFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Match]:
        visible = await info.context.loaders.visible()
        query = combine(matches.match_query(match_filter(filter)), matches.visible_query(visible))
        page = await info.context.store.page(
            "matches", query, first=first, after=after, order="seq"
        )
        return Connection.from_page(page, Match.from_document)

    @strawberry.field(
        description="What share of the needed headcount the offers can fill, one person per "
        "position (e.g. a city's vacancies against the staff a company releases)."
    )
    async def coverage(self, info: Info, needs: PartyFilter, offers: PartyFilter) -> CoverageReport:
        ctx = info.context
        visible = await ctx.loaders.visible()
        need_docs, offer_docs = await coverage.parties(
            ctx.store,
            access.narrow(party_query(needs), visible),
            access.narrow(party_query(offers), visible),
        )
        taxonomy = await ctx.taxonomy.get()
        sharing = await Sharing.load(ctx.store)
        result = coverage.coverage(need_docs, offer_docs, taxonomy, sharing)
        return CoverageReport.from_coverage(result)

    @strawberry.field(
        description="Skills of the taxonomy whose id, labels or synonyms contain `search`."
    )
    async def skills(self, info: Info, search: str | None = None) -> list[Skill]:
        taxonomy = await info.context.taxonomy.get()
        if search:
            found = taxonomy.search(search, MAX_SKILL_RESULTS)
        else:
            found = sorted(taxonomy.skills.values(), key=lambda s: s["_id"])
        return [Skill.from_document(d) for d in found]

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


async def _listing_page(
    info: Info,
    collection: listings.Collection,
    filter: OfferFilter | NeedFilter | None,
    first: int | None,
    after: str | None,
):
    context = info.context
    visible = await context.loaders.visible()
    f = await listing_filter(context.store, filter)
    query = access.narrow(listings.listing_query(f, await context.taxonomy.get()), visible)
    return await context.store.page(collection, query, first=first, after=after)
