"""The clusters' sharing policies as they stand in the store."""

from __future__ import annotations

from gateway.domain.access import Sharing
from gateway.store.database import Store

MAX_CLUSTERS = 100_000


async def load_sharing(store: Store) -> Sharing:
    """All clusters' sharing policies: a few hundred small documents."""
    return Sharing(await store.find("clusters", {}, projection={"sharing": 1}, limit=MAX_CLUSTERS))
