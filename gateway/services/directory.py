"""The public network directory and the member organisations."""

from __future__ import annotations

from gateway.domain.access import visible_listings
from gateway.domain.filters import ClusterFilter, OrganisationFilter
from gateway.domain.paging import Page, PageRequest
from gateway.services.session import Session


async def clusters(session: Session, f: ClusterFilter, page: PageRequest) -> Page:
    """`clusters`: open to anonymous callers."""
    return await session.store.page("clusters", f.compile().query(), page)


async def organisations(session: Session, f: OrganisationFilter, page: PageRequest) -> Page:
    """`organisations`: members of the clusters the caller may see."""
    query = (f.compile() & visible_listings(await session.visible())).query()
    return await session.store.page("organisations", query, page)
