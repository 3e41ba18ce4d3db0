"""Query resolvers: translate arguments, call one use case, wrap documents in types."""

from __future__ import annotations

import strawberry
from strawberry import relay

from gateway.domain.cursors import encode_cursor
from gateway.services import coverage, directory, listings, matches, personal_data, skills
from resolvers.context import Info
from resolvers.inputs import (
    access_filter,
    cluster_filter,
    listing_filter,
    match_filter,
    organisation_filter,
    page_request,
    party_filter,
)
from schemas.graphql.access_log import PersonalDataAccess, PersonalDataAccessFilter
from schemas.graphql.cluster import Cluster, ClusterFilter
from schemas.graphql.listing import Need, NeedFilter, Offer, OfferFilter
from schemas.graphql.match import CoverageReport, Match, MatchFilter, PartyFilter
from schemas.graphql.organisation import Organisation, OrganisationFilter
from schemas.graphql.relay import Connection, Entity
from schemas.graphql.skill import Skill
from schemas.graphql.viewer import Viewer

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
        page = await directory.clusters(
            info.context.session, cluster_filter(filter), page_request(first, after, info)
        )
        return Connection.from_page(page, Cluster.from_document)

    @strawberry.field(description="A cluster by id (global id or slug).")
    async def cluster(self, info: Info, id: strawberry.ID) -> Cluster | None:
        [found] = await Cluster.resolve_nodes(info=info, node_ids=[Cluster.node_key(id)])
        return found

    @strawberry.field(description="Member organisations of the clusters the caller may see.")
    async def organisations(
        self,
        info: Info,
        filter: OrganisationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Organisation]:
        page = await directory.organisations(
            info.context.session, organisation_filter(filter), page_request(first, after, info)
        )
        return Connection.from_page(page, Organisation.from_document)

    @strawberry.field(description="Offers the caller may see under the sharing policies.")
    async def offers(
        self,
        info: Info,
        filter: OfferFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Offer]:
        page = await listings.search(
            info.context.session, "offers", listing_filter(filter), page_request(first, after, info)
        )
        return Connection.from_page(page, Offer.from_document)

    @strawberry.field(description="Needs the caller may see under the sharing policies.")
    async def needs(
        self,
        info: Info,
        filter: NeedFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Need]:
        page = await listings.search(
            info.context.session, "needs", listing_filter(filter), page_request(first, after, info)
        )
        return Connection.from_page(page, Need.from_document)

    @strawberry.field(description="Matches whose both sides the caller may see, in cursor order.")
    async def matches(
        self,
        info: Info,
        filter: MatchFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Match]:
        page = await matches.search(
            info.context.session, match_filter(filter), page_request(first, after, info)
        )
        return Connection.from_page(page, Match.from_document)

    @strawberry.field(
        description="The cursor of the newest match now. A dashboard passes it to "
        "`matchFound(after:)` when it first subscribes, and the last cursor it saw after "
        "that: no match is missed, however often it reconnects. Null without a key."
    )
    async def match_cursor(self, info: Info) -> str | None:
        sequence = await matches.newest_sequence(info.context.session)
        return None if sequence is None else encode_cursor(sequence)

    @strawberry.field(
        description="What share of the needed headcount the offers can fill, one person per "
        "position (e.g. a city's vacancies against the staff a company releases)."
    )
    async def coverage(self, info: Info, needs: PartyFilter, offers: PartyFilter) -> CoverageReport:
        result = await coverage.report(
            info.context.session, party_filter(needs), party_filter(offers)
        )
        return CoverageReport.from_coverage(result)

    @strawberry.field(
        description="Skills of the taxonomy whose id, labels or synonyms contain `search`."
    )
    async def skills(self, info: Info, search: str | None = None) -> list[Skill]:
        found = await skills.search(info.context.session, search)
        return [Skill.from_document(d) for d in found]

    @strawberry.field(
        description="Reads of referred candidates' personal data, oldest first (HUB_ADMIN)."
    )
    async def personal_data_access(
        self,
        info: Info,
        filter: PersonalDataAccessFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PersonalDataAccess]:
        page = await personal_data.access_log(
            info.context.session, page_request(first, after, info), **access_filter(filter)
        )
        return Connection.from_page(page, PersonalDataAccess.from_document)

    @strawberry.field(description="Who the caller is; null for anonymous callers.")
    def viewer(self, info: Info) -> Viewer | None:
        principal = info.context.viewer
        return Viewer.from_principal(principal) if principal else None
