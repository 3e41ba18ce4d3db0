"""Matching as durable, idempotent work: every listing write leaves a due mark, and
whoever holds its lease matches it and clears the mark.

An API write claims its own listing in the same write and matches it at once, so a
mutation still answers with its matches made; an import marks what it changed and
then drains the queue; every hub process drains it in the background, which picks up
the work of a hub, seed or import that died midway. Matching is idempotent (a match
that is already so is not written again), so work done twice changes nothing and a
crash at any moment, followed by a restart or a re-run, converges to the matches an
uninterrupted run gives.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from pymongo.errors import PyMongoError

from gateway.domain.lifetime import Lifetime
from gateway.domain.matches import MatchCounts
from gateway.domain.taxonomy import Taxonomy
from gateway.errors import Unavailable
from gateway.live.catalogue import Catalogue, own_catalogue
from gateway.services.matching import Matcher
from gateway.services.taxonomy import load_taxonomy
from gateway.store import matchqueue
from gateway.store.database import Store
from gateway.store.versioned import set_status_where
from schemas.common import Status, utcnow

log = logging.getLogger("clusterhub.matching")

LEASE_SECONDS = 30.0
"""How long a claim holds; work of a dead owner on another host waits this long."""
BATCH = 200
"""Listings matched together: one candidate read of the trainings, one match write."""
POLL_SECONDS = 2.0
EXPIRY_SECONDS = 60.0
"""How often a process marks listings whose time is over EXPIRED."""

Doc = dict[str, Any]
Progress = Callable[[int], None]
"""Called with the number of listings just matched."""


class MatchingQueue:
    """One process's worker on the shared matching queue, searching its catalogue."""

    def __init__(self, store: Store, catalogue: Catalogue) -> None:
        self.store = store
        self.catalogue = catalogue
        self.owner = matchqueue.new_owner()

    def claimed_fields(self) -> Doc:
        """Fields for a listing write that marks it due and claims it for this process."""
        return matchqueue.due_fields(self.owner, LEASE_SECONDS)

    async def match_now(self, collection: str, doc: Doc, taxonomy: Taxonomy) -> None:
        """Match a listing this process just wrote and claimed."""
        await self._match(collection, [doc], await self._matcher(taxonomy), set())

    async def drain(
        self, taxonomy: Taxonomy | None = None, progress: Progress | None = None
    ) -> MatchCounts:
        """Match every due listing (waiting for other owners' leases) until none is left."""
        counts = MatchCounts()
        matcher = await self._matcher(taxonomy or await load_taxonomy(self.store))
        done_needs: set[str] = set()
        while True:
            worked = False
            for collection in matchqueue.LISTINGS:
                while docs := await self._claim(collection):
                    worked = True
                    counts.add(await self._match(collection, docs, matcher, done_needs))
                    if progress:
                        progress(len(docs))
            if not worked:
                if not await matchqueue.pending(self.store):
                    return counts
                await asyncio.sleep(0.5)  # another owner holds the rest: wait for it

    async def run(self) -> None:
        """Drain the queue now and then, and expire listings whose time is over, for as
        long as the process lives."""
        expired_at = 0.0
        while True:
            try:
                if time.monotonic() - expired_at >= EXPIRY_SECONDS:
                    await self.expire()
                    expired_at = time.monotonic()
                if await matchqueue.pending(self.store):
                    await self.drain()
            except (PyMongoError, Unavailable) as error:
                log.warning("matching queue: the store did not answer (%s); retrying", error)
            await asyncio.sleep(POLL_SECONDS)

    async def expire(self) -> int:
        """Store EXPIRED for open listings whose period ended or whose referral consent
        lapsed, marked due so that their matches are retracted. Matching never pairs
        them meanwhile (`Lifetime` is a hard rule); this makes the stored status agree.
        The catalogue names them, so no store scan is needed."""
        lifetime = Lifetime(utcnow(), self.store.referral_ttl)
        moved = 0
        for collection, index in self.catalogue.listings.items():
            if ids := index.lapsed(lifetime):
                moved += await set_status_where(
                    self.store,
                    collection,
                    ids,
                    Status.OPEN,
                    Status.EXPIRED,
                    matchqueue.due_fields(),
                )
        if moved:
            log.info("expired %d listings whose time is over", moved)
        return moved

    async def _matcher(self, taxonomy: Taxonomy) -> Matcher:
        return await Matcher.load(self.store, self.catalogue.listings, taxonomy)

    async def _claim(self, collection: str) -> list[Doc]:
        return await matchqueue.claim(
            self.store, collection, self.owner, limit=BATCH, lease_seconds=LEASE_SECONDS
        )

    async def _match(
        self, collection: str, docs: list[Doc], matcher: Matcher, done_needs: set[str]
    ) -> MatchCounts:
        await self.catalogue.caught_up()  # the catalogue holds these listings' partners
        if collection == "needs":
            counts = await matcher.refresh(needs=docs)
            done_needs.update(d["_id"] for d in docs)
        else:
            counts = await matcher.refresh(offers=docs, skip_needs=done_needs)
        await matchqueue.done(self.store, collection, docs)
        return counts


@asynccontextmanager
async def own_queue(store: Store) -> AsyncIterator[MatchingQueue]:
    """A worker with a catalogue of its own, for a process that runs no hub (a seed)."""
    async with own_catalogue(store) as catalogue:
        yield MatchingQueue(store, catalogue)
