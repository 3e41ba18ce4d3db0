"""Offers and needs: searching, creating, updating and closing them.

Writes validate through the same pydantic models and document mapping as the
seeding, are checked against the write rules of `gateway.domain.access`, and are
optimistic: an update names the version it read and fails cleanly if it moved on.
Every write is audited and followed by matching.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from gateway.domain.access import (
    listing_refusal,
    may_write_for,
    no_organisation,
    require_principal,
    visible_listings,
)
from gateway.domain.conditions import Filter
from gateway.domain.documents import listing_document, listing_record
from gateway.domain.filters import ListingFilter, Near
from gateway.domain.geo import MAX_RADIUS_KM, Circle
from gateway.domain.paging import Page, PageRequest
from gateway.domain.taxonomy import Taxonomy
from gateway.errors import InputError, NotFound, VersionConflict
from gateway.services import audit
from gateway.services.session import Session
from gateway.store.database import Store
from gateway.store.versioned import insert_versioned, update_versioned
from schemas.common import Status
from schemas.listing import (
    Need,
    NeedKind,
    Offer,
    OfferKind,
    ProductionNeed,
    ProductionOffer,
    StaffNeed,
    StaffOffer,
    TalentOffer,
    TrainingOffer,
)

Collection = Literal["offers", "needs"]
Doc = dict[str, Any]

_ADAPTERS: dict[str, TypeAdapter[Any]] = {"offers": TypeAdapter(Offer), "needs": TypeAdapter(Need)}
_MODELS: dict[tuple[str, str], type[BaseModel]] = {
    ("offers", OfferKind.STAFF): StaffOffer,
    ("offers", OfferKind.TALENT): TalentOffer,
    ("offers", OfferKind.PRODUCTION): ProductionOffer,
    ("offers", OfferKind.TRAINING): TrainingOffer,
    ("needs", NeedKind.STAFF): StaffNeed,
    ("needs", NeedKind.PRODUCTION): ProductionNeed,
}


async def resolve_near(store: Store, near: Near) -> Circle:
    """A search circle around a known postcode or around coordinates."""
    if not 0 < near.radius_km <= MAX_RADIUS_KM:
        raise InputError.one(
            "near.radius_km", f"must be between 0 and {MAX_RADIUS_KM:g} km", "OUT_OF_RANGE"
        )
    if near.postcode is not None:
        place = await store.find_one("places", {"_id": str(near.postcode)})
        if place is None:
            raise InputError.one(
                "near.postcode", f"unknown postcode {near.postcode!r}", "NOT_FOUND"
            )
        return Circle(place["lat"], place["lon"], near.radius_km)
    lat, lon = near.lat, near.lon
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError.one("near", "give a postcode, or valid lat and lon")
    return Circle(lat, lon, near.radius_km)


async def compile_filter(session: Session, f: ListingFilter) -> Filter:
    """`f` as conditions, narrowed to what the caller may see."""
    visible = await session.visible()
    circle = await resolve_near(session.store, f.near) if f.near else None
    return f.compile(await session.taxonomy(), circle) & visible_listings(visible)


async def search(
    session: Session, collection: Collection, f: ListingFilter, page: PageRequest
) -> Page:
    """`offers` and `needs`: a page of what the caller may see under the sharing policies."""
    query = (await compile_filter(session, f)).query()
    return await session.store.page(collection, query, page)


def _validate(collection: Collection, record: Doc) -> BaseModel:
    try:
        return _ADAPTERS[collection].validate_python(record)
    except ValidationError as error:
        raise InputError.from_validation(error, tags={k for _, k in _MODELS}) from None


async def _organisation(store: Store, organisation_id: str) -> Doc:
    org = await store.find_one("organisations", {"_id": str(organisation_id)})
    if org is None:
        raise InputError.one("organisation", f"no organisation {organisation_id!r}", "NOT_FOUND")
    return org


def new_id(organisation_id: str, kind: str) -> str:
    return f"{organisation_id[:50]}-{kind.lower()}-{secrets.token_hex(4)}"


async def _rematch(session: Session, taxonomy: Taxonomy, collection: Collection, doc: Doc) -> None:
    """Matches follow every write: created, re-scored or retracted right away.

    The write itself marked the listing due and claimed it for this process; were the
    process to die now, another one would match it when the claim runs out.
    """
    await session.hub.matching.match_now(collection, doc, taxonomy)


async def add(session: Session, collection: Collection, record: Doc) -> Doc:
    """Validate and insert a new offer or need for an organisation the caller writes for;
    any other organisation, hidden or absent, gets the same NOT_FOUND."""
    store = session.store
    org_id = str(record.get("organisation", ""))
    org = await store.find_one("organisations", {"_id": org_id})
    refusal = listing_refusal(require_principal(session.principal), org_id, org)
    if refusal is not None or org is None:
        raise InputError(refusal or no_organisation(org_id))
    record = {**record, "id": new_id(org["_id"], str(record.get("kind", "x")))}
    taxonomy = await session.taxonomy()
    doc = listing_document(_validate(collection, record), org, taxonomy)
    stored = await insert_versioned(store, collection, doc | session.hub.matching.claimed_fields())
    await audit.record(store, session.principal, f"create {collection[:-1]}", stored["_id"])
    await _rematch(session, taxonomy, collection, stored)
    return stored


async def create_offer(session: Session, record: Doc) -> Doc:
    """`createOffer`: staff, production capacity or a training course; people are
    referred with `referCandidate`, which records their consent."""
    if record.get("kind") == OfferKind.TALENT:
        raise InputError.one("kind", "refer people with referCandidate", "USE_REFER_CANDIDATE")
    return await add(session, "offers", record)


async def create_need(session: Session, record: Doc) -> Doc:
    return await add(session, "needs", record)


async def get_visible(session: Session, collection: Collection, listing_id: str) -> Doc:
    """The listing, if the caller may see it; `NotFound` whether absent or hidden."""
    doc = await session.store.find_one(collection, {"_id": str(listing_id)})
    if doc is None or not visible_listings(await session.visible()).test(doc):
        raise NotFound(f"no {collection[:-1]} {listing_id!r}")
    return doc


async def get_writable(
    session: Session, collection: Collection, listing_id: str
) -> tuple[Doc, Doc]:
    """The listing and its organisation, which the caller must write for: `NotFound` when
    the listing is absent or hidden, `Forbidden` when visible but not the caller's."""
    current = await get_visible(session, collection, listing_id)
    org = await _organisation(session.store, current["organisation"])
    may_write_for(session.principal, org)
    return current, org


async def update(
    session: Session,
    collection: Collection,
    listing_id: str,
    changes: Doc,
    expected_version: int,
) -> Doc:
    """Apply `changes` to the version the caller read; `VersionConflict` if it moved on."""
    store = session.store
    current, org = await get_writable(session, collection, listing_id)
    if current["version"] != expected_version:
        raise VersionConflict(current["version"])
    model_type = _MODELS[(collection, current["kind"])]
    merged = listing_record(current, model_type) | changes
    taxonomy = await session.taxonomy()
    doc = listing_document(_validate(collection, merged), org, taxonomy)
    claimed = doc | session.hub.matching.claimed_fields()
    updated = await update_versioned(store, collection, claimed, expected_version)
    if updated is None:
        latest = await store.find_one(collection, {"_id": current["_id"]})
        raise VersionConflict(latest["version"] if latest else None)
    fields = sorted(changes)
    await audit.record(
        store, session.principal, f"update {collection[:-1]}", updated["_id"], fields=fields
    )
    await _rematch(session, taxonomy, collection, updated)
    return updated


async def set_status(
    session: Session, collection: Collection, listing_id: str, status: Status
) -> Doc:
    """Close (FILLED, WITHDRAWN, EXPIRED) or reopen an offer or need; matches follow."""
    store = session.store
    current, _ = await get_writable(session, collection, listing_id)
    if current["status"] == status:
        return current
    change = {"_id": current["_id"], "status": status} | session.hub.matching.claimed_fields()
    updated = await update_versioned(store, collection, change, current["version"])
    if updated is None:
        raise VersionConflict()
    await audit.record(
        store, session.principal, f"set {collection[:-1]} status", updated["_id"], status=status
    )
    await _rematch(session, await session.taxonomy(), collection, updated)
    return updated


async def withdraw_offer(session: Session, offer_id: str) -> Doc:
    """`withdrawOffer`: its matches are retracted."""
    return await set_status(session, "offers", offer_id, Status.WITHDRAWN)


async def close_need(session: Session, need_id: str, status: Status) -> Doc:
    """`closeNeed`: FILLED, WITHDRAWN or EXPIRED; its matches are retracted."""
    if status is Status.OPEN:
        raise InputError.one("status", "closing needs FILLED, WITHDRAWN or EXPIRED")
    return await set_status(session, "needs", need_id, status)
