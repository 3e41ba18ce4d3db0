"""How well an offer fits a need: the hard rules and the score, as pure functions.

The score is deterministic and documented here (README, "Matching"):

    score = 0.55 * skills + 0.20 * quantity + 0.15 * period + 0.10 * distance

- skills: each required skill counts twice, each optional skill once; a skill the
  offer has (after synonyms) scores 1, one it has a related skill for 0.6, a required
  one a suggested training teaches 0.4, a missing one 0.
- quantity: the share of the needed headcount (or amount) the offer covers.
- period: the share of the need's period (a year when open-ended) the offer overlaps.
- distance: 1 at the same place, 0 at the smaller travel radius; 0.5 when unknown.

Hard rules (`fit` returns None): different organisations, overlapping periods,
within both radii when both sides are located, every required skill covered,
related or taught by a suggested training, and for production every required
certification held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gateway.domain.documents import OPEN_END
from gateway.domain.geo import haversine_km
from gateway.domain.taxonomy import Taxonomy
from schemas.listing import NeedKind, OfferKind

WEIGHTS = {"skills": 0.55, "quantity": 0.20, "period": 0.15, "distance": 0.10}
RELATED_CREDIT = 0.6
TRAINING_CREDIT = 0.4
OPEN_ENDED_DAYS = 365
DEFAULT_RADIUS_KM = 100.0


@dataclass(frozen=True)
class Fit:
    """A pair that passes the hard rules, with its score and explanation."""

    score: float
    matched_skills: list[str]
    related_skills: list[str]
    missing_skills: list[str]
    suggested_trainings: list[str]
    distance_km: float | None
    overlap_days: int
    quantity_covered: float

    def explanation(self) -> dict[str, Any]:
        return {
            "matched_skills": self.matched_skills,
            "related_skills": self.related_skills,
            "missing_skills": self.missing_skills,
            "distance_km": self.distance_km,
            "overlap_days": self.overlap_days,
            "quantity_covered": self.quantity_covered,
        }


def _days(start: dt.datetime, end: dt.datetime) -> int:
    return (end - start).days + 1


def overlap_days(a: dict[str, Any], b: dict[str, Any]) -> int:
    """Days two stored periods share (0 when disjoint); an open end counts as open."""
    start = max(a["start"], b["start"])
    end = min(a["end"], b["end"])
    if end < start:
        return 0
    if end == OPEN_END:
        return OPEN_ENDED_DAYS
    return _days(start, end)


def distance_km(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    la, lb = a.get("location") or {}, b.get("location") or {}
    if la.get("lat") is None or lb.get("lat") is None:
        return None
    return round(haversine_km(la["lat"], la["lon"], lb["lat"], lb["lon"]), 1)


def _radius(doc: dict[str, Any]) -> float | None:
    return doc.get("radius_km")


def within_reach(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two listings lie within both travel radii (true when either is unlocated)."""
    distance = distance_km(a, b)
    radii = [r for r in (_radius(a), _radius(b)) if r is not None]
    return distance is None or not radii or distance <= min(radii)


def _cover(skill: str, have: set[str], taxonomy: Taxonomy) -> str | None:
    """'exact', 'related' or None: how an offer with skills `have` covers `skill`."""
    if skill in have:
        return "exact"
    if taxonomy.related(skill) & have or any(skill in taxonomy.related(h) for h in have):
        return "related"
    return None


def fit(
    offer: dict[str, Any],
    need: dict[str, Any],
    taxonomy: Taxonomy,
    trainings: Iterable[dict[str, Any]] = (),
    *,
    career_change: bool = False,
) -> Fit | None:
    """Score `offer` against `need`; None when a hard rule fails.

    Trainings close gaps but do not make a match on their own, unless
    `career_change` admits people whose every required skill a training teaches
    (career changers, as the coverage calculation's "with training" figure counts).
    """
    if offer["organisation"] == need["organisation"]:
        return None
    days = overlap_days(offer["period"], need["period"])
    if days == 0:
        return None
    if not within_reach(offer, need):
        return None
    distance = distance_km(offer, need)
    radii = [r for r in (_radius(offer), _radius(need)) if r is not None]

    production = need["kind"] == NeedKind.PRODUCTION
    required = need.get("capabilities" if production else "required_skills", [])
    optional = [] if production else need.get("optional_skills", [])
    have = set(offer.get("capabilities" if production else "skills", []))
    if production and not _has_certifications(offer, need):
        return None

    matched, related, missing = [], [], []
    credit = 0.0
    for skill, weight in [(s, 2) for s in required] + [(s, 1) for s in optional]:
        how = _cover(skill, have, taxonomy)
        if how == "exact":
            matched.append(skill)
            credit += weight
        elif how == "related":
            related.append(skill)
            credit += weight * RELATED_CREDIT
        else:
            missing.append(skill)

    missing_required = [s for s in missing if s in required]
    suggested: list[str] = []
    if missing_required:
        if production:
            return None
        teaching = {
            s: [t["_id"] for t in trainings if s in t.get("skills", [])] for s in missing_required
        }
        if not all(teaching.values()):
            return None
        suggested = sorted({t for ids in teaching.values() for t in ids})
        credit += 2 * TRAINING_CREDIT * len(missing_required)
    if not matched and not related and not career_change:
        return None

    total_weight = 2 * len(required) + len(optional)
    skills_score = credit / total_weight if total_weight else 1.0
    quantity, covered = _quantity(offer, need)
    need_days = (
        OPEN_ENDED_DAYS
        if need["period"]["end"] == OPEN_END
        else _days(need["period"]["start"], need["period"]["end"])
    )
    period_score = min(1.0, days / need_days)
    limit = min(radii) if radii else DEFAULT_RADIUS_KM
    distance_score = 0.5 if distance is None else max(0.0, 1 - distance / max(limit, 1.0))
    score = (
        WEIGHTS["skills"] * skills_score
        + WEIGHTS["quantity"] * quantity
        + WEIGHTS["period"] * period_score
        + WEIGHTS["distance"] * distance_score
    )
    return Fit(
        score=round(score, 4),
        matched_skills=matched,
        related_skills=related,
        missing_skills=missing,
        suggested_trainings=suggested,
        distance_km=distance,
        overlap_days=days,
        quantity_covered=covered,
    )


def people_offered(offer: dict[str, Any]) -> int:
    """Headcount an offer of people stands for: a TALENT referral is one person."""
    return 1 if offer["kind"] == OfferKind.TALENT else int(offer.get("headcount") or 1)


def _has_certifications(offer: dict[str, Any], need: dict[str, Any]) -> bool:
    held = {c.casefold() for c in offer.get("certifications", [])}
    return all(c.casefold() in held for c in need.get("certifications", []))


def _quantity(offer: dict[str, Any], need: dict[str, Any]) -> tuple[float, float]:
    """(share of the need covered, quantity covered) in headcount or amount."""
    if need["kind"] == NeedKind.PRODUCTION:
        wanted, given = need.get("amount") or 0, offer.get("amount") or 0
        if (offer.get("unit") or "").casefold() != (need.get("unit") or "").casefold():
            return 0.5, 0.0  # not comparable: neither rewarded nor punished
    else:
        wanted = need.get("headcount") or 1
        given = people_offered(offer)
    covered = min(wanted, given)
    return (covered / wanted if wanted else 0.0), float(covered)
