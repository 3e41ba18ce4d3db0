"""Matches as documents: their identity, their stored fields and their life cycle."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from gateway.domain.scoring import Fit
from gateway.errors import InputError
from schemas.listing import OfferKind

Doc = dict[str, Any]


class MatchStatus(enum.StrEnum):
    PROPOSED = "PROPOSED"
    CONTACTED = "CONTACTED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    PLACED = "PLACED"


TRANSITIONS: dict[MatchStatus, frozenset[MatchStatus]] = {
    MatchStatus.PROPOSED: frozenset({MatchStatus.CONTACTED, MatchStatus.DECLINED}),
    MatchStatus.CONTACTED: frozenset({MatchStatus.ACCEPTED, MatchStatus.DECLINED}),
    MatchStatus.ACCEPTED: frozenset({MatchStatus.PLACED, MatchStatus.DECLINED}),
    MatchStatus.DECLINED: frozenset(),
    MatchStatus.PLACED: frozenset(),
}

ACTIVE_STATUSES = (MatchStatus.PROPOSED, MatchStatus.CONTACTED)
"""Matches still in play; those are retracted when a side closes. Later ones are history."""


def check_transition(current: MatchStatus, new: MatchStatus) -> None:
    """`InputError` (INVALID_TRANSITION) unless a match may move from `current` to `new`."""
    if new != current and new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise InputError.one(
            "status", f"{current} cannot become {new} (allowed: {allowed})", "INVALID_TRANSITION"
        )


@dataclass
class MatchCounts:
    created: int = 0
    rescored: int = 0
    retracted: int = 0

    def add(self, other: MatchCounts) -> None:
        self.created += other.created
        self.rescored += other.rescored
        self.retracted += other.retracted


def match_id(offer_id: str, need_id: str) -> str:
    """One match per (offer, need): the pair is its key."""
    return f"{offer_id}|{need_id}"


def _fingerprint(fields: Doc) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:24]


def match_fields(offer: Doc, need: Doc, found: Fit) -> Doc:
    """What a match stores about its pair; `fingerprint` tells whether a re-score changed it."""
    fields = {
        "offer": offer["_id"],
        "need": need["_id"],
        "kind": need["kind"],
        "offer_kind": offer["kind"],
        "offer_organisation": offer["organisation"],
        "need_organisation": need["organisation"],
        "offer_clusters": offer.get("clusters", []),
        "need_clusters": need.get("clusters", []),
        "parties": sorted({offer["organisation"], need["organisation"]}),
        "clusters": sorted(set(offer.get("clusters", [])) | set(need.get("clusters", []))),
        "score": found.score,
        "offer_score": found.offer_score,
        "explanation": found.explanation(),
        "suggested_trainings": found.suggested_trainings,
    }
    if offer["kind"] == OfferKind.TALENT:  # expires with the referral (TTL index)
        fields["talent_consent_at"] = offer["consent"]["given_at"]
    fields["fingerprint"] = _fingerprint(fields)
    fields["active"] = True
    return fields
