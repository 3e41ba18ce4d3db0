"""The store: the only module that talks to MongoDB.

Motor is confined to this module so that a switch to PyMongo's native async client
stays local. Every query shape here is served by an index in `INDEXES`, which
`ensure_indexes` creates idempotently at start-up.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import ASCENDING, IndexModel, WriteConcern
from pymongo.errors import PyMongoError

MAX_PAGE = 100
"""Largest page a connection may ask for; bigger requests are an error, not a silent cut."""

INDEXES: dict[str, list[IndexModel]] = {
    "clusters": [
        IndexModel([("kind", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("federal_states", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("fields_of_action", ASCENDING), ("_id", ASCENDING)]),
    ],
}


class PageError(ValueError):
    """A page request that cannot be served: `first` out of range or a malformed cursor."""


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(f"k:{key}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PageError("after: not a cursor this API issued") from None
    if not raw.startswith("k:"):
        raise PageError("after: not a cursor this API issued")
    return raw[2:]


@dataclass(frozen=True)
class Page:
    """One page of a keyset-paginated listing, ordered by `_id`."""

    documents: list[dict[str, Any]]
    total_count: int
    has_next_page: bool
    has_previous_page: bool


class Store:
    """A database handle with the hub's collections and queries."""

    def __init__(self, client: AsyncIOMotorClient, database: str, *, journal: bool = True):
        self.client = client
        write_concern = WriteConcern(w=1, j=True) if journal else WriteConcern(w=1)
        self.db: AsyncIOMotorDatabase = client.get_database(database, write_concern=write_concern)

    @classmethod
    def connect(cls, uri: str, database: str, *, journal: bool = True, **options: Any) -> Store:
        options.setdefault("serverSelectionTimeoutMS", 5000)
        options.setdefault("tz_aware", True)
        return cls(AsyncIOMotorClient(uri, **options), database, journal=journal)

    async def close(self) -> None:
        self.client.close()

    async def ping(self) -> bool:
        try:
            await self.db.command("ping")
        except PyMongoError:
            return False
        return True

    async def ensure_indexes(self) -> None:
        for collection, indexes in INDEXES.items():
            await self.db[collection].create_indexes(indexes)

    async def page(
        self,
        collection: str,
        query: Mapping[str, Any],
        *,
        first: int | None,
        after: str | None,
    ) -> Page:
        """Keyset pagination by `_id`: stable under inserts, no skip over the collection."""
        limit = MAX_PAGE if first is None else first
        if not 0 <= limit <= MAX_PAGE:
            raise PageError(f"first: must be between 0 and {MAX_PAGE}, got {limit}")
        paged = dict(query)
        if after is not None:
            paged = {"$and": [dict(query), {"_id": {"$gt": decode_cursor(after)}}]}
        coll = self.db[collection]
        documents = await coll.find(paged).sort("_id", ASCENDING).limit(limit + 1).to_list(None)
        total = await coll.count_documents(dict(query))
        return Page(
            documents=documents[:limit],
            total_count=total,
            has_next_page=len(documents) > limit,
            has_previous_page=after is not None,
        )

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """Documents by `_id` in the order asked, `None` where missing: one query for a batch."""
        found = {d["_id"]: d async for d in self.db[collection].find({"_id": {"$in": list(ids)}})}
        return [found.get(i) for i in ids]

    @asynccontextmanager
    async def watch(
        self, collections: Sequence[str], resume_after: Any = None
    ) -> AsyncIterator[Any]:
        """A change stream of inserts and updates on `collections`, with full documents."""
        pipeline = [
            {
                "$match": {
                    "ns.coll": {"$in": list(collections)},
                    "operationType": {"$in": ["insert", "update", "replace"]},
                }
            }
        ]
        async with self.db.watch(
            pipeline, full_document="updateLookup", resume_after=resume_after
        ) as stream:
            yield stream
