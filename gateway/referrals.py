"""TALENT referrals: the candidate's consent to be contacted, and erasure on request."""

from __future__ import annotations

from typing import Any

from gateway import access, audit
from gateway.auth import Principal
from gateway.errors import InputError, NotFound
from gateway.store import Store


async def _referral(store: Store, principal: Principal | None, offer_id: str) -> dict[str, Any]:
    """The referral, if it exists and the caller may act for its referring organisation."""
    offer = await store.find_one("offers", {"_id": str(offer_id), "kind": "TALENT"})
    if offer is None:
        raise NotFound(f"no referral {offer_id!r}")
    org = await store.find_one("organisations", {"_id": offer["organisation"]})
    access.may_write_for(principal, org or {"_id": offer["organisation"]})
    return offer


async def record_contact_consent(
    store: Store, principal: Principal | None, offer_id: str, organisation_id: str
) -> dict[str, Any]:
    """The candidate agreed that `organisation_id` may see their name and contact details."""
    offer = await _referral(store, principal, offer_id)
    if not await store.existing_ids("organisations", [str(organisation_id)]):
        raise InputError([("organisationId", f"no organisation {organisation_id!r}", "NOT_FOUND")])
    updated = await store.add_to_set(
        "offers", {"_id": offer["_id"]}, "contact_consents", str(organisation_id)
    )
    await audit.record(
        store, principal, "record contact consent", offer["_id"], organisation=organisation_id
    )
    return updated or offer


async def erase(store: Store, principal: Principal | None, offer_id: str) -> int:
    """Remove the referral and every match made with it; returns the matches removed."""
    offer = await _referral(store, principal, offer_id)
    removed = await store.delete("matches", {"offer": offer["_id"]})
    await store.delete("offers", {"_id": offer["_id"]})
    await audit.record(store, principal, "erase referral", offer["_id"], matches=removed)
    return removed
