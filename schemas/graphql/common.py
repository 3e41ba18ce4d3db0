"""Small value types and inputs shared by several object types."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

import strawberry

from schemas.graphql.enums import FederalState


@strawberry.type
class Location:
    postcode: str | None
    city: str
    state: FederalState
    lat: float | None
    lon: float | None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Self:
        return cls(
            postcode=doc.get("postcode"),
            city=doc["city"],
            state=FederalState(doc["state"]),
            lat=doc.get("lat"),
            lon=doc.get("lon"),
        )


@strawberry.type
class Period:
    start: dt.date
    end: dt.date | None = strawberry.field(description="Open-ended when null.")


@strawberry.type
class UserError:
    """A problem with the input: which field, what is wrong, a stable code."""

    field: str
    message: str
    code: str


@strawberry.input
class LocationInput:
    postcode: str | None = None
    city: str
    state: FederalState
    lat: float | None = None
    lon: float | None = None


@strawberry.input
class PeriodInput:
    start: dt.date
    end: dt.date | None = None


@strawberry.input(description="A circle: around a known postcode, or around coordinates.")
class NearInput:
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float


@strawberry.input(description="Skill ids, labels or synonyms (resolved through the taxonomy).")
class SkillMatchInput:
    any_of: list[str] | None = None
    all_of: list[str] | None = None


@strawberry.input(description="Listings available at some time within the window.")
class AvailabilityInput:
    start: dt.date | None = None
    end: dt.date | None = None
