"""Live events: one MongoDB change stream per hub process, fanned out in memory.

Every subscription gets its own bounded queue; the single change stream feeds them
all. This keeps the number of open change streams independent of the number of
subscribers (many open change streams stall Motor: each holds one of its worker
threads) and makes a write by any hub process reach subscribers on every process.
A subscriber that falls a whole queue behind is cut off (its `on_cut_off` hook
closes its WebSocket) instead of slowing the others or holding events without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gateway.store.database import Store

log = logging.getLogger("clusterhub.events")


@dataclass(frozen=True)
class Event:
    """A change to a document: what happened, the document after it, the fields touched."""

    operation: str
    document: dict[str, Any]
    updated_fields: frozenset[str] = frozenset()


Predicate = Callable[[Event], bool]
CutOff = Callable[[str], Awaitable[None]]
Tap = Callable[[str, Event], None]
"""Called with the collection and every change to it, deletions included (the event's
document is then only `{"_id": ...}`), in commit order, before any subscriber."""


@dataclass
class Overflows:
    """Subscribers cut off for falling a whole queue behind, and the events they lost
    (for the hub's metrics)."""

    subscribers: int = 0
    events: int = 0

    def count(self, queue: asyncio.Queue[Any]) -> None:
        """One more subscriber cut off: what `queue` holds and the event it had no room for
        are lost."""
        self.subscribers += 1
        self.events += queue.qsize() + 1


def replace_all(queue: asyncio.Queue[Any], item: Any) -> None:
    """Drop what `queue` holds and leave `item` alone in it (room for a last word)."""
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(item)


class SubscriberTooSlow(Exception):
    """The subscriber's queue overflowed; it is cut off so the others are not slowed."""


class StreamClosed(Exception):
    """The hub is shutting down."""


class Subscriber:
    """One live subscription: a filter over a collection's changes and a bounded queue."""

    def __init__(
        self,
        collection: str,
        predicate: Predicate,
        maxsize: int,
        on_cut_off: CutOff | None,
        overflows: Overflows,
    ) -> None:
        self.collection = collection
        self.predicate = predicate
        self.queue: asyncio.Queue[Event | BaseException] = asyncio.Queue(maxsize)
        self.on_cut_off = on_cut_off
        self.overflows = overflows
        self.closed = False

    def offer(self, event: Event) -> None:
        if self.closed or not self.predicate(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            reason = f"too slow: fell {self.queue.maxsize} events behind"
            self.overflows.count(self.queue)
            self.close(SubscriberTooSlow(reason))
            if self.on_cut_off is not None:
                task = asyncio.create_task(self.on_cut_off(reason))
                task.add_done_callback(_log_failure)

    def close(self, reason: BaseException) -> None:
        if self.closed:
            return
        self.closed = True
        replace_all(self.queue, reason)

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            item = await self.queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("cutting off a slow subscriber failed", exc_info=task.exception())


class EventStream:
    """Watches the hub's collections once and hands each change to the subscribers."""

    def __init__(self, store: Store, collections: tuple[str, ...], queue_size: int = 256):
        self.store = store
        self.collections = collections
        self.queue_size = queue_size
        self.overflows = Overflows()
        """The subscribers this stream cut off, and the events they lost."""
        self._subscribers: set[Subscriber] = set()
        self._taps: list[Tap] = []
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="clusterhub-change-stream")
        await self._ready.wait()

    async def stop(self) -> None:
        for subscriber in list(self._subscribers):
            subscriber.close(StreamClosed("the hub is shutting down"))
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def tap(self, tap: Tap) -> None:
        """Hand every change to `tap` as well, synchronously, for as long as the stream runs
        (an in-memory copy kept current this way sees changes in the order they committed)."""
        self._taps.append(tap)

    @contextlib.contextmanager
    def subscribe(
        self, collection: str, predicate: Predicate, on_cut_off: CutOff | None = None
    ) -> Iterator[Subscriber]:
        subscriber = Subscriber(collection, predicate, self.queue_size, on_cut_off, self.overflows)
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    async def _run(self) -> None:
        resume_token = None
        while True:
            try:
                async with self.store.watch(self.collections, resume_token) as stream:
                    self._ready.set()
                    async for change in stream:
                        self._dispatch(change)
                        # the stream's own token also moves past events it filtered out,
                        # so a resume never starts "from now" after a quiet spell
                        resume_token = stream.resume_token
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away: keep the token, retry
                log.warning("change stream interrupted; resuming", exc_info=True)
                self._ready.set()
                await asyncio.sleep(1)

    def _tap(self, collection: str, event: Event) -> None:
        """Every tap gets the event, whatever another one does with it."""
        for tap in self._taps:
            try:
                tap(collection, event)
            except Exception:
                log.exception("a change-stream tap failed on a %s change", collection)

    def _dispatch(self, change: dict[str, Any]) -> None:
        collection = change["ns"]["coll"]
        document = change.get("fullDocument")
        operation = change["operationType"]
        if operation == "delete":
            self._tap(collection, Event(operation, {"_id": change["documentKey"]["_id"]}))
            return
        if document is None:  # updated, then deleted before the lookup: the delete follows
            return
        updated = (change.get("updateDescription") or {}).get("updatedFields") or {}
        event = Event(operation, document, frozenset(updated))
        self._tap(collection, event)
        for subscriber in list(self._subscribers):
            if subscriber.collection == collection:
                subscriber.offer(event)
