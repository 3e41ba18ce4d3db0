"""Documents loaded for live events, shared by all subscribers for a moment."""

from __future__ import annotations

import time
from typing import Any


class RecentDocuments:
    """Documents loaded for live events, shared by all subscribers for a moment.

    When a thousand dashboards receive the same match, its offer and need are read
    once, not a thousand times; what each subscriber may see is still checked per
    subscriber. Entries live `ttl` seconds, at most `capacity` of them.
    """

    def __init__(self, ttl: float = 1.0, capacity: int = 10_000) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._entries: dict[tuple[str, str], tuple[float, dict[str, Any] | None]] = {}

    def get(self, collection: str, ids: list[str]) -> dict[str, dict[str, Any] | None]:
        now = time.monotonic()
        found = {}
        for i in ids:
            entry = self._entries.get((collection, i))
            if entry is not None and now - entry[0] <= self.ttl:
                found[i] = entry[1]
        return found

    def put(self, collection: str, docs: dict[str, dict[str, Any] | None]) -> None:
        now = time.monotonic()
        for i, doc in docs.items():
            self._entries.pop((collection, i), None)
            self._entries[(collection, i)] = (now, doc)
        while len(self._entries) > self.capacity:
            self._entries.pop(next(iter(self._entries)))
