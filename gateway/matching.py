"""The matching engine: keeps one match per fitting (offer, need) pair up to date.

Called after every create, update or status change of offers and needs, and after
bulk imports. Candidates come from an indexed query (kind, status, skills, period,
grid cell), never a scan of the counterpart collection; `gateway.scoring` decides
and scores; the sharing policies decide who may be paired. A match that is new or
scores differently gets the next number of a global sequence, its cursor, so that
dashboards can replay what they missed in order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.access import Sharing
from gateway.geo import cells_within
from gateway.query import combine
from gateway.scoring import Fit, distance_km, fit, overlap_days
from gateway.store import Store
from gateway.taxonomy import Taxonomy
from schemas.common import utcnow

MAX_CANDIDATES = 500
"""Counterparts examined per listing: the best-placed, bounded for predictable cost."""

STAFF_OFFER_KINDS = ["STAFF", "TALENT"]
ACTIVE_STATUSES = ("PROPOSED", "CONTACTED")
"""Matches still in play; those are retracted when a side closes. Later ones are history."""

Doc = dict[str, Any]


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
    return f"{offer_id}|{need_id}"


def _fingerprint(fields: Doc) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _located_cells(doc: Doc) -> list[str] | None:
    """Cells within the listing's radius, or None when distance cannot narrow the search."""
    location = doc.get("location") or {}
    if location.get("lat") is None or doc.get("radius_km") is None:
        return None
    return cells_within(location["lat"], location["lon"], doc["radius_km"])


def _overlapping(doc: Doc) -> Doc:
    return {
        "period.start": {"$lte": doc["period"]["end"]},
        "period.end": {"$gte": doc["period"]["start"]},
    }


def _with_related(skills: Iterable[str], taxonomy: Taxonomy) -> list[str]:
    found = set(skills)
    for skill in list(found):
        found |= taxonomy.related(skill)
    return sorted(found)


class Matcher:
    def __init__(self, store: Store, taxonomy: Taxonomy, sharing: Sharing) -> None:
        self.store = store
        self.taxonomy = taxonomy
        self.sharing = sharing

    @classmethod
    async def load(cls, store: Store, taxonomy: Taxonomy) -> Matcher:
        return cls(store, taxonomy, await Sharing.load(store))

    async def refresh(
        self,
        offers: Sequence[Doc] = (),
        needs: Sequence[Doc] = (),
        *,
        skip_needs: set[str] | None = None,
    ) -> MatchCounts:
        """Bring the matches of these listings up to date (create, re-score, retract).

        `skip_needs` are needs refreshed in the same run already: pairs with them are
        neither recomputed nor retracted from the offers' side. All writes of one call
        go to the store as one bulk write.
        """
        counts = MatchCounts()
        writes: list[tuple[str, Doc]] = []
        need_ids = {n["_id"] for n in needs} | (skip_needs or set())

        pairs: list[tuple[Doc, Doc]] = []  # (offer, need) candidates, both sides at once
        for need in needs:
            if need["status"] == "OPEN":
                pairs += [(offer, need) for offer in await self._offers_for(need)]
        trainings = await self._trainings_for([n for n in needs if n["status"] == "OPEN"])
        await self._diff(counts, writes, "need", self._fits(pairs, trainings, needs, "need"))

        pairs = []
        for offer in offers:
            if offer["kind"] == "TRAINING":
                affected = await self._needs_taught_by(offer)
                counts.add(
                    await self.refresh(needs=[n for n in affected if n["_id"] not in need_ids])
                )
            elif offer["status"] == "OPEN":
                candidates = await self._needs_for(offer)
                pairs += [(offer, n) for n in candidates if n["_id"] not in need_ids]
        trainings = await self._trainings_for(list({n["_id"]: n for _, n in pairs}.values()))
        listings = [o for o in offers if o["kind"] != "TRAINING"]
        await self._diff(
            counts, writes, "offer", self._fits(pairs, trainings, listings, "offer"), keep=need_ids
        )
        if writes:
            await self.store.write_matches(writes)
        return counts

    def _fits(
        self,
        pairs: list[tuple[Doc, Doc]],
        trainings: dict[str, list[Doc]],
        listings: Sequence[Doc],
        side: str,
    ) -> dict[str, dict[str, tuple[Doc, Doc, Fit]]]:
        """Fitting pairs grouped by the `side` listing (every listing gets an entry)."""
        fits: dict[str, dict[str, tuple[Doc, Doc, Fit]]] = {d["_id"]: {} for d in listings}
        for offer, need in pairs:
            if not self.sharing.mutual(offer, need):
                continue
            found = fit(offer, need, self.taxonomy, trainings.get(need["_id"], []))
            if found:
                owner = need["_id"] if side == "need" else offer["_id"]
                fits[owner][match_id(offer["_id"], need["_id"])] = (offer, need, found)
        return fits

    async def _offers_for(self, need: Doc) -> list[Doc]:
        production = need["kind"] == "PRODUCTION"
        wanted = (
            need.get("capabilities", [])
            if production
            else (need.get("required_skills", []) + need.get("optional_skills", []))
        )
        query: Doc = {
            "skill_set": {"$in": _with_related(wanted, self.taxonomy)},
            "kind": "PRODUCTION" if production else {"$in": STAFF_OFFER_KINDS},
            "status": "OPEN",
            **_overlapping(need),
            "organisation": {"$ne": need["organisation"]},
        }
        cells = _located_cells(need)
        if cells:
            query["cell"] = {"$in": cells}
        return await self.store.find("offers", combine(query), limit=MAX_CANDIDATES)

    async def _needs_for(self, offer: Doc) -> list[Doc]:
        production = offer["kind"] == "PRODUCTION"
        have = offer.get("capabilities" if production else "skills", [])
        query: Doc = {
            "skill_set": {"$in": _with_related(have, self.taxonomy)},
            "kind": "PRODUCTION" if production else "STAFF",
            "status": "OPEN",
            **_overlapping(offer),
            "organisation": {"$ne": offer["organisation"]},
        }
        cells = _located_cells(offer)
        if cells:
            query["cell"] = {"$in": cells}
        return await self.store.find("needs", combine(query), limit=MAX_CANDIDATES)

    async def _needs_taught_by(self, training: Doc) -> list[Doc]:
        """STAFF needs whose skills a training teaches: their suggestions may change."""
        query: Doc = {
            "skill_set": {"$in": training.get("skills", [])},
            "kind": "STAFF",
            "status": "OPEN",
            **_overlapping(training),
        }
        return await self.store.find("needs", query, limit=MAX_CANDIDATES)

    async def _trainings_for(self, needs: list[Doc]) -> dict[str, list[Doc]]:
        """Open TRAINING offers that could close each need's skill gaps: one query for all."""
        wanted = {s for n in needs for s in n.get("required_skills", [])}
        if not wanted:
            return {}
        query = {"skill_set": {"$in": sorted(wanted)}, "kind": "TRAINING", "status": "OPEN"}
        trainings = await self.store.find("offers", query, limit=MAX_CANDIDATES)
        return {
            need["_id"]: [t for t in trainings if self._training_serves(t, need)] for need in needs
        }

    def _training_serves(self, training: Doc, need: Doc) -> bool:
        if overlap_days(training["period"], need["period"]) == 0:
            return False
        if not self.sharing.sees(need, training):
            return False
        distance = distance_km(training, need)
        radii = [r for r in (training.get("radius_km"), need.get("radius_km")) if r is not None]
        return distance is None or not radii or distance <= max(radii)

    async def _diff(
        self,
        counts: MatchCounts,
        writes: list[tuple[str, Doc]],
        side: str,
        fits_by_listing: dict[str, dict[str, tuple[Doc, Doc, Fit]]],
        keep: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        """Queue what changed for these listings; retract active matches that no longer fit."""
        if not fits_by_listing:
            return
        existing_matches = await self.store.find(
            "matches", {side: {"$in": list(fits_by_listing)}}, limit=1_000_000
        )
        existing = {m["_id"]: m for m in existing_matches}
        other = "need" if side == "offer" else "offer"
        fitting = {pair for fits in fits_by_listing.values() for pair in fits}
        for fits in fits_by_listing.values():
            for pair, (offer, need, found) in fits.items():
                fields = _match_fields(offer, need, found)
                old = existing.get(pair)
                if old is None:
                    writes.append(("insert", {"_id": pair, **fields, "status": "PROPOSED"}))
                    counts.created += 1
                elif old.get("fingerprint") != fields["fingerprint"] or not old.get("active"):
                    writes.append(("update", {"_id": pair, **fields}))
                    counts.rescored += 1
        for pair, old in existing.items():
            if pair in fitting or not old.get("active") or old["status"] not in ACTIVE_STATUSES:
                continue
            if old[other] in keep:
                continue  # the other side is being refreshed in the same run
            writes.append(("retract", {"_id": pair}))
            counts.retracted += 1


def _match_fields(offer: Doc, need: Doc, found: Fit) -> Doc:
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
        "explanation": found.explanation(),
        "suggested_trainings": found.suggested_trainings,
    }
    if offer["kind"] == "TALENT":  # expires with the referral (TTL index)
        fields["talent_consent_at"] = offer["consent"]["given_at"]
    fields["fingerprint"] = _fingerprint(fields)
    fields["active"] = True
    fields["updated_at"] = utcnow()
    return fields
