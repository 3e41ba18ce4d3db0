"""Open listings in memory, indexed for candidate search: skill, then grid cell, then ids.

The embedded store answers the matcher's candidate query (a multikey `$in` over a
listing's skills and their related skills) in ~600 ms at 100,000 listings whatever
the index, so candidates are found here instead: a need's or offer's skills and search
cells name a few posting sets, and the listings in them are counted, checked against
the cheap hard rules (kind, other organisation, overlapping period) and ranked by how
many of the asked skills they hold. Only the fields matching reads are kept.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gateway.domain.lifetime import Lifetime

Doc = dict[str, Any]

MATCHING_FIELDS = (
    "_id",
    "kind",
    "organisation",
    "clusters",
    "status",
    "period",
    "location.lat",
    "location.lon",
    "cell",
    "radius_km",
    "skills",
    "required_skills",
    "optional_skills",
    "capabilities",
    "certifications",
    "amount",
    "unit",
    "headcount",
    "consent.given_at",
    "skill_set",
    "employment",
    "arrangement",
)
"""What scoring, sharing and a match's stored fields read of a listing (a projection)."""


_SHARED = ("kind", "organisation", "status", "cell", "unit")
_SHARED_LISTS = ("clusters", "skills", "required_skills", "optional_skills", "capabilities")


def for_matching(doc: Doc) -> Doc:
    """`doc` cut to `MATCHING_FIELDS`: what an index entry holds. Strings that many
    listings repeat are interned, so 100,000 entries hold one copy of each."""
    kept = {k: doc[k] for k in MATCHING_FIELDS if k in doc}
    for name in _SHARED:
        if isinstance(kept.get(name), str):
            kept[name] = sys.intern(kept[name])
    for name in _SHARED_LISTS:
        if name in kept:
            kept[name] = [sys.intern(s) for s in kept[name]]
    kept["skill_set"] = [sys.intern(s) for s in kept.get("skill_set", ())]
    location = doc.get("location") or {}
    kept["location"] = {k: location[k] for k in ("lat", "lon") if location.get(k) is not None}
    if "consent" in doc:  # only when consent was given: the TTL of a TALENT match
        kept["consent"] = {"given_at": doc["consent"]["given_at"]}
    return kept


def required_of(doc: Doc) -> frozenset[str]:
    """What a need requires: its required skills, or for production its capabilities."""
    return frozenset(doc.get("required_skills") or doc.get("capabilities") or ())


@dataclass(frozen=True)
class CandidateQuery:
    """Listings holding any of `skills`, of one of `kinds`, not of `organisation`, whose
    period overlaps `start`..`end`, located in one of `cells` or not located at all
    (`cells` None: anywhere).

    Two optional hard rules cut the rest before any scoring; both only drop listings
    that scoring would reject: `holding_each` (an offer must hold a skill of each set:
    one that covers each required skill no training teaches) and `requiring_within` (a
    need must require only skills in this set: what the offer covers or a training
    teaches).
    """

    skills: Iterable[str]
    kinds: frozenset[str]
    organisation: str | None
    start: dt.datetime
    end: dt.datetime
    cells: frozenset[str] | None = None
    holding_each: tuple[frozenset[str], ...] = ()
    requiring_within: frozenset[str] | None = None
    lifetime: Lifetime | None = None
    """When given, listings whose time is over (see `Lifetime.lapsed`) are left out."""
    admits: Callable[[Doc], bool] | None = None
    """A last, exact test (visibility, distance) so that the cut keeps only real pairs."""
    bound: Callable[[Doc], float] | None = None
    """An upper bound of a candidate's score: `ranked` orders by it."""


class CandidateIndex:
    """The open listings of one collection, by skill and grid cell."""

    def __init__(self, status: str = "OPEN") -> None:
        self._status = status
        self._docs: dict[str, Doc] = {}
        self._skills: dict[str, frozenset[str]] = {}
        self._required: dict[str, frozenset[str]] = {}
        self._kind_skills: Counter[tuple[str, str]] = Counter()
        self._postings: defaultdict[str, defaultdict[str | None, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, listing_id: str) -> bool:
        return listing_id in self._docs

    def put(self, doc: Doc) -> None:
        """Take in the listing as it is now: indexed while open, dropped otherwise."""
        self.remove(doc["_id"])
        if doc.get("status") != self._status:
            return
        kept = for_matching(doc)
        listing_id = kept["_id"]
        self._docs[listing_id] = kept
        self._skills[listing_id] = skills = frozenset(kept["skill_set"])
        self._required[listing_id] = required_of(kept)
        self._kind_skills.update((kept["kind"], skill) for skill in skills)
        for skill in skills:
            self._postings[skill][kept.get("cell")].add(listing_id)

    def held_by_kind(self, kind: str) -> frozenset[str]:
        """Skills some open listing of `kind` holds (e.g. what any TRAINING teaches)."""
        return frozenset(skill for (k, skill), n in self._kind_skills.items() if k == kind and n)

    def lapsed(self, lifetime: Lifetime) -> list[str]:
        """Ids of the listings whose time is over (see `Lifetime.lapsed`)."""
        return sorted(i for i, doc in self._docs.items() if lifetime.lapsed(doc))

    def remove(self, listing_id: str) -> None:
        old = self._docs.pop(listing_id, None)
        if old is None:
            return
        self._required.pop(listing_id)
        skills = self._skills.pop(listing_id)
        self._kind_skills.subtract((old["kind"], skill) for skill in skills)
        for skill in skills:
            by_cell = self._postings[skill]
            ids = by_cell[old.get("cell")]
            ids.discard(listing_id)
            if not ids:
                del by_cell[old.get("cell")]
                if not by_cell:
                    del self._postings[skill]

    def find(self, query: CandidateQuery, limit: int) -> list[Doc]:
        """Up to `limit` listings for `query`, those holding most of its skills first
        (ties by id, so the same state gives the same answer)."""
        ranked = sorted((-count, listing_id) for listing_id, count in self._matching(query))
        return [self._docs[listing_id] for _, listing_id in ranked[:limit]]

    def ranked(self, query: CandidateQuery, limit: int) -> Iterator[tuple[float, Doc]]:
        """Every listing for `query` with its `query.bound`, highest bound first (then
        most skills held, then id), produced lazily: a caller that stops early pays
        for a heap, not a sort. With no more than `limit` of them nothing is cut, so
        none is bounded (their bound is infinite)."""
        assert query.bound is not None
        found = list(self._matching(query))
        if len(found) <= limit:
            for listing_id, _ in found:
                yield math.inf, self._docs[listing_id]
            return
        heap = [
            (-query.bound(self._docs[listing_id]), -count, listing_id)
            for listing_id, count in found
        ]
        heapq.heapify(heap)
        while heap:
            bound, _, listing_id = heapq.heappop(heap)
            yield -bound, self._docs[listing_id]

    def _matching(self, query: CandidateQuery) -> Iterator[tuple[str, int]]:
        """(id, skills of the query held) of every listing for `query`."""
        shared: Counter[str] = Counter()
        for skill in set(query.skills):
            by_cell = self._postings.get(skill)
            if not by_cell:
                continue
            if query.cells is None:
                groups: Iterable[set[str]] = by_cell.values()
            else:
                groups = (by_cell[c] for c in (*query.cells, None) if c in by_cell)
            for ids in groups:
                shared.update(ids)
        return ((i, count) for i, count in shared.items() if self._admits(i, query))

    def _admits(self, listing_id: str, query: CandidateQuery) -> bool:
        doc = self._docs[listing_id]
        period = doc["period"]
        if (
            doc["kind"] not in query.kinds
            or doc["organisation"] == query.organisation
            or period["start"] > query.end
            or period["end"] < query.start
        ):
            return False
        if query.requiring_within is not None and not (
            self._required[listing_id] <= query.requiring_within
        ):
            return False
        held = self._skills[listing_id]
        if not all(not held.isdisjoint(cover) for cover in query.holding_each):
            return False
        if query.lifetime is not None and query.lifetime.lapsed(doc):
            return False
        return query.admits is None or query.admits(doc)
