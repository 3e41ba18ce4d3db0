"""Documents loaded for live events, shared by all subscribers for a moment."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

Doc = dict[str, Any]
Fetch = Callable[[list[str]], Awaitable[list[Doc | None]]]


class RecentDocuments:
    """Documents loaded for live events, shared by all subscribers for a moment.

    When a thousand dashboards receive the same match, its offer and need are read
    once, not a thousand times: the first subscriber's load is shared by those that
    ask while it is still under way (single flight) and by those that ask within `ttl`
    seconds after it. What each subscriber may see is still checked per subscriber.
    At most `capacity` entries are kept, the oldest dropped first.
    """

    def __init__(self, ttl: float = 1.0, capacity: int = 10_000) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._entries: dict[tuple[str, str], tuple[float, asyncio.Future[Doc | None]]] = {}

    async def load(self, collection: str, ids: list[str], fetch: Fetch) -> list[Doc | None]:
        """The documents of `ids`, fetching (once, for everybody) only what is not here."""
        now = time.monotonic()
        futures: dict[str, asyncio.Future[Doc | None]] = {}
        missing: list[str] = []
        for i in dict.fromkeys(ids):
            entry = self._entries.get((collection, i))
            if entry is not None and now - entry[0] <= self.ttl:
                futures[i] = entry[1]
            else:
                futures[i] = asyncio.get_running_loop().create_future()
                self._entries.pop((collection, i), None)
                self._entries[(collection, i)] = (now, futures[i])
                missing.append(i)
        while len(self._entries) > self.capacity:
            self._entries.pop(next(iter(self._entries)))
        if missing:
            await self._fill(collection, missing, futures, fetch)
        return [await futures[i] for i in ids]

    async def _fill(
        self,
        collection: str,
        missing: list[str],
        futures: dict[str, asyncio.Future[Doc | None]],
        fetch: Fetch,
    ) -> None:
        try:
            docs = await fetch(missing)
        except BaseException as error:
            for i in missing:  # nobody keeps a failed load
                self._entries.pop((collection, i), None)
                if not futures[i].done():
                    futures[i].set_exception(error)
                    futures[i].exception()  # retrieved: waiters re-raise it themselves
            raise
        for i, doc in zip(missing, docs, strict=True):
            futures[i].set_result(doc)
