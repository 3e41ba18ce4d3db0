"""DataLoaders: one per relation, created per request so caches never leak between callers.

Loaders of offers, needs and organisations apply the caller's visibility, so that
every path to them (lists, `node`, `_entities`, relations) obeys the sharing policy.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from strawberry.dataloader import DataLoader

from gateway import access, matches
from gateway.auth import Principal
from gateway.events import RecentDocuments
from gateway.store import MAX_PAGE, Store
from gateway.taxonomy import TaxonomyCache

Doc = dict[str, Any]


class Loaders:
    def __init__(
        self,
        store: Store,
        viewer: Principal | None,
        taxonomy: TaxonomyCache,
        recent: RecentDocuments | None = None,
    ) -> None:
        """`recent`: documents shared with other subscribers' loaders (live events)."""
        self.store = store
        self.viewer = viewer
        self.taxonomy = taxonomy
        self.recent = recent
        self._visible: asyncio.Future[set[str] | None] | None = None
        self.clusters = self._by_id("clusters", guarded=False)
        self.skills = DataLoader(load_fn=self._skills)
        self.organisations = self._by_id("organisations")
        self.offers = self._by_id("offers")
        self.needs = self._by_id("needs")
        self.matches = self._by_id("matches", sides=("offer_clusters", "need_clusters"))
        self.placements = DataLoader(load_fn=self._placements)
        self.offers_of_organisation = self._grouped("offers", "organisation")
        self.needs_of_organisation = self._grouped("needs", "organisation")
        self.members_of_cluster = self._grouped("organisations", "clusters")

    async def visible(self) -> set[str] | None:
        """The caller's visible clusters, computed once per request."""
        if self._visible is None:
            self._visible = asyncio.ensure_future(access.visible_clusters(self.store, self.viewer))
        return await self._visible

    def _by_id(
        self,
        collection: str,
        *,
        guarded: bool = True,
        sides: tuple[str, ...] = ("clusters",),
    ) -> DataLoader[str, Doc | None]:
        """Documents by id; when `guarded`, only those whose every side the caller may see."""

        async def load(ids: list[str]) -> list[Doc | None]:
            docs = await self._get_many(collection, ids)
            if not guarded:
                return docs
            visible = await self.visible()
            return [
                d if d and all(access.may_see(d.get(s, []), visible) for s in sides) else None
                for d in docs
            ]

        return DataLoader(load_fn=load)

    async def _get_many(self, collection: str, ids: list[str]) -> list[Doc | None]:
        if self.recent is None:
            return await self.store.get_many(collection, ids)
        found = self.recent.get(collection, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            loaded = dict(zip(missing, await self.store.get_many(collection, missing), strict=True))
            self.recent.put(collection, loaded)
            found.update(loaded)
        return [found[i] for i in ids]

    async def _skills(self, ids: list[str]) -> list[Doc | None]:
        """Skills come from the in-memory taxonomy: no query at all."""
        taxonomy = await self.taxonomy.get()
        return [taxonomy.skills.get(i) for i in ids]

    async def _placements(self, cluster_ids: list[str]) -> list[int]:
        counts = await matches.placements(self.store, cluster_ids)
        return [counts[c] for c in cluster_ids]

    def _grouped(self, collection: str, key: str) -> DataLoader[str, list[Doc]]:
        """Documents whose `key` holds each id, up to MAX_PAGE each: one query per batch."""

        async def load(ids: list[str]) -> list[list[Doc]]:
            visible = await self.visible()
            query = access.narrow({key: {"$in": ids}}, visible)
            groups: dict[str, list[Doc]] = defaultdict(list)
            wanted = set(ids)
            for doc in await self.store.find(collection, query, limit=MAX_PAGE * len(ids)):
                values = doc[key] if isinstance(doc[key], list) else [doc[key]]
                for value in wanted.intersection(values):
                    if len(groups[value]) < MAX_PAGE:
                        groups[value].append(doc)
            return [groups.get(i, []) for i in ids]

        return DataLoader(load_fn=load)
