"""The open offers and needs of the hub in this process's memory, for candidate search.

Loaded once at start-up and kept current from the process's one change stream, so
finding a listing's candidates asks no database (see `gateway.domain.candidates`).

Read your writes: before matching, `caught_up()` writes a mark and waits until the
change stream has brought it back. The stream delivers changes in commit order, so by
then the catalogue holds every listing committed before the mark, in particular the
listing about to be matched and everything committed before it. Of two listings
written at once by two processes, the later commit therefore sees the earlier one,
exactly as a database query issued after one's own write would; no pair is missed.
The same holds on a replica set, whose change streams are in commit order too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.domain.candidates import MATCHING_FIELDS, CandidateIndex
from gateway.errors import Unavailable, is_outage
from gateway.live.events import Event, EventStream
from gateway.store.database import Store

LISTINGS = ("offers", "needs")
MARKS = "catalogue_marks"
"""One document per catalogue, rewritten for each read-your-writes mark."""
COLLECTIONS = (*LISTINGS, MARKS)
"""What a change stream feeding a catalogue must watch."""
CATCH_UP_SECONDS = 30.0
"""Longer than a store restart under supervision; then the caller sees UNAVAILABLE."""


class Catalogue:
    """The open listings by collection, current to the change stream of `events`."""

    def __init__(self, store: Store, events: EventStream) -> None:
        self.store = store
        self.events = events
        self.listings = {name: CandidateIndex() for name in LISTINGS}
        self._mark_id = uuid.uuid4().hex
        self._marks_sent = 0
        self._marks_seen = 0
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self._backlog: list[tuple[str, Event]] | None = []

    @property
    def size(self) -> int:
        return sum(len(index) for index in self.listings.values())

    async def load(self) -> None:
        """Read the open listings; changes arriving meanwhile are applied after them.

        The stream is already running, so a change during the read is both maybe in
        what was read and surely in the backlog; replaying the backlog in order leaves
        every listing as its last change made it.
        """
        self.events.tap(self._on_change)
        for name, index in self.listings.items():
            async for doc in self.store.each(name, {"status": "OPEN"}, projection=MATCHING_FIELDS):
                index.put(doc)
        backlog, self._backlog = self._backlog or [], None
        for collection, event in backlog:
            self._apply(collection, event)

    async def caught_up(self) -> None:
        """Return once every write committed before this call is in the catalogue."""
        self._marks_sent += 1
        mark = self._marks_sent
        arrived = asyncio.get_running_loop().create_future()
        self._waiting[mark] = arrived
        try:
            await self.store.put(MARKS, {"_id": self._mark_id, "seq": mark})
            await asyncio.wait_for(asyncio.shield(arrived), CATCH_UP_SECONDS)
        except TimeoutError:
            raise Unavailable("the change stream did not answer; matching waits") from None
        finally:
            self._waiting.pop(mark, None)

    async def close(self) -> None:
        """Remove this catalogue's mark document (one small document: left behind if the
        store is gone at shutdown)."""
        try:
            await self.store.delete(MARKS, {"_id": self._mark_id})
        except Exception as error:
            if not is_outage(error):
                raise

    def _on_change(self, collection: str, event: Event) -> None:
        if self._backlog is not None and collection in self.listings:
            self._backlog.append((collection, event))
        else:
            self._apply(collection, event)

    def _apply(self, collection: str, event: Event) -> None:
        if collection == MARKS:
            if event.operation != "delete" and event.document["_id"] == self._mark_id:
                self._saw_mark(event.document["seq"])
        elif collection in self.listings:
            index = self.listings[collection]
            if event.operation == "delete":
                index.remove(event.document["_id"])
            else:
                index.put(event.document)

    def _saw_mark(self, seq: int) -> None:
        self._marks_seen = max(self._marks_seen, seq)
        for mark, arrived in list(self._waiting.items()):
            if mark <= self._marks_seen and not arrived.done():
                arrived.set_result(None)


@asynccontextmanager
async def own_catalogue(store: Store) -> AsyncIterator[Catalogue]:
    """A catalogue with a change stream of its own, for a process that runs no hub."""
    events = EventStream(store, COLLECTIONS)
    await events.start()
    try:
        catalogue = Catalogue(store, events)
        await catalogue.load()
        yield catalogue
        await catalogue.close()
    finally:
        await events.stop()
