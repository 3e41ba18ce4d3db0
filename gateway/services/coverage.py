"""The coverage calculation over what the caller may see."""

from __future__ import annotations

from gateway.domain.access import visible_listings
from gateway.domain.coverage import MAX_PARTIES, Coverage, coverage, needs_filter, offers_filter
from gateway.domain.filters import PartyFilter
from gateway.domain.lifetime import Lifetime
from gateway.services.session import Session
from gateway.services.sharing import load_sharing
from schemas.common import utcnow


async def report(session: Session, needs: PartyFilter, offers: PartyFilter) -> Coverage:
    """`coverage`: what share of the `needs`' headcount the `offers` can fill, one to one."""
    visible = visible_listings(await session.visible())
    store = session.store
    need_docs = await store.find(
        "needs", (needs_filter(needs) & visible).query(), limit=MAX_PARTIES
    )
    offer_docs = await store.find(
        "offers", (offers_filter(offers) & visible).query(), limit=MAX_PARTIES
    )
    taxonomy = await session.taxonomy()
    lifetime = Lifetime(utcnow(), store.referral_ttl)
    return coverage(need_docs, offer_docs, taxonomy, await load_sharing(store), lifetime)
