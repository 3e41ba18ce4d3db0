"""The matching engine: keeps one match per fitting (offer, need) pair up to date.

Called after every create, update or status change of offers and needs, and after
bulk imports. Candidates come from the process's catalogue of open listings, indexed
in memory by skill and grid cell (`gateway.live.catalogue`), never a scan of the
counterpart collection; `gateway.domain.scoring` decides
and scores; the sharing policies decide who may be paired. A match that is new or
scores differently gets the next number of a global sequence, its cursor, so that
dashboards can replay what they missed in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from gateway.domain.access import Sharing
from gateway.domain.candidates import CandidateIndex, CandidateQuery, required_of
from gateway.domain.geo import cells_within
from gateway.domain.matches import ACTIVE_STATUSES, MatchCounts, match_fields, match_id
from gateway.domain.scoring import Fit, distance_km, fit, within_reach
from gateway.domain.taxonomy import Taxonomy
from gateway.services.sharing import load_sharing
from gateway.store.database import Store
from gateway.store.matches import RETRACT, UPSERT, write_matches
from schemas.common import Status
from schemas.listing import NeedKind, OfferKind

MAX_CANDIDATES = 500
"""Counterparts examined per listing: the best-placed, bounded for predictable cost."""

MAX_TRAININGS = 100_000
"""Trainings considered per need: all of them in practice."""

MAX_EXISTING = 1_000_000
"""Matches of one refresh's listings read back at most; far above any real count."""

PEOPLE_KINDS = (OfferKind.STAFF, OfferKind.TALENT)

Doc = dict[str, Any]


def _search(doc: Doc, skills: Iterable[str], kinds: Iterable[str]) -> CandidateQuery:
    """Listings with any of `skills`, of one of `kinds`, overlapping `doc`'s period."""
    return CandidateQuery(
        skills=tuple(skills),
        kinds=frozenset(kinds),
        organisation=None,
        start=doc["period"]["start"],
        end=doc["period"]["end"],
    )


def _covering(skills: Iterable[str], taxonomy: Taxonomy) -> frozenset[str]:
    """The skills that cover any of `skills` (itself or related, named either way)."""
    return frozenset().union(*(taxonomy.covering(skill) for skill in skills))


def _counterparts(
    doc: Doc, skills: Iterable[str], kinds: Iterable[str], taxonomy: Taxonomy, sharing: Sharing
) -> CandidateQuery:
    """Open counterparts of another organisation sharing a skill, period and place, that
    `doc` and they may see of each other, within both travel radii."""
    location = doc.get("location") or {}
    cells = None
    if location.get("lat") is not None and doc.get("radius_km"):
        cells = frozenset(cells_within(location["lat"], location["lon"], doc["radius_km"]))
    return replace(
        _search(doc, _covering(skills, taxonomy), kinds),
        organisation=doc["organisation"],
        cells=cells,
        admits=lambda other: within_reach(doc, other) and sharing.mutual(doc, other),
    )


class Matcher:
    def __init__(
        self,
        store: Store,
        listings: Mapping[str, CandidateIndex],
        taxonomy: Taxonomy,
        sharing: Sharing,
    ) -> None:
        self.store = store
        self.offers = listings["offers"]
        self.needs = listings["needs"]
        self.taxonomy = taxonomy
        self.sharing = sharing

    @classmethod
    async def load(
        cls, store: Store, listings: Mapping[str, CandidateIndex], taxonomy: Taxonomy
    ) -> Matcher:
        """A matcher with the current sharing policies, searching `listings` (the open
        offers and needs of a `gateway.live.catalogue.Catalogue`)."""
        return cls(store, listings, taxonomy, await load_sharing(store))

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
        open_needs = [n for n in needs if n["status"] == Status.OPEN]
        trainings = self._trainings_for(open_needs)
        for need in open_needs:
            taught = {s for t in trainings.get(need["_id"], []) for s in t.get("skills", [])}
            pairs += [(offer, need) for offer in self.offers_for(need, taught)]
        await self._diff(counts, writes, "need", self._fits(pairs, trainings, needs, "need"))

        pairs = []
        taught_anywhere = self.offers.held_by_kind(OfferKind.TRAINING)
        for offer in offers:
            if offer["kind"] == OfferKind.TRAINING:
                affected = self._needs_taught_by(offer)
                counts.add(
                    await self.refresh(needs=[n for n in affected if n["_id"] not in need_ids])
                )
            elif offer["status"] == Status.OPEN:
                candidates = self.needs_for(offer, taught_anywhere)
                pairs += [(offer, n) for n in candidates if n["_id"] not in need_ids]
        trainings = self._trainings_for(list({n["_id"]: n for _, n in pairs}.values()))
        listings = [o for o in offers if o["kind"] != OfferKind.TRAINING]
        await self._diff(
            counts, writes, "offer", self._fits(pairs, trainings, listings, "offer"), keep=need_ids
        )
        if writes:
            await write_matches(self.store, writes)
        return counts

    def _fits(
        self,
        pairs: list[tuple[Doc, Doc]],
        trainings: dict[str, list[Doc]],
        listings: Sequence[Doc],
        side: str,
    ) -> dict[str, dict[str, tuple[Doc, Doc, Fit]]]:
        """Fitting pairs grouped by the `side` listing (every listing gets an entry); the
        pairs are candidates, so the two sides already may see each other."""
        fits: dict[str, dict[str, tuple[Doc, Doc, Fit]]] = {d["_id"]: {} for d in listings}
        for offer, need in pairs:
            found = fit(offer, need, self.taxonomy, trainings.get(need["_id"], []))
            if found:
                owner = need["_id"] if side == "need" else offer["_id"]
                fits[owner][match_id(offer["_id"], need["_id"])] = (offer, need, found)
        return fits

    def offers_for(
        self, need: Doc, taught: Iterable[str] = (), limit: int = MAX_CANDIDATES
    ) -> list[Doc]:
        """Offers for `need` that hold, for each required skill no training in `taught`
        teaches, that skill or a related one (else scoring would reject them)."""
        if need["kind"] == NeedKind.PRODUCTION:
            wanted, kinds = need.get("capabilities", []), [OfferKind.PRODUCTION]
            taught = ()  # capabilities are held, never trained
        else:
            wanted = need.get("required_skills", []) + need.get("optional_skills", [])
            kinds = PEOPLE_KINDS
        untaught = sorted(required_of(need) - set(taught))
        query = replace(
            _counterparts(need, wanted, kinds, self.taxonomy, self.sharing),
            holding_each=tuple(self.taxonomy.covering(skill) for skill in untaught),
        )
        return self.offers.find(query, limit)

    def needs_for(
        self, offer: Doc, taught_anywhere: frozenset[str] = frozenset(), limit: int = MAX_CANDIDATES
    ) -> list[Doc]:
        """Needs for `offer` requiring only skills it covers (held or related) or that
        some training teaches (else scoring would reject them)."""
        if offer["kind"] == OfferKind.PRODUCTION:
            have, kind = offer.get("capabilities", []), NeedKind.PRODUCTION
            taught_anywhere = frozenset()
        else:
            have, kind = offer.get("skills", []), NeedKind.STAFF
        covered = _covering(have, self.taxonomy)
        query = replace(
            _counterparts(offer, have, [kind], self.taxonomy, self.sharing),
            requiring_within=covered | taught_anywhere,
        )
        return self.needs.find(query, limit)

    def _needs_taught_by(self, training: Doc) -> list[Doc]:
        """STAFF needs whose skills a training teaches: their suggestions may change."""
        query = _search(training, training.get("skills", []), [NeedKind.STAFF])
        return self.needs.find(query, MAX_CANDIDATES)

    def _trainings_for(self, needs: list[Doc]) -> dict[str, list[Doc]]:
        """Open TRAINING offers that could close each need's skill gaps, searched per need
        and uncut, so that whether a pair fits never depends on how listings are batched."""
        found = {}
        for need in needs:
            query = replace(
                _search(need, need.get("required_skills", []), [OfferKind.TRAINING]),
                admits=partial(self._training_serves, need),
            )
            found[need["_id"]] = self.offers.find(query, MAX_TRAININGS)
        return found

    def _training_serves(self, need: Doc, training: Doc) -> bool:
        """A visible course within the larger of the two radii (people travel to learn)."""
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
        existing_matches = await self.store.find_in(
            "matches", side, list(fits_by_listing), {}, limit=MAX_EXISTING
        )
        existing = {m["_id"]: m for m in existing_matches}
        other = "need" if side == "offer" else "offer"
        fitting = {pair for fits in fits_by_listing.values() for pair in fits}
        for fits in fits_by_listing.values():
            for pair, (offer, need, found) in fits.items():
                fields = match_fields(offer, need, found)
                old = existing.get(pair)
                if old is None:
                    writes.append((UPSERT, {"_id": pair, **fields}))
                    counts.created += 1
                elif old.get("fingerprint") != fields["fingerprint"] or not old.get("active"):
                    writes.append((UPSERT, {"_id": pair, **fields}))
                    counts.rescored += 1
        for pair, old in existing.items():
            if pair in fitting or not old.get("active") or old["status"] not in ACTIVE_STATUSES:
                continue
            if old[other] in keep:
                continue  # the other side is being refreshed in the same run
            writes.append((RETRACT, {"_id": pair}))
            counts.retracted += 1
