"""The store: the only module that talks to MongoDB.

Motor is confined to this module so that a switch to PyMongo's native async client
stays local. Every query shape here is served by an index in `INDEXES`, which
`ensure_indexes` creates idempotently at start-up.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import (
    ASCENDING,
    IndexModel,
    InsertOne,
    ReturnDocument,
    UpdateOne,
    WriteConcern,
)
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError

from gateway.query import combine
from schemas.common import utcnow

MAX_PAGE = 100
"""Largest page a connection may ask for; bigger requests are an error, not a silent cut."""

_DUPLICATE_KEY = 11000
_REFERRAL_TTL = "referral_ttl"

BULK_CHUNK = 1000
"""Documents per bulk write: large enough to amortise round trips, small enough to stream."""

_LISTING_INDEXES = [
    IndexModel([("clusters", ASCENDING), ("_id", ASCENDING)]),  # visibility, paging
    IndexModel([("organisation", ASCENDING), ("_id", ASCENDING)]),  # relation loaders
    IndexModel([("skill_set", ASCENDING), ("_id", ASCENDING)]),  # skill filters, candidates
    IndexModel([("cell", ASCENDING)]),  # distance prefilter
    IndexModel([("terms", ASCENDING)]),  # text
    IndexModel([("period.start", ASCENDING)]),  # availability
]

INDEXES: dict[str, list[IndexModel]] = {
    "offers": _LISTING_INDEXES,
    "needs": _LISTING_INDEXES,
    "matches": [
        IndexModel([("seq", ASCENDING)]),  # the cursor order; replay after a cursor
        IndexModel([("offer", ASCENDING)]),
        IndexModel([("need", ASCENDING)]),
        IndexModel([("parties", ASCENDING), ("seq", ASCENDING)]),
        IndexModel([("clusters", ASCENDING), ("seq", ASCENDING)]),
        IndexModel([("need_clusters", ASCENDING), ("seq", ASCENDING)]),
    ],
    "clusters": [
        IndexModel([("kind", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("federal_states", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("fields_of_action", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("terms", ASCENDING)]),
    ],
    "organisations": [
        IndexModel([("clusters", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("terms", ASCENDING)]),
    ],
    "skills": [IndexModel([("terms", ASCENDING)])],
    "api_keys": [IndexModel([("hash", ASCENDING)], unique=True)],
}


class PageError(ValueError):
    """A page request that cannot be served: `first` out of range or a malformed cursor."""


def encode_cursor(key: str | int) -> str:
    """An opaque cursor for a sort key: `k:` for natural keys, `s:` for sequence numbers."""
    tag = "s" if isinstance(key, int) else "k"
    return base64.urlsafe_b64encode(f"{tag}:{key}".encode()).decode()


def decode_cursor(cursor: str) -> str | int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        tag, _, key = raw.partition(":")
        if tag == "s":
            return int(key)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PageError("after: not a cursor this API issued") from None
    if tag != "k":
        raise PageError("after: not a cursor this API issued")
    return key


@dataclass(frozen=True)
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    """One page of a keyset-paginated listing, ordered by `order`."""

    order: str
    documents: list[dict[str, Any]]
    total_count: int
    """-1 when the caller asked not to count."""
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

    async def ensure_indexes(self, referral_ttl_seconds: int) -> None:
        """Create the indexes (idempotent) and set how long TALENT referrals live.

        Referrals and their matches expire through TTL indexes on the time consent was
        given, so personal data leaves the store without a job of ours.
        """
        for collection, indexes in INDEXES.items():
            await self.db[collection].create_indexes(indexes)
        for collection, field in (("offers", "consent.given_at"), ("matches", "talent_consent_at")):
            ttl = IndexModel(
                [(field, ASCENDING)],
                name=_REFERRAL_TTL,
                expireAfterSeconds=referral_ttl_seconds,
                partialFilterExpression={field: {"$exists": True}},
            )
            try:
                await self.db[collection].create_indexes([ttl])
            except OperationFailure:  # the TTL setting changed: adjust the index in place
                await self.db.command(
                    "collMod",
                    collection,
                    index={"name": _REFERRAL_TTL, "expireAfterSeconds": referral_ttl_seconds},
                )

    async def page(
        self,
        collection: str,
        query: Mapping[str, Any],
        *,
        first: int | None,
        after: str | None,
        order: str = "_id",
        count: bool = True,
    ) -> Page:
        """Keyset pagination by `order` (a unique field): stable under inserts, no skip."""
        limit = MAX_PAGE if first is None else first
        if not 0 <= limit <= MAX_PAGE:
            raise PageError(f"first: must be between 0 and {MAX_PAGE}, got {limit}")
        paged = dict(query)
        if after is not None:
            paged = combine(dict(query), {order: {"$gt": decode_cursor(after)}})
        coll = self.db[collection]
        cursor = coll.find(paged).sort(order, ASCENDING).limit(limit + 1)
        documents = await cursor.batch_size(limit + 2).to_list(None)
        total = await coll.count_documents(dict(query)) if count else -1
        return Page(
            order=order,
            documents=documents[:limit],
            total_count=total,
            has_next_page=len(documents) > limit,
            has_previous_page=after is not None,
        )

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """Documents by `_id` in the order asked, `None` where missing: one query for a batch."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return []
        cursor = self.db[collection].find({"_id": {"$in": unique}})
        found = {d["_id"]: d async for d in cursor.limit(len(unique)).batch_size(len(unique) + 1)}
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

    async def find_one(self, collection: str, query: Mapping[str, Any]) -> dict[str, Any] | None:
        return await self.db[collection].find_one(dict(query))

    async def find(
        self,
        collection: str,
        query: Mapping[str, Any],
        *,
        projection: Mapping[str, Any] | None = None,
        sort: str = "_id",
        limit: int = MAX_PAGE,
    ) -> list[dict[str, Any]]:
        cursor = self.db[collection].find(dict(query), projection).sort(sort, ASCENDING)
        # one round trip for the whole batch: loaders ask for bounded, known sizes
        return await cursor.limit(limit).batch_size(min(limit, 10_000)).to_list(None)

    async def insert(self, collection: str, document: Mapping[str, Any]) -> None:
        await self.db[collection].insert_one(dict(document))

    async def update_one(
        self, collection: str, query: Mapping[str, Any], update: Mapping[str, Any]
    ) -> bool:
        """Apply `update` to the first document matching `query`; whether one changed."""
        result = await self.db[collection].update_one(dict(query), dict(update))
        return result.modified_count == 1

    async def insert_versioned(self, collection: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Insert a new document at version 1 with its timestamps; returns what was stored."""
        now = utcnow()
        stored = {**doc, "version": 1, "created_at": now, "updated_at": now}
        await self.db[collection].insert_one(stored)
        return stored

    async def update_versioned(
        self, collection: str, doc: dict[str, Any], expected_version: int
    ) -> dict[str, Any] | None:
        """Set `doc`'s fields if the stored version is still `expected_version`; bumps it.

        Returns the updated document, or None when the version had moved on.
        """
        fields = {k: v for k, v in doc.items() if k not in ("_id", "version", "created_at")}
        return await self.db[collection].find_one_and_update(
            {"_id": doc["_id"], "version": expected_version},
            {"$set": fields | {"updated_at": utcnow()}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER,
        )

    async def find_one_and_set(
        self, collection: str, query: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Set `fields` on the document matching `query`; the updated document or None."""
        return await self.db[collection].find_one_and_update(
            dict(query), {"$set": dict(fields)}, return_document=ReturnDocument.AFTER
        )

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

    async def delete(self, collection: str, query: Mapping[str, Any]) -> int:
        result = await self.db[collection].delete_many(dict(query))
        return result.deleted_count

    async def add_to_set(
        self, collection: str, query: Mapping[str, Any], field: str, value: Any
    ) -> dict[str, Any] | None:
        return await self.db[collection].find_one_and_update(
            dict(query), {"$addToSet": {field: value}}, return_document=ReturnDocument.AFTER
        )

    async def existing_ids(self, collection: str, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        if not ids:
            return set()
        cursor = self.db[collection].find({"_id": {"$in": ids}}, {"_id": 1})
        return {d["_id"] async for d in cursor}

    async def all_skills(self) -> list[dict[str, Any]]:
        """The whole taxonomy: a few hundred entries, loaded once per import or process."""
        return await self.find("skills", {}, limit=100_000)

    async def upsert_documents(
        self, collection: str, docs: Sequence[dict[str, Any]]
    ) -> AsyncIterator[WriteCounts]:
        """Insert new documents, update changed ones (version + 1), skip unchanged ones.

        "Changed" compares `content_hash`. Yields counts per bulk write. Each write
        is conditional on the hash it replaces, so a concurrent writer is never
        overwritten blindly, and a re-run after a crash picks up where it stopped.
        """
        coll = self.db[collection]
        for start in range(0, len(docs), BULK_CHUNK):
            chunk = docs[start : start + BULK_CHUNK]
            cursor = coll.find({"_id": {"$in": [d["_id"] for d in chunk]}}, {"content_hash": 1})
            existing = {d["_id"]: d.get("content_hash") async for d in cursor}
            now = utcnow()
            operations: list[InsertOne | UpdateOne] = []
            inserted = updated = 0
            changed: list[str] = []
            for doc in chunk:
                if doc["_id"] not in existing:
                    # a plain insert is several times faster than an upsert here; a
                    # concurrent import that inserted first surfaces as a duplicate key
                    inserted += 1
                    changed.append(doc["_id"])
                    operations.append(
                        InsertOne(doc | {"created_at": now, "updated_at": now, "version": 1})
                    )
                elif existing[doc["_id"]] != doc["content_hash"]:
                    updated += 1
                    changed.append(doc["_id"])
                    fields = {k: v for k, v in doc.items() if k != "_id"}
                    operations.append(
                        UpdateOne(
                            {"_id": doc["_id"], "content_hash": existing[doc["_id"]]},
                            {"$set": fields | {"updated_at": now}, "$inc": {"version": 1}},
                        )
                    )
            if operations:
                try:
                    await coll.bulk_write(operations, ordered=False)
                except BulkWriteError as error:
                    if any(e.get("code") != _DUPLICATE_KEY for e in error.details["writeErrors"]):
                        raise
                    inserted -= len(error.details["writeErrors"])
            yield WriteCounts(inserted, updated, len(chunk) - inserted - updated, tuple(changed))

    async def remember_places(self, locations: Iterable[Mapping[str, Any]]) -> None:
        """Record postcode coordinates, so distance filters can start from a postcode."""
        places = {
            loc["postcode"]: loc
            for loc in locations
            if loc.get("postcode") and loc.get("lat") is not None
        }
        if places:
            await self.db.places.bulk_write(
                [
                    UpdateOne(
                        {"_id": code},
                        {"$setOnInsert": {k: loc.get(k) for k in ("city", "state", "lat", "lon")}},
                        upsert=True,
                    )
                    for code, loc in places.items()
                ],
                ordered=False,
            )

    async def refresh_cluster_counts(self, cluster_ids: Iterable[str]) -> None:
        """Recompute the derived member counts of `cluster_ids` from their organisations."""
        ids = list(cluster_ids)
        if not ids:
            return
        pipeline = [
            {"$match": {"clusters": {"$in": ids}}},
            {"$unwind": "$memberships"},
            {"$match": {"memberships.cluster": {"$in": ids}}},
            {
                "$group": {
                    "_id": "$memberships.cluster",
                    "members": {"$sum": 1},
                    "binding": {"$sum": {"$cond": ["$memberships.binding", 1, 0]}},
                }
            },
        ]
        counts = {d["_id"]: d async for d in self.db.organisations.aggregate(pipeline)}
        await self.db.clusters.bulk_write(
            [
                UpdateOne(
                    {"_id": cid},
                    {
                        "$set": {
                            "member_count": counts.get(cid, {}).get("members", 0),
                            "binding_member_count": counts.get(cid, {}).get("binding", 0),
                        }
                    },
                )
                for cid in ids
            ],
            ordered=False,
        )

    async def next_sequence(self, name: str, count: int = 1) -> int:
        """Reserve `count` numbers of the named global sequence; returns the first."""
        counter = await self.db.counters.find_one_and_update(
            {"_id": name},
            {"$inc": {"seq": count}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return counter["seq"] - count + 1

    async def write_matches(self, writes: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Insert, update or retract matches; each write takes the next cursor number."""
        first = await self.next_sequence("matches", len(writes))
        now = utcnow()
        operations: list[InsertOne | UpdateOne] = []
        for seq, (action, doc) in enumerate(writes, start=first):
            if action == "insert":
                operations.append(InsertOne(doc | {"seq": seq, "created_at": now}))
            elif action == "update":
                fields = {k: v for k, v in doc.items() if k != "_id"}
                operations.append(UpdateOne({"_id": doc["_id"]}, {"$set": fields | {"seq": seq}}))
            else:
                retraction = {"active": False, "retracted_at": now, "updated_at": now, "seq": seq}
                operations.append(
                    UpdateOne(
                        {"_id": doc["_id"], "status": {"$in": ["PROPOSED", "CONTACTED"]}},
                        {"$set": retraction},
                    )
                )
        try:
            await self.db.matches.bulk_write(operations, ordered=False)
        except BulkWriteError as error:
            # a match another process inserted first: apply ours as an update
            retry = []
            for failed in error.details["writeErrors"]:
                if failed.get("code") != _DUPLICATE_KEY:
                    raise
                doc = failed["op"]
                fields = {k: v for k, v in doc.items() if k not in ("_id", "status", "created_at")}
                retry.append(UpdateOne({"_id": doc["_id"]}, {"$set": fields}))
            await self.db.matches.bulk_write(retry, ordered=False)
