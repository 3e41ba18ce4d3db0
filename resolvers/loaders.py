"""DataLoaders: one per relation, created per request so caches never leak between callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.store import Store


def _by_id(store: Store, collection: str) -> DataLoader[str, dict[str, Any] | None]:
    async def load(ids: list[str]) -> list[dict[str, Any] | None]:
        return await store.get_many(collection, ids)

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    store: Store
    clusters: DataLoader[str, dict[str, Any] | None] = field(init=False)
    offers: DataLoader[str, dict[str, Any] | None] = field(init=False)

    def __post_init__(self) -> None:
        self.clusters = _by_id(self.store, "clusters")
        self.offers = _by_id(self.store, "offers")
