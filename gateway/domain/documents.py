"""From validated models to store documents: one mapping for seeding and the API alike.

Documents use snake_case field names and the natural key as `_id`. They carry a few
derived fields that make queries indexable: `clusters` (an offer's or need's
organisation's clusters, for access and filters), `cell` (grid cell, for distance),
`terms` (words, for text search) and `content_hash` (for idempotent imports).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from pydantic import BaseModel

from gateway.domain.geo import cell_of
from gateway.domain.taxonomy import Taxonomy
from gateway.domain.text import search_terms
from schemas.cluster import Cluster
from schemas.common import Location, Period
from schemas.organisation import Organisation
from schemas.skill import Skill

OPEN_END = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
"""Stored in place of an open period end, so that overlap queries are plain ranges."""

BOOKKEEPING = ("_id", "version", "created_at", "updated_at", "content_hash")


def day_start(day: dt.date) -> dt.datetime:
    """Midnight UTC of a day: how period bounds are stored."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def period_document(period: Period) -> dict[str, dt.datetime]:
    return {
        "start": day_start(period.start),
        "end": day_start(period.end) if period.end else OPEN_END,
    }


def period_from_document(doc: dict[str, Any]) -> tuple[dt.date, dt.date | None]:
    end = doc["end"]
    return doc["start"].date(), None if end.year == OPEN_END.year else end.date()


def location_document(location: Location) -> dict[str, Any]:
    return location.model_dump(exclude_none=True)


def content_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _finish(doc: dict[str, Any]) -> dict[str, Any]:
    doc["content_hash"] = content_hash({k: v for k, v in doc.items() if k not in BOOKKEEPING})
    return doc


def skill_document(skill: Skill) -> dict[str, Any]:
    doc = skill.model_dump(exclude={"id", "esco"})
    doc["_id"] = skill.id
    doc["esco"] = str(skill.esco) if skill.esco else None
    doc["terms"] = search_terms(skill.id, skill.de, skill.en, *skill.synonyms)
    return _finish(doc)


def cluster_document(cluster: Cluster) -> dict[str, Any]:
    doc = cluster.model_dump(exclude={"id", "website"})
    doc["_id"] = cluster.id
    doc["website"] = str(cluster.website) if cluster.website else None
    doc["terms"] = search_terms(cluster.id, cluster.name, cluster.region)
    return _finish(doc)


def organisation_document(organisation: Organisation) -> dict[str, Any]:
    doc = organisation.model_dump(exclude={"id", "location"})
    doc["_id"] = organisation.id
    doc["location"] = location_document(organisation.location)
    doc["clusters"] = organisation.cluster_ids
    doc["cell"] = _cell(organisation.location)
    doc["terms"] = search_terms(organisation.name, organisation.sector, organisation.location.city)
    return _finish(doc)


def _point(location: Location) -> dict[str, Any] | None:
    """GeoJSON point for the exact `$geoWithin` check behind the `cell` prefilter."""
    if location.lat is None or location.lon is None:
        return None
    return {"type": "Point", "coordinates": [location.lon, location.lat]}


def _cell(location: Location | None) -> str | None:
    if location is None or location.lat is None or location.lon is None:
        return None
    return cell_of(location.lat, location.lon)


_SKILL_FIELDS = ("skills", "required_skills", "optional_skills", "capabilities")


def listing_document(
    listing: BaseModel, organisation: dict[str, Any], taxonomy: Taxonomy
) -> dict[str, Any]:
    """An offer or need as stored; skills normalised, place and clusters from its organisation.

    Raises `gateway.errors.UnknownSkill` for a skill text the taxonomy does not know.
    """
    doc = listing.model_dump(exclude={"id", "location", "period"})
    doc["_id"] = listing.id  # type: ignore[attr-defined]
    for name in _SKILL_FIELDS:
        if name in doc:
            doc[name] = taxonomy.normalise_all(doc[name])
    location = listing.location or Location.model_validate(organisation["location"])  # type: ignore[attr-defined]
    doc["location"] = location_document(location)
    doc["cell"] = _cell(location)
    doc["geo"] = _point(location)
    doc["period"] = period_document(listing.period)  # type: ignore[attr-defined]
    doc["clusters"] = list(organisation.get("clusters", []))
    doc["skill_set"] = _skill_set(doc)
    doc["terms"] = search_terms(doc["title"], doc.get("description", ""))
    return _finish(doc)


def _skill_set(doc: dict[str, Any]) -> list[str]:
    """All skills and capabilities of a listing in one multikey field, for candidate search."""
    found: dict[str, None] = {}
    for name in _SKILL_FIELDS:
        found.update(dict.fromkeys(doc.get(name, [])))
    return list(found)


def listing_record(doc: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """A stored offer or need as input for `model` again: its own fields, nothing derived."""
    record = {k: v for k, v in doc.items() if k in model.model_fields}
    record["id"] = doc["_id"]
    start, end = period_from_document(doc["period"])
    record["period"] = {"start": start, "end": end}
    return record
