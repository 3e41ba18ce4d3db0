"""Offers and needs: what member organisations have to give and what they are looking for.

Both are discriminated unions on `kind`; the fields they share live in `_Listing`.
Skills and capabilities are written as taxonomy ids or free text (a label or a
synonym); the seeding and API layers normalise them onto taxonomy ids.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints

from schemas.common import (
    MAX_LIST,
    Document,
    Label,
    Location,
    Name,
    Period,
    Slug,
    Status,
    Text,
)

SkillRef = Label
SkillList = Annotated[list[SkillRef], Field(max_length=MAX_LIST)]
RequiredSkillList = Annotated[list[SkillRef], Field(min_length=1, max_length=MAX_LIST)]
Headcount = Annotated[int, Field(ge=1, le=10_000)]
Amount = Annotated[float, Field(gt=0, le=1e9)]
RadiusKm = Annotated[float, Field(ge=0, le=1000)]


class OfferKind(enum.StrEnum):
    STAFF = "STAFF"
    TALENT = "TALENT"
    PRODUCTION = "PRODUCTION"
    TRAINING = "TRAINING"


class NeedKind(enum.StrEnum):
    STAFF = "STAFF"
    PRODUCTION = "PRODUCTION"


class StaffArrangement(enum.StrEnum):
    SHORT_TIME_WORK = "SHORT_TIME_WORK"
    STAFF_PARTNERSHIP = "STAFF_PARTNERSHIP"


class TalentSource(enum.StrEnum):
    RUNNER_UP = "RUNNER_UP"
    """A second- or third-placed applicant a company recommends to its neighbours."""
    JOB_CUT = "JOB_CUT"
    """An employee whose position is cut, offered for a permanent transfer."""
    GRADUATE = "GRADUATE"


class Employment(enum.StrEnum):
    TEMPORARY = "TEMPORARY"
    PERMANENT = "PERMANENT"


class _Listing(Document):
    id: Slug
    organisation: Slug
    title: Name
    description: Text = ""
    location: Location | None = None
    """Where the work happens; the organisation's location when omitted."""
    radius_km: RadiusKm | None = None
    period: Period
    status: Status = Status.OPEN


class Candidate(Document):
    """The person behind a TALENT referral: personal data, shown only to the entitled."""

    name: Name
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()/-]{5,30}$")] | None = None
    headline: Name | None = None


class Consent(Document):
    """The candidate's consent to be referred, recorded by the referring organisation."""

    given_at: dt.datetime
    note: Text = ""


class StaffOffer(_Listing):
    kind: Literal[OfferKind.STAFF] = OfferKind.STAFF
    skills: RequiredSkillList
    headcount: Headcount
    arrangement: StaffArrangement = StaffArrangement.STAFF_PARTNERSHIP


class TalentOffer(_Listing):
    kind: Literal[OfferKind.TALENT] = OfferKind.TALENT
    skills: RequiredSkillList
    source: TalentSource
    candidate: Candidate
    consent: Consent


class ProductionOffer(_Listing):
    kind: Literal[OfferKind.PRODUCTION] = OfferKind.PRODUCTION
    capabilities: RequiredSkillList
    certifications: Annotated[list[Label], Field(max_length=MAX_LIST)] = []
    amount: Amount
    unit: Label


class TrainingOffer(_Listing):
    kind: Literal[OfferKind.TRAINING] = OfferKind.TRAINING
    skills: RequiredSkillList
    """The skills the course teaches."""
    seats: Headcount


Offer = Annotated[
    StaffOffer | TalentOffer | ProductionOffer | TrainingOffer, Field(discriminator="kind")
]


class StaffNeed(_Listing):
    kind: Literal[NeedKind.STAFF] = NeedKind.STAFF
    required_skills: RequiredSkillList
    optional_skills: SkillList = []
    headcount: Headcount
    employment: Employment = Employment.TEMPORARY


class ProductionNeed(_Listing):
    kind: Literal[NeedKind.PRODUCTION] = NeedKind.PRODUCTION
    capabilities: RequiredSkillList
    certifications: Annotated[list[Label], Field(max_length=MAX_LIST)] = []
    amount: Amount
    unit: Label


Need = Annotated[StaffNeed | ProductionNeed, Field(discriminator="kind")]
