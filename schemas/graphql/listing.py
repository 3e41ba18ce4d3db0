"""Offers and needs, and the inputs that create, change and filter them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

import strawberry
from strawberry import relay
from strawberry.types.nodes import SelectedField, Selection

from gateway.domain.documents import period_from_document
from schemas.graphql.common import (
    AvailabilityInput,
    Location,
    LocationInput,
    NearInput,
    Period,
    PeriodInput,
    SkillMatchInput,
    UserError,
)
from schemas.graphql.enums import (
    Employment,
    NeedKind,
    OfferKind,
    StaffArrangement,
    Status,
    TalentSource,
)
from schemas.graphql.relay import Entity
from schemas.graphql.skill import Skill, load_skills

if TYPE_CHECKING:
    from schemas.graphql.organisation import Organisation


@strawberry.interface(description="What offers and needs have in common.")
class Listing:
    title: str
    description: str
    version: int = strawberry.field(description="Pass it back to update: optimistic locking.")
    created_at: dt.datetime
    updated_at: dt.datetime
    organisation_id: str
    cluster_ids: list[str]
    location: Location
    radius_km: float | None
    period: Period
    certifications: list[str]
    headcount: int | None = strawberry.field(description="STAFF: people offered or needed.")
    amount: float | None = strawberry.field(description="PRODUCTION: capacity offered or needed.")
    unit: str | None = strawberry.field(description="PRODUCTION: unit of `amount`.")
    doc: strawberry.Private[dict[str, Any]]

    @strawberry.field
    async def organisation(
        self, info: strawberry.Info
    ) -> Annotated[Organisation, strawberry.lazy("schemas.graphql.organisation")] | None:
        from schemas.graphql.organisation import Organisation

        doc = await info.context.loaders.organisations.load(self.organisation_id)
        return Organisation.from_document(doc) if doc else None

    @strawberry.field(
        description="EXPIRED once the period is over or a referral's consent has lapsed, "
        "whatever was stored."
    )
    def status(self, info: strawberry.Info) -> Status:
        return info.context.session.lifetime().status(self.doc)

    @strawberry.field(description="PRODUCTION: capabilities offered or needed.")
    async def capabilities(self, info: strawberry.Info) -> list[Skill]:
        return await load_skills(info, self.doc.get("capabilities", []))


def _common(doc: dict[str, Any]) -> dict[str, Any]:
    start, end = period_from_document(doc["period"])
    return {
        "id": doc["_id"],
        "title": doc["title"],
        "description": doc.get("description", ""),
        "version": doc.get("version", 1),
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "organisation_id": doc["organisation"],
        "cluster_ids": doc.get("clusters", []),
        "location": Location.from_document(doc["location"]),
        "radius_km": doc.get("radius_km"),
        "period": Period(start=start, end=end),
        "certifications": doc.get("certifications", []),
        "headcount": doc.get("headcount"),
        "amount": doc.get("amount"),
        "unit": doc.get("unit"),
        "doc": doc,
    }


@strawberry.type
class Candidate:
    """Personal data of a TALENT referral."""

    name: str
    email: str | None
    phone: str | None
    headline: str | None


def _selected(selections: list[Selection]) -> set[str]:
    """The field names selected, through fragments, leaving out skipped ones and
    `__typename`: the candidate's fields a request reads."""
    names: set[str] = set()
    for selection in selections:
        skip = selection.directives.get("skip", {}).get("if", False)
        if skip or not selection.directives.get("include", {}).get("if", True):
            continue
        if not isinstance(selection, SelectedField):
            names |= _selected(selection.selections)
        elif selection.name != "__typename":
            names.add(selection.name)
    return names


@strawberry.type
class Talent:
    """A person available for hire: a runner-up applicant, or staff whose job is cut."""

    source: TalentSource
    consent_given_at: dt.datetime
    offer: strawberry.Private[dict[str, Any]]

    @strawberry.field(
        description="Only for the referring organisation, and for organisations the "
        "candidate agreed to be contacted by; null for everyone else. Every read is "
        "recorded in the personal data access log."
    )
    async def candidate(self, info: strawberry.Info) -> Candidate | None:
        selections = [s for field in info.selected_fields for s in field.selections]
        fields = tuple(sorted(_selected(selections)))
        person = await info.context.loaders.candidates.load((self.offer, fields))
        if person is None:
            return None
        return Candidate(
            name=person["name"],
            email=person.get("email"),
            phone=person.get("phone"),
            headline=person.get("headline"),
        )


@strawberry.federation.type(keys=["id"])
class Offer(Entity, Listing):
    """Staff, a talent, production capacity or a training course a member offers."""

    loader_name: ClassVar[str] = "offers"
    id: relay.NodeID[str]
    kind: OfferKind
    arrangement: StaffArrangement | None = strawberry.field(description="STAFF offers.")
    seats: int | None = strawberry.field(description="TRAINING: seats in the course.")

    @strawberry.field(description="Skills offered, or taught (TRAINING).")
    async def skills(self, info: strawberry.Info) -> list[Skill]:
        return await load_skills(info, self.doc.get("skills", []))

    @strawberry.field(description="TALENT offers: the referral.")
    def talent(self) -> Talent | None:
        if self.doc["kind"] != "TALENT":
            return None
        return Talent(
            source=TalentSource(self.doc["source"]),
            consent_given_at=self.doc["consent"]["given_at"],
            offer=self.doc,
        )

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Self:
        arrangement = doc.get("arrangement")
        return cls(
            kind=OfferKind(doc["kind"]),
            arrangement=StaffArrangement(arrangement) if arrangement else None,
            seats=doc.get("seats"),
            **_common(doc),
        )


@strawberry.federation.type(keys=["id"])
class Need(Entity, Listing):
    """Staff or production capacity a member is looking for."""

    loader_name: ClassVar[str] = "needs"
    id: relay.NodeID[str]
    kind: NeedKind
    employment: Employment | None = strawberry.field(description="STAFF needs.")

    @strawberry.field
    async def required_skills(self, info: strawberry.Info) -> list[Skill]:
        return await load_skills(info, self.doc.get("required_skills", []))

    @strawberry.field
    async def optional_skills(self, info: strawberry.Info) -> list[Skill]:
        return await load_skills(info, self.doc.get("optional_skills", []))

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Self:
        employment = doc.get("employment")
        return cls(
            kind=NeedKind(doc["kind"]),
            employment=Employment(employment) if employment else None,
            **_common(doc),
        )


@strawberry.input(description="Every condition given must hold; filters never widen access.")
class ListingFilterFields:
    cluster_ids: list[str] | None = None
    organisation_ids: list[str] | None = None
    statuses: list[Status] | None = None
    skills: SkillMatchInput | None = None
    text: str | None = strawberry.field(default=None, description="Words in title or description.")
    available: AvailabilityInput | None = None
    near: NearInput | None = None


@strawberry.input
class OfferFilter(ListingFilterFields):
    kinds: list[OfferKind] | None = None


@strawberry.input
class NeedFilter(ListingFilterFields):
    kinds: list[NeedKind] | None = None


@strawberry.input
class CandidateInput:
    name: str
    email: str | None = None
    phone: str | None = None
    headline: str | None = None


@strawberry.input(description="Fields that STAFF, TALENT, PRODUCTION and TRAINING offers share.")
class ListingInputFields:
    title: str | None = None
    description: str | None = None
    location: LocationInput | None = None
    radius_km: float | None = None
    period: PeriodInput | None = None
    certifications: list[str] | None = None
    headcount: int | None = None
    amount: float | None = None
    unit: str | None = None
    capabilities: list[str] | None = None


@strawberry.input(description="Fields of offers besides the shared ones.")
class OfferInputFields(ListingInputFields):
    skills: list[str] | None = None
    arrangement: StaffArrangement | None = None
    seats: int | None = None


@strawberry.input(description="Fields of needs besides the shared ones.")
class NeedInputFields(ListingInputFields):
    required_skills: list[str] | None = None
    optional_skills: list[str] | None = None
    employment: Employment | None = None


@strawberry.input
class CreateOfferInput(OfferInputFields):
    organisation_id: strawberry.ID
    kind: OfferKind


@strawberry.input
class UpdateOfferInput(OfferInputFields):
    expected_version: int = strawberry.field(description="The version you read.")


@strawberry.input
class CreateNeedInput(NeedInputFields):
    organisation_id: strawberry.ID
    kind: NeedKind


@strawberry.input
class UpdateNeedInput(NeedInputFields):
    expected_version: int = strawberry.field(description="The version you read.")


@strawberry.input(description="A runner-up applicant or a colleague whose job is cut.")
class ReferCandidateInput:
    organisation_id: strawberry.ID
    title: str
    description: str | None = None
    source: TalentSource
    candidate: CandidateInput
    skills: list[str]
    location: LocationInput | None = None
    radius_km: float | None = None
    period: PeriodInput
    consent_note: str | None = strawberry.field(
        default=None, description="How and when the candidate agreed to the referral."
    )


@strawberry.type
class OfferPayload:
    offer: Offer | None
    user_errors: list[UserError]


@strawberry.type
class NeedPayload:
    need: Need | None
    user_errors: list[UserError]
