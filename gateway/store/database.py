"""`Store`: one database handle with the generic reads, writes, pages and change streams.

Every query shape the hub sends is served by an index in `gateway.store.indexes`.
Large `$in` lists are sent in chunks: the embedded store answers them super-linearly
(1,374 ids: 5.5 s in one query, 0.76 s in chunks of 100).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import ASCENDING, WriteConcern
from pymongo.errors import ConnectionFailure, PyMongoError

from gateway.domain.lifetime import REFERRAL_TTL
from gateway.domain.paging import Page, PageRequest
from gateway.errors import register_outage

IN_CHUNK = 100
"""Values per `$in` query: beyond this the embedded store slows down super-linearly."""

Doc = dict[str, Any]

register_outage(ConnectionFailure)  # no server, a dropped connection, a timeout


class Store:
    """A database handle with the hub's collections and its generic queries."""

    def __init__(self, client: AsyncIOMotorClient, database: str, *, journal: bool = True):
        self.client = client
        self.journal = journal
        self.available = True
        """False while a supervised store is known to be down (see `gateway.store.open`)."""
        self.listings_matched = 0
        """Listings this handle finished matching (`matchqueue.done`), for the hub's metrics."""
        self.referral_ttl = REFERRAL_TTL
        """How long a referral lives after consent: its TTL index, and the matching rule."""
        write_concern = WriteConcern(w=1, j=True) if journal else WriteConcern(w=1)
        self.db: AsyncIOMotorDatabase = client.get_database(database, write_concern=write_concern)

    @classmethod
    def connect(cls, uri: str, database: str, *, journal: bool = True, **options: Any) -> Store:
        options.setdefault("serverSelectionTimeoutMS", 5000)
        options.setdefault("tz_aware", True)
        # datetimes come back in the same UTC as `utcnow()`'s: comparing two aware
        # datetimes of different tzinfo objects costs ten times more (matching compares
        # periods of every candidate)
        options.setdefault("tzinfo", dt.UTC)
        return cls(AsyncIOMotorClient(uri, **options), database, journal=journal)

    def went_down(self) -> None:
        self.available = False

    def came_back(self) -> None:
        self.available = True

    async def close(self) -> None:
        self.client.close()

    async def ping(self) -> bool:
        if not self.available:
            return False
        try:
            await self.db.command("ping")
        except PyMongoError:
            return False
        return True

    async def page(
        self, collection: str, query: Mapping[str, Any], request: PageRequest, order: str = "_id"
    ) -> Page:
        """Keyset pagination by `order` (a unique field): stable under inserts, no skip."""
        limit = request.limit
        paged = dict(query)  # filters never name the sort key itself
        if request.after is not None:
            paged[order] = {"$gt": request.after}
        coll = self.db[collection]
        cursor = coll.find(paged).sort(order, ASCENDING).limit(limit + 1)
        documents = await cursor.batch_size(limit + 2).to_list(None)
        total = await coll.count_documents(dict(query)) if request.count else None
        return Page(
            order=order,
            documents=documents[:limit],
            total_count=total,
            has_next_page=len(documents) > limit,
            has_previous_page=request.after is not None,
        )

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[Doc | None]:
        """Documents by `_id` in the order asked, `None` where missing."""
        unique = list(dict.fromkeys(ids))
        found: dict[str, Doc] = {}
        for start in range(0, len(unique), IN_CHUNK):
            chunk = unique[start : start + IN_CHUNK]
            cursor = self.db[collection].find({"_id": {"$in": chunk}})
            found.update({d["_id"]: d async for d in cursor.batch_size(len(chunk) + 1)})
        return [found.get(i) for i in ids]

    async def find_in(
        self,
        collection: str,
        field: str,
        values: Sequence[Any],
        query: Mapping[str, Any],
        *,
        limit: int,
    ) -> list[Doc]:
        """Documents matching `query` whose `field` holds any of `values`, in chunks of `$in`."""
        found: dict[Any, Doc] = {}
        for start in range(0, len(values), IN_CHUNK):
            chunk = {**query, field: {"$in": list(values[start : start + IN_CHUNK])}}
            for doc in await self.find(collection, chunk, limit=limit - len(found)):
                found[doc["_id"]] = doc
            if len(found) >= limit:
                break
        return sorted(found.values(), key=lambda d: d["_id"])

    @asynccontextmanager
    async def watch(
        self, collections: Sequence[str], resume_after: Any = None
    ) -> AsyncIterator[Any]:
        """A change stream of the writes to `collections`, with full documents."""
        pipeline = [
            {
                "$match": {
                    "ns.coll": {"$in": list(collections)},
                    "operationType": {"$in": ["insert", "update", "replace", "delete"]},
                }
            }
        ]
        async with self.db.watch(
            pipeline, full_document="updateLookup", resume_after=resume_after
        ) as stream:
            yield stream

    async def find_one(self, collection: str, query: Mapping[str, Any]) -> Doc | None:
        return await self.db[collection].find_one(dict(query))

    async def find(
        self,
        collection: str,
        query: Mapping[str, Any],
        *,
        projection: Mapping[str, Any] | None = None,
        sort: str = "_id",
        limit: int,
    ) -> list[Doc]:
        """Up to `limit` documents in `sort` order, in one round trip."""
        if limit <= 0:
            return []
        cursor = self.db[collection].find(dict(query), projection).sort(sort, ASCENDING)
        return await cursor.limit(limit).batch_size(min(limit, 10_000)).to_list(None)

    async def each(
        self,
        collection: str,
        query: Mapping[str, Any],
        *,
        projection: Mapping[str, Any] | Sequence[str] | None = None,
    ) -> AsyncIterator[Doc]:
        """Every document matching `query`, streamed in large batches (start-up loads)."""
        async for doc in self.db[collection].find(dict(query), projection).batch_size(10_000):
            yield doc

    async def insert(self, collection: str, document: Mapping[str, Any]) -> None:
        await self.db[collection].insert_one(dict(document))

    async def insert_many(self, collection: str, documents: Sequence[Mapping[str, Any]]) -> None:
        """Insert `documents` in one round trip."""
        if documents:
            await self.db[collection].insert_many([dict(d) for d in documents], ordered=False)

    async def put(self, collection: str, document: Mapping[str, Any]) -> None:
        """Insert `document`, or replace the one with its `_id`."""
        await self.db[collection].replace_one({"_id": document["_id"]}, dict(document), upsert=True)

    async def update_one(
        self, collection: str, query: Mapping[str, Any], update: Mapping[str, Any]
    ) -> bool:
        """Apply `update` to the first document matching `query`; whether one matched."""
        result = await self.db[collection].update_one(dict(query), dict(update))
        return result.matched_count == 1

    async def update_many(
        self, collection: str, query: Mapping[str, Any], update: Mapping[str, Any]
    ) -> int:
        """Apply `update` to every document matching `query`; how many matched."""
        result = await self.db[collection].update_many(dict(query), dict(update))
        return result.matched_count

    async def delete(self, collection: str, query: Mapping[str, Any]) -> int:
        result = await self.db[collection].delete_many(dict(query))
        return result.deleted_count

    async def existing_ids(self, collection: str, ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(ids))
        found: set[str] = set()
        for start in range(0, len(ids), IN_CHUNK):
            cursor = self.db[collection].find(
                {"_id": {"$in": ids[start : start + IN_CHUNK]}}, {"_id": 1}
            )
            found.update([d["_id"] async for d in cursor])
        return found

    async def count_by(
        self, collection: str, field: str, values: Sequence[str], query: Mapping[str, Any]
    ) -> dict[str, int]:
        """How many documents matching `query` hold each of `values` in `field`."""
        pipeline = [
            {"$match": {**query, field: {"$in": list(values)}}},
            {"$unwind": f"${field}"},
            {"$match": {field: {"$in": list(values)}}},
            {"$group": {"_id": f"${field}", "n": {"$sum": 1}}},
        ]
        counts = {d["_id"]: d["n"] async for d in self.db[collection].aggregate(pipeline)}
        return {v: counts.get(v, 0) for v in values}
