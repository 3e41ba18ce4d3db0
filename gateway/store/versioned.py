"""Writes of single documents under optimistic locking: a version in every filter.

`update_one` by `_id` and a read afterwards, never `findAndModify`: the embedded
store serves the latter with a scan (724 ms against 0.7 ms at 100,000 documents).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.store.database import IN_CHUNK, Store
from schemas.common import utcnow

Doc = dict[str, Any]
_FIXED = ("_id", "version", "created_at")


async def insert_versioned(store: Store, collection: str, doc: Doc) -> Doc:
    """Insert a new document at version 1 with its timestamps; returns what was stored."""
    now = utcnow()
    stored = {**doc, "version": 1, "created_at": now, "updated_at": now}
    await store.db[collection].insert_one(stored)
    return stored


async def update_versioned(
    store: Store, collection: str, doc: Doc, expected_version: int
) -> Doc | None:
    """Set `doc`'s fields if the stored version is still `expected_version`; bumps it.

    Returns the updated document, or None when the version had moved on.
    """
    fields = {k: v for k, v in doc.items() if k not in _FIXED}
    changed = await store.update_one(
        collection,
        {"_id": doc["_id"], "version": expected_version},
        {"$set": fields | {"updated_at": utcnow()}, "$inc": {"version": 1}},
    )
    return await store.find_one(collection, {"_id": doc["_id"]}) if changed else None


async def compare_and_set(
    store: Store, collection: str, query: Mapping[str, Any], fields: Mapping[str, Any]
) -> Doc | None:
    """Set `fields` on the document matching `query` (its `_id` and expected state).

    Returns the updated document, or None when no document was in that state.
    """
    if not await store.update_one(collection, query, {"$set": dict(fields)}):
        return None
    return await store.find_one(collection, {"_id": query["_id"]})


async def add_to_set(
    store: Store, collection: str, doc_id: str, field: str, value: Any
) -> Doc | None:
    """Add `value` to the array `field` of a document; the document after it."""
    await store.update_one(collection, {"_id": doc_id}, {"$addToSet": {field: value}})
    return await store.find_one(collection, {"_id": doc_id})


async def set_status_where(
    store: Store, collection: str, ids: list[str], current: str, status: str, extra: Doc
) -> int:
    """Move the listings `ids` still in status `current` to `status` (version bumped,
    `extra` fields set); returns how many moved. For the hub's own sweeps, not callers'
    edits: the filter on `current` is their optimistic lock."""
    moved = 0
    for start in range(0, len(ids), IN_CHUNK):
        result = await store.db[collection].update_many(
            {"_id": {"$in": ids[start : start + IN_CHUNK]}, "status": current},
            {"$set": {"status": status, "updated_at": utcnow(), **extra}, "$inc": {"version": 1}},
        )
        moved += result.modified_count
    return moved
