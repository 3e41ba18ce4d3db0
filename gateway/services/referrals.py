"""TALENT referrals: the candidate's consent, consent to be contacted, and erasure."""

from __future__ import annotations

from typing import Any

from gateway.errors import InputError, NotFound
from gateway.services import audit, listings
from gateway.services.session import Session
from gateway.store.versioned import add_to_set
from schemas.common import utcnow
from schemas.listing import OfferKind

Doc = dict[str, Any]


async def refer(session: Session, record: Doc, consent_note: str | None) -> Doc:
    """`referCandidate`: a person offered for hire, with their consent to the referral."""
    consent = {"given_at": utcnow(), "note": consent_note or ""}
    return await listings.add(
        session, "offers", {**record, "kind": OfferKind.TALENT, "consent": consent}
    )


async def _referral(session: Session, offer_id: str) -> Doc:
    """The referral, if it exists and the caller may act for its referring organisation;
    one the caller may not see reads as absent."""
    offer, _ = await listings.get_writable(session, "offers", offer_id)
    if offer["kind"] != OfferKind.TALENT:
        raise NotFound(f"no referral {offer_id!r}")
    return offer


async def record_contact_consent(session: Session, offer_id: str, organisation_id: str) -> Doc:
    """The candidate agreed that `organisation_id` may see their name and contact details."""
    offer = await _referral(session, offer_id)
    store = session.store
    if not await store.existing_ids("organisations", [str(organisation_id)]):
        raise InputError.one("organisation", f"no organisation {organisation_id!r}", "NOT_FOUND")
    updated = await add_to_set(
        store, "offers", offer["_id"], "contact_consents", str(organisation_id)
    )
    await audit.record(
        store,
        session.principal,
        "record contact consent",
        offer["_id"],
        organisation=organisation_id,
    )
    return updated or offer


async def erase(session: Session, offer_id: str) -> int:
    """`eraseReferral`: the referral and every match made with it; the matches removed."""
    offer = await _referral(session, offer_id)
    store = session.store
    removed = await store.delete("matches", {"offer": offer["_id"]})
    await store.delete("offers", {"_id": offer["_id"]})
    await audit.record(store, session.principal, "erase referral", offer["_id"], matches=removed)
    return removed
