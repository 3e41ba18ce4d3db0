"""Bulk writes of imports: idempotent upserts, known places, derived cluster counts.

Each write is conditional on the content hash it replaces, so a concurrent importer
is never overwritten blindly, and a re-run after a crash picks up where it stopped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError

from gateway.store.database import Store
from schemas.common import utcnow

DUPLICATE_KEY = 11000

BULK_CHUNK = 1000
"""Documents per bulk write: large enough to amortise round trips, small enough to stream."""


@dataclass(frozen=True)
class Written:
    """One bulk write: the ids it inserted and updated (for the audit log), and how many
    documents it left unchanged."""

    inserted: list[str]
    updated: list[str]
    unchanged: int


async def upsert_documents(
    store: Store,
    collection: str,
    docs: Sequence[dict[str, Any]],
    mark: Callable[[], dict[str, Any]] | None = None,
) -> AsyncIterator[Written]:
    """Insert new documents, update changed ones (version + 1), skip unchanged ones.

    "Changed" compares `content_hash`. Yields what each bulk write did. Each write
    is conditional on the hash it replaces, so a concurrent writer is never
    overwritten blindly, and a re-run after a crash picks up where it stopped.
    `mark` gives fields written along with every inserted or changed document (the
    matching queue's due mark), in the same document write.
    """
    coll = store.db[collection]
    for start in range(0, len(docs), BULK_CHUNK):
        chunk = docs[start : start + BULK_CHUNK]
        cursor = coll.find({"_id": {"$in": [d["_id"] for d in chunk]}}, {"content_hash": 1})
        existing = {d["_id"]: d.get("content_hash") async for d in cursor}
        now = utcnow()
        operations: list[InsertOne | UpdateOne] = []
        ids: list[str] = []  # the `_id` each operation writes, by position
        inserted: list[str] = []
        updated: list[str] = []
        for doc in chunk:
            if mark is not None and existing.get(doc["_id"]) != doc["content_hash"]:
                doc = doc | mark()
            if doc["_id"] not in existing:
                # a plain insert is several times faster than an upsert here; a
                # concurrent import that inserted first surfaces as a duplicate key
                inserted.append(doc["_id"])
                ids.append(doc["_id"])
                operations.append(
                    InsertOne(doc | {"created_at": now, "updated_at": now, "version": 1})
                )
            elif existing[doc["_id"]] != doc["content_hash"]:
                updated.append(doc["_id"])
                ids.append(doc["_id"])
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
                if any(e.get("code") != DUPLICATE_KEY for e in error.details["writeErrors"]):
                    raise
                # a concurrent import inserted these first: unchanged, for this run
                lost = {ids[e["index"]] for e in error.details["writeErrors"]}
                inserted = [i for i in inserted if i not in lost]
        yield Written(inserted, updated, len(chunk) - len(inserted) - len(updated))


async def remember_places(store: Store, locations: Iterable[Mapping[str, Any]]) -> None:
    """Record postcode coordinates, so distance filters can start from a postcode."""
    places = {
        loc["postcode"]: loc
        for loc in locations
        if loc.get("postcode") and loc.get("lat") is not None
    }
    if places:
        await store.db.places.bulk_write(
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


async def refresh_cluster_counts(store: Store, cluster_ids: Iterable[str]) -> None:
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
    counts = {d["_id"]: d async for d in store.db.organisations.aggregate(pipeline)}
    await store.db.clusters.bulk_write(
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
