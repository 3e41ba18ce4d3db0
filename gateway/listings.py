"""Offers and needs: filtering, creating, updating and closing them.

Queries are built from plain values (never from caller-supplied documents), then
narrowed to what the caller may see (`gateway.access`). Writes validate through the
same pydantic models and document mapping as the seeding, and updates are
optimistic: they name the version they read and fail cleanly if it moved on.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from gateway import access, audit
from gateway.auth import Principal
from gateway.documents import listing_document, listing_record
from gateway.errors import InputError, NotFound, VersionConflict
from gateway.geo import cells_within, haversine_km
from gateway.matching import Matcher
from gateway.query import combine, search_query, search_terms
from gateway.store import Store
from gateway.taxonomy import Taxonomy, UnknownSkill
from schemas.common import Status
from schemas.listing import (
    Need,
    Offer,
    ProductionNeed,
    ProductionOffer,
    StaffNeed,
    StaffOffer,
    TalentOffer,
    TrainingOffer,
)

Collection = Literal["offers", "needs"]

_ADAPTERS: dict[str, TypeAdapter[Any]] = {"offers": TypeAdapter(Offer), "needs": TypeAdapter(Need)}
_MODELS: dict[tuple[str, str], type[BaseModel]] = {
    ("offers", "STAFF"): StaffOffer,
    ("offers", "TALENT"): TalentOffer,
    ("offers", "PRODUCTION"): ProductionOffer,
    ("offers", "TRAINING"): TrainingOffer,
    ("needs", "STAFF"): StaffNeed,
    ("needs", "PRODUCTION"): ProductionNeed,
}
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Near:
    lat: float
    lon: float
    radius_km: float


@dataclass
class ListingFilter:
    """What a portal may ask for; every field narrows, none widens."""

    cluster_ids: list[str] = field(default_factory=list)
    organisation_ids: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    skills_any: list[str] = field(default_factory=list)
    skills_all: list[str] = field(default_factory=list)
    text: str | None = None
    available_from: dt.date | None = None
    available_to: dt.date | None = None
    near: Near | None = None


async def near(
    store: Store,
    *,
    radius_km: float,
    postcode: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
) -> Near:
    """A search circle around a known postcode or around coordinates."""
    if not 0 < radius_km <= 1000:
        raise InputError([("near.radiusKm", "must be between 0 and 1000 km", "OUT_OF_RANGE")])
    if postcode is not None:
        place = await store.find_one("places", {"_id": str(postcode)})
        if place is None:
            raise InputError([("near.postcode", f"unknown postcode {postcode!r}", "NOT_FOUND")])
        return Near(place["lat"], place["lon"], radius_km)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError([("near", "give a postcode, or valid lat and lon", "INVALID")])
    return Near(lat, lon, radius_km)


def _day(value: dt.date) -> dt.datetime:
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _skill_ids(taxonomy: Taxonomy, texts: list[str], field_name: str) -> list[str]:
    try:
        return taxonomy.normalise_all(texts)
    except UnknownSkill as error:
        raise InputError([(field_name, str(error), "UNKNOWN_SKILL")]) from None


def listing_query(f: ListingFilter, taxonomy: Taxonomy) -> dict[str, Any]:
    """The MongoDB filter for `f`: equality, `$in`/`$all` and range tests on indexed fields."""
    parts: list[dict[str, Any]] = []
    if f.cluster_ids:
        parts.append({"clusters": {"$in": [str(c) for c in f.cluster_ids]}})
    if f.organisation_ids:
        parts.append({"organisation": {"$in": [str(o) for o in f.organisation_ids]}})
    if f.kinds:
        parts.append({"kind": {"$in": [str(k) for k in f.kinds]}})
    if f.statuses:
        parts.append({"status": {"$in": [str(s) for s in f.statuses]}})
    if f.skills_any:
        parts.append({"skill_set": {"$in": _skill_ids(taxonomy, f.skills_any, "skills.anyOf")}})
    if f.skills_all:
        parts.append({"skill_set": {"$all": _skill_ids(taxonomy, f.skills_all, "skills.allOf")}})
    if f.text:
        parts.append(search_query(f.text))
    if f.available_to is not None:
        parts.append({"period.start": {"$lte": _day(f.available_to)}})
    if f.available_from is not None:
        parts.append({"period.end": {"$gte": _day(f.available_from)}})
    if f.near is not None:
        parts.append(
            {
                "cell": {"$in": cells_within(f.near.lat, f.near.lon, f.near.radius_km)},
                "geo": {
                    "$geoWithin": {
                        "$centerSphere": [
                            [f.near.lon, f.near.lat],
                            f.near.radius_km / EARTH_RADIUS_KM,
                        ]
                    }
                },
            }
        )
    return combine(*parts)


def matches(doc: dict[str, Any], f: ListingFilter, taxonomy: Taxonomy) -> bool:
    """`listing_query` evaluated in memory, for live events that never touch the database."""
    skills = set(doc.get("skill_set", []))
    period = doc["period"]
    checks = [
        not f.cluster_ids or not set(f.cluster_ids).isdisjoint(doc.get("clusters", [])),
        not f.organisation_ids or doc.get("organisation") in f.organisation_ids,
        not f.kinds or doc.get("kind") in {str(k) for k in f.kinds},
        not f.statuses or doc.get("status") in {str(s) for s in f.statuses},
        not f.skills_any or not skills.isdisjoint(_skill_ids(taxonomy, f.skills_any, "skills")),
        not f.skills_all or skills.issuperset(_skill_ids(taxonomy, f.skills_all, "skills")),
        not f.text
        or all(any(t.startswith(w) for t in doc.get("terms", [])) for w in search_terms(f.text)),
        f.available_to is None or period["start"] <= _day(f.available_to),
        f.available_from is None or period["end"] >= _day(f.available_from),
        f.near is None or _within(doc.get("location", {}), f.near),
    ]
    return all(checks)


def _within(location: dict[str, Any], circle: Near) -> bool:
    if location.get("lat") is None:
        return False
    return (
        haversine_km(location["lat"], location["lon"], circle.lat, circle.lon) <= circle.radius_km
    )


def _validate(collection: Collection, record: dict[str, Any]) -> BaseModel:
    try:
        return _ADAPTERS[collection].validate_python(record)
    except ValidationError as error:
        raise InputError.from_validation(error, tags={k for _, k in _MODELS}) from None


async def _organisation(store: Store, organisation_id: str) -> dict[str, Any]:
    org = await store.find_one("organisations", {"_id": str(organisation_id)})
    if org is None:
        raise InputError([("organisationId", f"no organisation {organisation_id!r}", "NOT_FOUND")])
    return org


def _document(model: BaseModel, org: dict[str, Any], taxonomy: Taxonomy) -> dict[str, Any]:
    try:
        return listing_document(model, org, taxonomy)
    except UnknownSkill as error:
        raise InputError([("skills", str(error), "UNKNOWN_SKILL")]) from None


def new_id(organisation_id: str, kind: str) -> str:
    return f"{organisation_id[:50]}-{kind.lower()}-{secrets.token_hex(4)}"


async def create(
    store: Store,
    principal: Principal | None,
    collection: Collection,
    record: dict[str, Any],
    taxonomy: Taxonomy,
) -> dict[str, Any]:
    """Validate and insert a new offer or need for the caller's organisation."""
    org = await _organisation(store, record.get("organisation", ""))
    access.may_write_for(principal, org)
    record = {**record, "id": new_id(org["_id"], str(record.get("kind", "x")))}
    doc = _document(_validate(collection, record), org, taxonomy)
    stored = await store.insert_versioned(collection, doc)
    await audit.record(store, principal, f"create {collection[:-1]}", stored["_id"])
    await _rematch(store, taxonomy, collection, stored)
    return stored


async def _rematch(
    store: Store, taxonomy: Taxonomy, collection: Collection, doc: dict[str, Any]
) -> None:
    """Matches follow every write: created, re-scored or retracted right away."""
    matcher = await Matcher.load(store, taxonomy)
    if collection == "offers":
        await matcher.refresh(offers=[doc])
    else:
        await matcher.refresh(needs=[doc])


async def get_visible(
    store: Store, principal: Principal | None, collection: Collection, listing_id: str
) -> dict[str, Any]:
    doc = await store.find_one(collection, {"_id": str(listing_id)})
    visible = await access.visible_clusters(store, principal)
    if doc is None or not access.may_see(doc.get("clusters", []), visible):
        raise NotFound(f"no {collection[:-1]} {listing_id!r}")
    return doc


async def update(
    store: Store,
    principal: Principal | None,
    collection: Collection,
    listing_id: str,
    changes: dict[str, Any],
    expected_version: int,
    taxonomy: Taxonomy,
) -> dict[str, Any]:
    """Apply `changes` to the version the caller read; `VersionConflict` if it moved on."""
    current = await get_visible(store, principal, collection, listing_id)
    org = await _organisation(store, current["organisation"])
    access.may_write_for(principal, org)
    if current["version"] != expected_version:
        raise VersionConflict(current["version"])
    model_type = _MODELS[(collection, current["kind"])]
    merged = listing_record(current, model_type) | changes
    doc = _document(_validate(collection, merged), org, taxonomy)
    updated = await store.update_versioned(collection, doc, expected_version)
    if updated is None:
        latest = await store.find_one(collection, {"_id": current["_id"]})
        raise VersionConflict(latest["version"] if latest else expected_version)
    fields = sorted(changes)
    await audit.record(store, principal, f"update {collection[:-1]}", updated["_id"], fields=fields)
    await _rematch(store, taxonomy, collection, updated)
    return updated


async def set_status(
    store: Store,
    principal: Principal | None,
    collection: Collection,
    listing_id: str,
    status: Status,
    taxonomy: Taxonomy,
) -> dict[str, Any]:
    """Close (FILLED, WITHDRAWN, EXPIRED) or reopen an offer or need; matches follow."""
    current = await get_visible(store, principal, collection, listing_id)
    access.may_write_for(principal, await _organisation(store, current["organisation"]))
    if current["status"] == status:
        return current
    updated = await store.update_versioned(
        collection, {"_id": current["_id"], "status": str(status)}, current["version"]
    )
    if updated is None:
        raise VersionConflict(current["version"])
    await audit.record(
        store, principal, f"set {collection[:-1]} status", updated["_id"], status=str(status)
    )
    await _rematch(store, taxonomy, collection, updated)
    return updated
