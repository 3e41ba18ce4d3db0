"""The skills taxonomy of one hub process, loaded from the store and kept for a while."""

from __future__ import annotations

import time

from gateway.domain.taxonomy import Taxonomy
from gateway.store.database import Store

MAX_SKILLS = 100_000
TTL_SECONDS = 60.0


async def load_taxonomy(store: Store) -> Taxonomy:
    """The whole taxonomy: a few hundred entries."""
    return Taxonomy(await store.find("skills", {}, limit=MAX_SKILLS))


class TaxonomyCache:
    """The taxonomy, reloaded after `ttl` seconds or when an import invalidates it."""

    def __init__(self, store: Store, ttl: float = TTL_SECONDS) -> None:
        self._store = store
        self._ttl = ttl
        self._taxonomy: Taxonomy | None = None
        self._loaded_at = 0.0

    async def get(self) -> Taxonomy:
        if self._taxonomy is None or time.monotonic() - self._loaded_at > self._ttl:
            self._taxonomy = await load_taxonomy(self._store)
            self._loaded_at = time.monotonic()
        return self._taxonomy

    def invalidate(self) -> None:
        self._taxonomy = None
