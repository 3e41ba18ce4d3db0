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

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from gateway.domain.access import Sharing
from gateway.domain.candidates import CandidateIndex, CandidateQuery, required_of
from gateway.domain.documents import OPEN_END
from gateway.domain.geo import cells_within
from gateway.domain.lifetime import Lifetime
from gateway.domain.matches import ACTIVE_STATUSES, MatchCounts, match_fields, match_id
from gateway.domain.scoring import (
    Fit,
    distance_km,
    fit,
    ready_by,
    ready_in_time,
    score_bound,
    within_reach,
)
from gateway.domain.taxonomy import Taxonomy
from gateway.services.sharing import load_sharing
from gateway.store.database import Store
from gateway.store.matches import RETRACT, UPSERT, write_matches
from schemas.common import Status, utcnow
from schemas.listing import NeedKind, OfferKind

MAX_MATCHES = 500
"""Matches kept per listing: its best-scoring counterparts, bounded for predictable cost."""

MAX_TRAININGS = 100_000
"""Trainings considered per need: all of them in practice."""

MAX_EXISTING = 1_000_000
"""Matches of one refresh's listings read back at most; far above any real count."""

PEOPLE_KINDS = (OfferKind.STAFF, OfferKind.TALENT)

Doc = dict[str, Any]
Scored = tuple[Doc, Fit]


def _search(doc: Doc, skills: Iterable[str], kinds: Iterable[str]) -> CandidateQuery:
    """Listings with any of `skills`, of one of `kinds`, overlapping `doc`'s period."""
    return CandidateQuery(
        skills=tuple(skills),
        kinds=frozenset(kinds),
        organisation=None,
        start=doc["period"]["start"],
        end=doc["period"]["end"],
    )


def _best(
    ranked: Iterator[tuple[float, Doc]],
    score: Callable[[Doc], Fit | None],
    key: Callable[[Fit], float],
    limit: int,
) -> list[Scored]:
    """The `limit` best-scoring fits among candidates ranked by an upper bound of their
    score: scoring stops once no candidate left could beat the `limit`-th best kept, so
    the cut never drops a better counterpart than one it keeps."""
    kept: list[tuple[float, str, Doc, Fit]] = []  # a min-heap of the best so far
    for bound, doc in ranked:
        if len(kept) == limit and bound <= kept[0][0]:
            break
        found = score(doc)
        if found is None:
            continue
        entry = (key(found), doc["_id"], doc, found)
        if len(kept) < limit:
            heapq.heappush(kept, entry)
        elif entry[:2] > kept[0][:2]:
            heapq.heapreplace(kept, entry)
    return [(doc, found) for _, _, doc, found in sorted(kept, key=lambda e: (-e[0], e[1]))]


class Matcher:
    def __init__(
        self,
        store: Store,
        listings: Mapping[str, CandidateIndex],
        taxonomy: Taxonomy,
        sharing: Sharing,
        lifetime: Lifetime,
    ) -> None:
        self.store = store
        self.offers = listings["offers"]
        self.needs = listings["needs"]
        self.taxonomy = taxonomy
        self.sharing = sharing
        self.lifetime = lifetime

    @classmethod
    async def load(
        cls, store: Store, listings: Mapping[str, CandidateIndex], taxonomy: Taxonomy
    ) -> Matcher:
        """A matcher with the current sharing policies, searching `listings` (the open
        offers and needs of a `gateway.live.catalogue.Catalogue`), as of now."""
        lifetime = Lifetime(utcnow(), store.referral_ttl)
        return cls(store, listings, taxonomy, await load_sharing(store), lifetime)

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
        trainings: dict[str, list[Doc]] = {}

        fits: dict[str, dict[str, tuple[Doc, Doc, Fit]]] = {n["_id"]: {} for n in needs}
        for need in needs:
            if self.lifetime.status(need) == Status.OPEN:
                for offer, found in self.offers_for(need, self._trainings(need, trainings)):
                    fits[need["_id"]][match_id(offer["_id"], need["_id"])] = (offer, need, found)
        await self._diff(counts, writes, "need", fits)

        fits = {}
        taught_anywhere = self.taxonomy.holdings(self.offers.held_by_kind(OfferKind.TRAINING))
        for offer in offers:
            if offer["kind"] == OfferKind.TRAINING:
                affected = self._needs_taught_by(offer)
                counts.add(
                    await self.refresh(needs=[n for n in affected if n["_id"] not in need_ids])
                )
                continue
            fits[offer["_id"]] = {}
            if self.lifetime.status(offer) != Status.OPEN:
                continue
            found_needs = self.needs_for(
                offer, taught_anywhere, partial(self._trainings, cache=trainings), need_ids
            )
            for need, found in found_needs:
                fits[offer["_id"]][match_id(offer["_id"], need["_id"])] = (offer, need, found)
        await self._diff(counts, writes, "offer", fits, keep=need_ids)
        if writes:
            await write_matches(self.store, writes)
        return counts

    def _reach(
        self,
        doc: Doc,
        skills: Iterable[str],
        kinds: Iterable[str],
        skip: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> CandidateQuery:
        """Open, current counterparts of another organisation holding any of `skills`,
        overlapping in time, that `doc` and they may see of each other, within both
        travel radii; none of `skip`."""
        location = doc.get("location") or {}
        cells = None
        if location.get("lat") is not None and doc.get("radius_km"):
            cells = frozenset(cells_within(location["lat"], location["lon"], doc["radius_km"]))
        return replace(
            _search(doc, skills, kinds),
            organisation=doc["organisation"],
            cells=cells,
            lifetime=self.lifetime,
            admits=lambda other: (
                other["_id"] not in skip
                and within_reach(doc, other)
                and self.sharing.mutual(doc, other)
            ),
        )

    def _covering(
        self, need: Doc, taught: frozenset[str]
    ) -> list[tuple[frozenset[str], bool, bool]]:
        """Per skill `need` asks for: what covers it, whether required, whether taught."""
        required = required_of(need)
        wanted = list(required) + list(need.get("optional_skills", []))
        return [
            (self.taxonomy.covering(skill), skill in required, skill in taught) for skill in wanted
        ]

    def offers_for(
        self, need: Doc, trainings: Sequence[Doc] = (), limit: int = MAX_MATCHES
    ) -> list[Scored]:
        """The `limit` offers that fit `need` best, with their fits.

        Candidates hold, for each required skill no training in `trainings` teaches,
        that skill, one implying it or (unless regulated) a related one (else scoring
        would reject them), and are scored in order of their score bound.
        """
        if need["kind"] == NeedKind.PRODUCTION:
            kinds, trainings = [OfferKind.PRODUCTION], ()  # capabilities are never trained
        else:
            kinds = PEOPLE_KINDS
        taught = self.taxonomy.holdings(s for t in trainings for s in t.get("skills", []))
        covering = self._covering(need, taught)
        untaught = sorted(required_of(need) - taught)
        query = replace(
            self._reach(need, frozenset().union(*(c for c, _, _ in covering)), kinds),
            holding_each=tuple(self.taxonomy.covering(skill) for skill in untaught),
            bound=lambda offer: score_bound(
                offer, need, self.taxonomy, covering, lifetime=self.lifetime
            ),
        )
        return _best(
            self.offers.ranked(query, limit),
            lambda offer: fit(offer, need, self.taxonomy, trainings, lifetime=self.lifetime),
            lambda found: found.score,
            limit,
        )

    def needs_for(
        self,
        offer: Doc,
        taught_anywhere: frozenset[str],
        trainings_of: Callable[[Doc], Sequence[Doc]],
        skip: set[str] = frozenset(),  # type: ignore[assignment]
        limit: int = MAX_MATCHES,
    ) -> list[Scored]:
        """The `limit` needs `offer` fits best from its own perspective, with the fits.

        Candidates require only skills the offer covers (held, implied or, unless
        regulated, related) or some training teaches (else scoring would reject them),
        and are scored in order of their score bound; `skip` are left out.
        """
        if offer["kind"] == OfferKind.PRODUCTION:
            have, kind = offer.get("capabilities", []), NeedKind.PRODUCTION
            taught_anywhere = frozenset()
        else:
            have, kind = offer.get("skills", []), NeedKind.STAFF
        covered = self.taxonomy.covered_by(have)
        query = replace(
            self._reach(offer, covered, [kind], skip),
            requiring_within=covered | taught_anywhere,
            bound=lambda need: score_bound(
                offer,
                need,
                self.taxonomy,
                self._covering(need, taught_anywhere),
                lifetime=self.lifetime,
                offer_side=True,
            ),
        )
        return _best(
            self.needs.ranked(query, limit),
            lambda need: fit(
                offer, need, self.taxonomy, trainings_of(need), lifetime=self.lifetime
            ),
            lambda found: found.offer_score,
            limit,
        )

    def _needs_taught_by(self, training: Doc) -> list[Doc]:
        """Current STAFF needs a training could serve: their suggestions may change."""
        query = replace(
            _search(training, self.taxonomy.holdings(training.get("skills", [])), [NeedKind.STAFF]),
            start=training["period"]["start"],
            end=OPEN_END,
            lifetime=self.lifetime,
            admits=lambda need: ready_in_time(training, need),
        )
        return self.needs.find(query, MAX_TRAININGS)

    def _trainings(self, need: Doc, cache: dict[str, list[Doc]]) -> list[Doc]:
        """Open TRAINING offers that could close `need`'s skill gaps in time, searched
        uncut, so that whether a pair fits never depends on how listings are batched."""
        if need["_id"] not in cache:
            wanted = {s for skill in required_of(need) for s in self.taxonomy.satisfiers(skill)}
            query = replace(
                _search(need, wanted, [OfferKind.TRAINING]),
                start=self.lifetime.now,
                end=ready_by(need),
                lifetime=self.lifetime,
                admits=partial(self._training_serves, need),
            )
            cache[need["_id"]] = self.offers.find(query, MAX_TRAININGS)
        return cache[need["_id"]]

    def _training_serves(self, need: Doc, training: Doc) -> bool:
        """A visible course, ready in time, within the larger of the two radii (people
        travel to learn)."""
        if not self.sharing.sees(need, training) or not ready_in_time(training, need):
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
