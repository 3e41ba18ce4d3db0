"""How well an offer fits a need: the hard rules, the score and why, as pure functions.

The score is deterministic and documented here (README, "Matching"):

    score = 0.50 skills + 0.15 quantity + 0.15 period + 0.10 distance + 0.10 employment

- skills: each required skill weighs 2, each optional one 1. A skill held, or implied
  by one held (a higher level of its family, licence CE for C), earns 1; a related
  skill (or a lower level of the family) 0.6, never for a regulated skill; a required
  skill a suggested training teaches 0.4; a missing one 0.
- quantity: the share of the need's headcount or amount the offer covers, amounts
  converted between units and time bases (`gateway.domain.units`); 0.5 when the units
  measure different things.
- period: the share of the need's period (a year when open-ended) both share.
- distance: 1 at the same place, 0 at the smaller travel radius; 0.5 when unknown.
- employment: a permanent vacancy wants people for hire (TALENT 1, staff on loan 0.5,
  staff on short-time work, who return to their employer, 0.25); a temporary need
  wants staff on loan (STAFF 1, TALENT 0.5). Production: 1.

Seen from the offer (`offer_score`, how its matches rank for the offering company),
quantity and period are shares of what the offer has: its headcount or amount, and
its availability.

Hard rules (`fit` returns None): different organisations, neither side's period over
nor a referral's consent lapsed, overlapping periods, within both radii, every
required skill held, implied, related (unless regulated) or taught by a training
that ends before or early in the need's period (any time, for an open-ended
permanent position), and for production every required
certificate held or implied by one held (notations normalised).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.domain.documents import OPEN_END
from gateway.domain.geo import haversine_km
from gateway.domain.lifetime import Lifetime
from gateway.domain.taxonomy import Taxonomy
from gateway.domain.units import convert
from schemas.listing import Employment, NeedKind, OfferKind, StaffArrangement

WEIGHTS = {"skills": 0.50, "quantity": 0.15, "period": 0.15, "distance": 0.10, "employment": 0.10}
RELATED_CREDIT = 0.6
TRAINING_CREDIT = 0.4
OPEN_ENDED_DAYS = 365
DEFAULT_RADIUS_KM = 100.0
TRAINING_GRACE = dt.timedelta(days=30)
"""A course qualifies when it ends before the need starts or early in it (at least
this long after its start; see `ready_by`): career changers train first, then work."""

EMPLOYMENT_FIT = {
    Employment.PERMANENT: {
        OfferKind.TALENT: 1.0,
        StaffArrangement.STAFF_PARTNERSHIP: 0.5,
        StaffArrangement.SHORT_TIME_WORK: 0.25,
    },
    Employment.TEMPORARY: {
        OfferKind.TALENT: 0.5,
        StaffArrangement.STAFF_PARTNERSHIP: 1.0,
        StaffArrangement.SHORT_TIME_WORK: 1.0,
    },
}
"""How well who is offered suits the kind of position (see the module docstring)."""

Doc = dict[str, Any]


class SkillMatch(enum.StrEnum):
    """How an offer meets a skill a need asks for."""

    HELD = "HELD"
    IMPLIED = "IMPLIED"
    """Through a skill held that implies it: a higher level, a wider licence class."""
    RELATED = "RELATED"
    """Only a related skill (or a lower level) is held: partial credit."""
    TRAINING = "TRAINING"
    """Not held; a suggested training teaches it in time."""
    MISSING = "MISSING"


@dataclass(frozen=True)
class SkillFit:
    """How the offer meets one skill the need asks for."""

    skill: str
    required: bool
    how: SkillMatch
    """`via` names the skill held that implies it or is related to it."""
    via: str | None = None
    credit: float = 0.0


@dataclass(frozen=True)
class _Rest:
    """Everything of a pair's score but the skills: exact, and cheap to compute."""

    distance: float | None
    days: int
    covered: float
    criteria: tuple[tuple[str, float, float, Doc], ...]
    """(name, need-side value, offer-side value, detail)."""

    def total(self, skills: float, offer_side: bool = False) -> float:
        score = WEIGHTS["skills"] * skills
        for name, need_value, offer_value, _ in self.criteria:
            score += WEIGHTS[name] * (offer_value if offer_side else need_value)
        return score


@dataclass(frozen=True)
class Fit:
    """A pair that passes the hard rules, with its scores and explanation."""

    score: float
    offer_score: float
    skills: tuple[SkillFit, ...]
    suggested_trainings: list[str]
    trainings: tuple[Doc, ...]
    """{training, ends, before_start, skills} per suggested course."""
    skills_value: float
    rest: _Rest

    @property
    def distance_km(self) -> float | None:
        return self.rest.distance

    @property
    def overlap_days(self) -> int:
        return self.rest.days

    @property
    def quantity_covered(self) -> float:
        return self.rest.covered

    @property
    def criteria(self) -> tuple[Doc, ...]:
        """{name, weight, value, offer_value, detail} per criterion of the score; built
        only for the fits that are kept."""
        skills = round(self.skills_value, 4)
        return (
            {"name": "skills", "weight": WEIGHTS["skills"], "value": skills,
             "offer_value": skills, "detail": {}},
            *(
                {"name": name, "weight": WEIGHTS[name], "value": round(value, 4),
                 "offer_value": round(offer_value, 4), "detail": detail}
                for name, value, offer_value, detail in self.rest.criteria
            ),
        )  # fmt: skip

    def _ids(self, *hows: SkillMatch) -> list[str]:
        return [s.skill for s in self.skills if s.how in hows]

    def explanation(self) -> Doc:
        return {
            "matched_skills": self._ids(SkillMatch.HELD, SkillMatch.IMPLIED),
            "related_skills": self._ids(SkillMatch.RELATED),
            "missing_skills": self._ids(SkillMatch.TRAINING, SkillMatch.MISSING),
            "distance_km": self.distance_km,
            "overlap_days": self.overlap_days,
            "quantity_covered": self.quantity_covered,
            "skills": [
                {"skill": s.skill, "required": s.required, "how": str(s.how), "via": s.via}
                for s in self.skills
            ],
            "trainings": list(self.trainings),
            "criteria": list(self.criteria),
        }


def _days(start: dt.datetime, end: dt.datetime) -> int:
    return (end - start).days + 1


def _length(period: Doc) -> int:
    """Days of a stored period, a year when open-ended."""
    return OPEN_ENDED_DAYS if period["end"] == OPEN_END else _days(period["start"], period["end"])


def overlap_days(a: Doc, b: Doc) -> int:
    """Days two stored periods share (0 when disjoint); an open end counts as open."""
    start = max(a["start"], b["start"])
    end = min(a["end"], b["end"])
    if end < start:
        return 0
    if end == OPEN_END:
        return OPEN_ENDED_DAYS
    return _days(start, end)


def distance_km(a: Doc, b: Doc) -> float | None:
    la, lb = a.get("location") or {}, b.get("location") or {}
    if la.get("lat") is None or lb.get("lat") is None:
        return None
    return round(haversine_km(la["lat"], la["lon"], lb["lat"], lb["lon"]), 1)


def _radius(doc: Doc) -> float | None:
    return doc.get("radius_km")


def _radii(a: Doc, b: Doc) -> list[float]:
    return [r for r in (_radius(a), _radius(b)) if r is not None]


def _reachable(distance: float | None, radii: list[float]) -> bool:
    return distance is None or not radii or distance <= min(radii)


def within_reach(a: Doc, b: Doc) -> bool:
    """Whether two listings lie within both travel radii (true when either is unlocated)."""
    return _reachable(distance_km(a, b), _radii(a, b))


def ready_by(need: Doc) -> dt.datetime:
    """When a course must be over for someone who takes it to start the work: early in
    a fixed-term need (30 days or a quarter of it, whichever is longer); for an
    open-ended, permanent position, whenever the course ends."""
    start, end = need["period"]["start"], need["period"]["end"]
    if end == OPEN_END:
        return OPEN_END
    return min(start + max(TRAINING_GRACE, (end - start) / 4), end)


def ready_in_time(training: Doc, need: Doc) -> bool:
    """Whether a course ends by `ready_by(need)`: before the need starts (how career
    changers get there) or early in it. An open-ended course must have started by then."""
    period, deadline = training["period"], ready_by(need)
    if period["end"] == OPEN_END:
        return period["start"] <= min(deadline, need["period"]["start"] + TRAINING_GRACE)
    return period["end"] <= deadline


def _wanted(need: Doc) -> tuple[list[str], list[str]]:
    """(required, optional) skills of a need; a production need's capabilities."""
    if need["kind"] == NeedKind.PRODUCTION:
        return list(need.get("capabilities", [])), []
    return list(need.get("required_skills", [])), list(need.get("optional_skills", []))


def _held(offer: Doc) -> list[str]:
    return list(
        offer.get("capabilities" if offer["kind"] == OfferKind.PRODUCTION else "skills", [])
    )


def _meet(
    skill: str, required: bool, raw: frozenset[str], held: frozenset[str], taxonomy: Taxonomy
) -> SkillFit:
    """How an offer holding `raw` (and, with all they imply, `held`) meets `skill`."""
    if skill in raw:
        return SkillFit(skill, required, SkillMatch.HELD, None, 1.0)
    if skill in held:
        via = _first(taxonomy.satisfiers(skill) & raw)
        return SkillFit(skill, required, SkillMatch.IMPLIED, via, 1.0)
    if not taxonomy.regulated(skill):
        near = taxonomy.neighbours(skill) & held
        if near:  # named by what the offer holds itself, where it can be
            via = _first(near & raw) or _first(near)
            return SkillFit(skill, required, SkillMatch.RELATED, via, RELATED_CREDIT)
    return SkillFit(skill, required, SkillMatch.MISSING)


def _first(skills: Iterable[str]) -> str | None:
    return min(skills, default=None)


def _rest(offer: Doc, need: Doc, lifetime: Lifetime) -> _Rest | None:
    """The hard rules on time, place and parties, and the score's other criteria."""
    if offer["organisation"] == need["organisation"]:
        return None
    if lifetime.lapsed(offer) or lifetime.lapsed(need):
        return None
    days = overlap_days(offer["period"], need["period"])
    if days == 0:
        return None
    distance, radii = distance_km(offer, need), _radii(offer, need)
    if not _reachable(distance, radii):
        return None
    limit = min(radii) if radii else DEFAULT_RADIUS_KM
    near = 0.5 if distance is None else max(0.0, 1 - distance / max(limit, 1.0))
    quantity, offer_quantity, covered, quantity_detail = _quantity(offer, need, days)
    employment, employment_detail = _employment(offer, need)
    return _Rest(
        distance=distance,
        days=days,
        covered=covered,
        criteria=(
            ("quantity", quantity, offer_quantity, quantity_detail),
            (
                "period",
                min(1.0, days / _length(need["period"])),
                min(1.0, days / _length(offer["period"])),
                {"overlap_days": days},
            ),
            ("distance", near, near, {"km": distance, "limit_km": limit}),
            ("employment", employment, employment, employment_detail),
        ),
    )


def fit(
    offer: Doc,
    need: Doc,
    taxonomy: Taxonomy,
    trainings: Iterable[Doc] = (),
    *,
    lifetime: Lifetime,
    career_change: bool = False,
) -> Fit | None:
    """Score `offer` against `need`; None when a hard rule fails.

    Trainings close gaps of required skills but do not make a match on their own,
    unless `career_change` admits people whose every required skill a training teaches
    (career changers, as the coverage calculation's "with training" figure counts).
    """
    rest = _rest(offer, need, lifetime)
    if rest is None:
        return None
    if need["kind"] == NeedKind.PRODUCTION and not _has_certificates(offer, need, taxonomy):
        return None
    required, optional = _wanted(need)
    raw = frozenset(_held(offer))
    held = taxonomy.holdings(raw)
    met = [_meet(s, True, raw, held, taxonomy) for s in required]
    met += [_meet(s, False, raw, held, taxonomy) for s in optional]

    suggested: dict[str, Doc] = {}
    missing_required = [m.skill for m in met if m.required and m.how == SkillMatch.MISSING]
    if missing_required:
        if need["kind"] == NeedKind.PRODUCTION:
            return None  # capabilities are held, never trained
        ready = [t for t in trainings if ready_in_time(t, need)]
        for skill in missing_required:
            teaching = [t for t in ready if skill in taxonomy.holdings(t.get("skills", []))]
            if not teaching:
                return None
            for course in teaching:
                entry = suggested.setdefault(
                    course["_id"],
                    {
                        "training": course["_id"],
                        "ends": course["period"]["end"],
                        "before_start": course["period"]["end"] < need["period"]["start"],
                        "skills": [],
                    },
                )
                entry["skills"].append(skill)
        met = [
            SkillFit(m.skill, True, SkillMatch.TRAINING, None, TRAINING_CREDIT)
            if m.required and m.how == SkillMatch.MISSING
            else m
            for m in met
        ]
    if not career_change and all(m.how in (SkillMatch.TRAINING, SkillMatch.MISSING) for m in met):
        return None

    total_weight = 2 * len(required) + len(optional)
    credit = sum(m.credit * (2 if m.required else 1) for m in met)
    skills = credit / total_weight if total_weight else 1.0
    return Fit(
        score=round(rest.total(skills), 4),
        offer_score=round(rest.total(skills, offer_side=True), 4),
        skills=tuple(met),
        suggested_trainings=sorted(suggested),
        trainings=tuple(suggested[t] for t in sorted(suggested)),
        skills_value=skills,
        rest=rest,
    )


def score_bound(
    offer: Doc,
    need: Doc,
    taxonomy: Taxonomy,
    covering: Sequence[tuple[frozenset[str], bool, bool]],
    *,
    lifetime: Lifetime,
    offer_side: bool = False,
) -> float:
    """An upper bound of the pair's score (0 when a hard rule on time, place or parties
    fails), for ranking candidates before any cut.

    Every criterion but skills is exact; a skill earns full credit when the offer holds
    anything that covers it (`covering`: per needed skill, the skills covering it, and
    whether it is required and trainable), else the training credit when it is required
    (a training may teach it), else nothing. Exact credit is never higher.
    """
    rest = _rest(offer, need, lifetime)
    if rest is None:
        return 0.0
    held = _held(offer)
    credit = total = 0.0
    for cover, required, trainable in covering:
        weight = 2 if required else 1
        total += weight
        if not cover.isdisjoint(held):
            credit += weight
        elif required and trainable:
            credit += weight * TRAINING_CREDIT
    return round(rest.total(credit / total if total else 1.0, offer_side), 4)  # as `fit` rounds


def people_offered(offer: Doc) -> int:
    """Headcount an offer of people stands for: a TALENT referral is one person."""
    return 1 if offer["kind"] == OfferKind.TALENT else int(offer.get("headcount") or 1)


def _has_certificates(offer: Doc, need: Doc, taxonomy: Taxonomy) -> bool:
    """Every certificate the need asks for held, or implied by a higher class held."""
    held = taxonomy.holdings(taxonomy.certificate(c) for c in offer.get("certifications", []))
    return all(taxonomy.certificate(c) in held for c in need.get("certifications", []))


def _employment(offer: Doc, need: Doc) -> tuple[float, Doc]:
    """How well who is offered suits the position; production is always 1."""
    if need["kind"] == NeedKind.PRODUCTION:
        return 1.0, {}
    # stored strings look the enums up directly (a StrEnum hashes as its value): this
    # runs for every candidate's score bound
    employment = need.get("employment") or Employment.TEMPORARY
    offered = (
        OfferKind.TALENT
        if offer["kind"] == OfferKind.TALENT
        else offer.get("arrangement") or StaffArrangement.STAFF_PARTNERSHIP
    )
    return EMPLOYMENT_FIT[employment][offered], {"need": str(employment), "offer": str(offered)}


def _quantity(offer: Doc, need: Doc, days: int) -> tuple[float, float, float, Doc]:
    """(share of the need covered, share of the offer used, quantity covered, detail)
    in headcount, or in the need's unit for amounts."""
    if need["kind"] == NeedKind.PRODUCTION:
        wanted, unit = float(need.get("amount") or 0), need.get("unit") or ""
        given_raw, given_unit = float(offer.get("amount") or 0), offer.get("unit") or ""
        given = convert(given_raw, given_unit, unit, days)
        detail = {"wanted": wanted, "unit": unit, "offered": given_raw, "offered_unit": given_unit}
        if given is None:
            return 0.5, 0.5, 0.0, {**detail, "comparable": False}  # neither rewarded nor punished
        detail.update(comparable=True, converted=round(given, 2))
    else:
        wanted, given = float(need.get("headcount") or 1), float(people_offered(offer))
        detail = {"wanted": wanted, "offered": given}
    covered = min(wanted, given)
    return (
        covered / wanted if wanted else 0.0,
        covered / given if given else 0.0,
        round(covered, 2),
        detail,
    )
