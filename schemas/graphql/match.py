"""Matches between offers and needs, and the coverage report."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar, Self

import strawberry
from strawberry import relay

from gateway.domain.coverage import Coverage
from gateway.domain.cursors import encode_cursor
from gateway.domain.documents import OPEN_END
from gateway.domain.matches import MatchStatus
from gateway.domain.scoring import SkillMatch
from schemas.graphql.common import UserError
from schemas.graphql.enums import Employment, NeedKind
from schemas.graphql.listing import Need, Offer
from schemas.graphql.relay import Entity
from schemas.graphql.skill import Skill, load_skills

strawberry.enum(MatchStatus)


strawberry.enum(SkillMatch)


@strawberry.enum(description="The criteria of a match's score (README, Matching).")
class Criterion(enum.Enum):
    SKILLS = "skills"
    QUANTITY = "quantity"
    PERIOD = "period"
    DISTANCE = "distance"
    EMPLOYMENT = "employment"


@strawberry.type(description="How the offer meets one skill the need asks for.")
class SkillFit:
    required: bool = strawberry.field(description="Required (weighs twice) or optional.")
    how: SkillMatch
    skill_id: strawberry.Private[str]
    via_id: strawberry.Private[str | None]

    @strawberry.field
    async def skill(self, info: strawberry.Info) -> Skill | None:
        found = await load_skills(info, [self.skill_id])
        return found[0] if found else None

    @strawberry.field(
        description="IMPLIED: the skill held that implies it (compare `level`s); RELATED: "
        "the related skill held."
    )
    async def via(self, info: strawberry.Info) -> Skill | None:
        found = await load_skills(info, [self.via_id]) if self.via_id else []
        return found[0] if found else None


@strawberry.type(description="One criterion's part in the score.")
class ScoreCriterion:
    criterion: Criterion
    weight: float
    value: float = strawberry.field(description="0..1, seen from the need.")
    offer_value: float = strawberry.field(description="0..1, seen from the offer.")

    @strawberry.field(description="weight times value: what it adds to the score.")
    def contribution(self) -> float:
        return round(self.weight * self.value, 4)


@strawberry.type(description="What is needed against what is offered, in the need's unit.")
class QuantityFit:
    wanted: float = strawberry.field(description="Headcount, or amount in `unit`.")
    offered: float = strawberry.field(description="Headcount, or amount in `offeredUnit`.")
    unit: str | None
    offered_unit: str | None
    comparable: bool = strawberry.field(
        description="False when the units measure different things (then scored 0.5)."
    )
    converted: float | None = strawberry.field(
        description="The offered amount in `unit`, over the shared days when one side is a "
        "rate and the other a total."
    )


@strawberry.type(description="Who is offered against the kind of position.")
class EmploymentFit:
    employment: Employment = strawberry.field(description="The need's position.")
    offered: str = strawberry.field(
        description="TALENT (a person for hire), SHORT_TIME_WORK or STAFF_PARTNERSHIP."
    )
    value: float


@strawberry.type(description="A course that closes a skill gap, done by early in the need.")
class TrainingSuggestion:
    training_id: strawberry.Private[str]
    skill_ids: strawberry.Private[list[str]]
    ends_on: dt.date | None = strawberry.field(description="Null for an open-ended course.")
    ends_before_start: bool = strawberry.field(description="Over before the need starts.")

    @strawberry.field
    async def training(self, info: strawberry.Info) -> Offer | None:
        doc = await info.context.loaders.offers.load(self.training_id)
        return Offer.from_document(doc) if doc else None

    @strawberry.field(description="The need's skills it teaches.")
    async def skills(self, info: strawberry.Info) -> list[Skill]:
        return await load_skills(info, self.skill_ids)


@strawberry.type
class MatchExplanation:
    """Why an offer and a need fit, criterion by criterion."""

    distance_km: float | None = strawberry.field(description="Null when a side has no place.")
    overlapping_days: int
    quantity_covered: float = strawberry.field(description="Headcount or amount covered.")
    doc: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="Needed skills the offer has, or implies by a higher level.")
    async def matched_skills(self, info: strawberry.Info) -> list[Skill]:
        return await load_skills(info, self.doc["matched_skills"])

    @strawberry.field(description="Needed skills the offer has a related skill for.")
    async def related_skills(self, info: strawberry.Info) -> list[Skill]:
        return await load_skills(info, self.doc["related_skills"])

    @strawberry.field(description="Needed skills the offer lacks.")
    async def missing_skills(self, info: strawberry.Info) -> list[Skill]:
        return await load_skills(info, self.doc["missing_skills"])

    @strawberry.field(description="Each skill the need asks for, and how the offer meets it.")
    def skills(self) -> list[SkillFit]:
        return [
            SkillFit(
                required=s["required"],
                how=SkillMatch(s["how"]),
                skill_id=s["skill"],
                via_id=s.get("via"),
            )
            for s in self.doc.get("skills", [])
        ]

    @strawberry.field(description="The score's criteria; their contributions add up to it.")
    def criteria(self) -> list[ScoreCriterion]:
        return [
            ScoreCriterion(
                criterion=Criterion(c["name"]),
                weight=c["weight"],
                value=c["value"],
                offer_value=c["offer_value"],
            )
            for c in self.doc.get("criteria", [])
        ]

    @strawberry.field
    def quantity(self) -> QuantityFit | None:
        detail = self._detail("quantity")
        if detail is None:
            return None
        return QuantityFit(
            wanted=detail["wanted"],
            offered=detail["offered"],
            unit=detail.get("unit"),
            offered_unit=detail.get("offered_unit"),
            comparable=detail.get("comparable", True),
            converted=detail.get("converted"),
        )

    @strawberry.field(description="Null for production.")
    def employment(self) -> EmploymentFit | None:
        detail = self._detail("employment")
        if not detail:
            return None
        value = next(c["value"] for c in self.doc["criteria"] if c["name"] == "employment")
        return EmploymentFit(
            employment=Employment(detail["need"]), offered=detail["offer"], value=value
        )

    @strawberry.field(description="Suggested courses, with when they end.")
    def trainings(self) -> list[TrainingSuggestion]:
        return [
            TrainingSuggestion(
                training_id=t["training"],
                skill_ids=t["skills"],
                ends_on=None if t["ends"].year == OPEN_END.year else t["ends"].date(),
                ends_before_start=t["before_start"],
            )
            for t in self.doc.get("trainings", [])
        ]

    def _detail(self, name: str) -> dict[str, Any] | None:
        return next((c["detail"] for c in self.doc.get("criteria", []) if c["name"] == name), None)


@strawberry.federation.type(keys=["id"])
class Match(Entity):
    """An offer and a need that fit, with the score and why."""

    loader_name: ClassVar[str] = "matches"
    id: relay.NodeID[str]
    kind: NeedKind
    score: float = strawberry.field(description="0..1, seen from the need; README, Matching.")
    offer_score: float = strawberry.field(
        description="0..1, seen from the offer: the share of its people or capacity and of "
        "its availability the need uses. Rank an offer's matches by it."
    )
    status: MatchStatus
    active: bool = strawberry.field(description="False once retracted (a side closed).")
    cursor: str = strawberry.field(description="Orders all matches; pass to matchFound(after:).")
    explanation: MatchExplanation
    created_at: dt.datetime
    updated_at: dt.datetime
    doc: strawberry.Private[dict[str, Any]]

    @strawberry.field
    async def offer(self, info: strawberry.Info) -> Offer | None:
        doc = await info.context.loaders.offers.load(self.doc["offer"])
        return Offer.from_document(doc) if doc else None

    @strawberry.field
    async def need(self, info: strawberry.Info) -> Need | None:
        doc = await info.context.loaders.needs.load(self.doc["need"])
        return Need.from_document(doc) if doc else None

    @strawberry.field(description="TRAINING offers that teach the need's missing skills.")
    async def suggested_trainings(self, info: strawberry.Info) -> list[Offer]:
        docs = await info.context.loaders.offers.load_many(self.doc["suggested_trainings"])
        return [Offer.from_document(d) for d in docs if d]

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Self:
        explanation = doc["explanation"]
        return cls(
            id=doc["_id"],
            kind=NeedKind(doc["kind"]),
            score=doc["score"],
            offer_score=doc.get("offer_score", doc["score"]),
            status=MatchStatus(doc["status"]),
            active=doc.get("active", False),
            cursor=encode_cursor(doc["seq"]),
            explanation=MatchExplanation(
                distance_km=explanation.get("distance_km"),
                overlapping_days=explanation["overlap_days"],
                quantity_covered=explanation["quantity_covered"],
                doc=explanation,
            ),
            created_at=doc["created_at"],
            updated_at=doc["updated_at"],
            doc=doc,
        )


@strawberry.input(description="Every condition given must hold; filters never widen access.")
class MatchFilter:
    cluster_ids: list[str] | None = strawberry.field(
        default=None, description="Matches with a side in any of these clusters."
    )
    organisation_ids: list[str] | None = strawberry.field(
        default=None, description="Matches these organisations are a party to."
    )
    kinds: list[NeedKind] | None = None
    statuses: list[MatchStatus] | None = None
    min_score: float | None = None
    include_retracted: bool = False


@strawberry.type
class MatchPayload:
    match: Match | None
    user_errors: list[UserError]


@strawberry.input(description="Which offers or needs take part in a coverage calculation.")
class PartyFilter:
    cluster_ids: list[str] | None = None
    organisation_ids: list[str] | None = None


@strawberry.type
class SkillCoverage:
    skill_id: strawberry.Private[str]
    needed: int = strawberry.field(description="Headcount of needs that require the skill.")
    covered: int = strawberry.field(description="Of that, what the offers can fill.")
    share: float

    @strawberry.field
    async def skill(self, info: strawberry.Info) -> Skill | None:
        found = await load_skills(info, [self.skill_id])
        return found[0] if found else None


@strawberry.type
class UnmetNeed:
    need_id: strawberry.Private[str]
    missing: int = strawberry.field(description="Headcount left unfilled.")

    @strawberry.field
    async def need(self, info: strawberry.Info) -> Need | None:
        doc = await info.context.loaders.needs.load(self.need_id)
        return Need.from_document(doc) if doc else None


@strawberry.type(
    description="What share of the needed headcount the offers can fill, "
    "one person for one position (a maximum flow)."
)
class CoverageReport:
    needed: int
    covered: int
    share: float
    covered_with_training: int = strawberry.field(
        description="Covered when people take the suggested trainings first."
    )
    share_with_training: float
    by_skill: list[SkillCoverage]
    unmet: list[UnmetNeed]

    @classmethod
    def from_coverage(cls, result: Coverage) -> CoverageReport:
        def share(part: int, whole: int) -> float:
            return round(part / whole, 4) if whole else 0.0

        return cls(
            needed=result.needed,
            covered=result.covered,
            share=share(result.covered, result.needed),
            covered_with_training=result.covered_with_training,
            share_with_training=share(result.covered_with_training, result.needed),
            by_skill=[
                SkillCoverage(
                    skill_id=s.skill_id,
                    needed=s.needed,
                    covered=s.covered,
                    share=share(s.covered, s.needed),
                )
                for s in result.by_skill
            ],
            unmet=[UnmetNeed(need_id=nid, missing=missing) for nid, missing in result.unmet],
        )
