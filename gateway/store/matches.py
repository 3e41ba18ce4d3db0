"""Match writes: each new or changed match takes the next number of the cursor sequence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import InsertOne, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError

from gateway.domain.matches import ACTIVE_STATUSES
from gateway.store.database import Store
from gateway.store.imports import DUPLICATE_KEY
from schemas.common import utcnow


async def next_sequence(store: Store, name: str, count: int = 1) -> int:
    """Reserve `count` numbers of the named global sequence; returns the first."""
    counter = await store.db.counters.find_one_and_update(
        {"_id": name},
        {"$inc": {"seq": count}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    return counter["seq"] - count + 1


async def write_matches(store: Store, writes: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Insert, update or retract matches; each write takes the next cursor number."""
    first = await next_sequence(store, "matches", len(writes))
    now = utcnow()
    operations: list[InsertOne | UpdateOne] = []
    for seq, (action, doc) in enumerate(writes, start=first):
        if action == "insert":
            operations.append(InsertOne(doc | {"seq": seq, "created_at": now, "updated_at": now}))
        elif action == "update":
            fields = {k: v for k, v in doc.items() if k != "_id"}
            operations.append(
                UpdateOne({"_id": doc["_id"]}, {"$set": fields | {"seq": seq, "updated_at": now}})
            )
        else:
            retraction = {"active": False, "retracted_at": now, "updated_at": now, "seq": seq}
            operations.append(
                UpdateOne(
                    {"_id": doc["_id"], "status": {"$in": list(ACTIVE_STATUSES)}},
                    {"$set": retraction},
                )
            )
    try:
        await store.db.matches.bulk_write(operations, ordered=False)
    except BulkWriteError as error:
        # a match another process inserted first: apply ours as an update
        retry = []
        for failed in error.details["writeErrors"]:
            if failed.get("code") != DUPLICATE_KEY:
                raise
            doc = failed["op"]
            fields = {k: v for k, v in doc.items() if k not in ("_id", "status", "created_at")}
            retry.append(UpdateOne({"_id": doc["_id"]}, {"$set": fields}))
        await store.db.matches.bulk_write(retry, ordered=False)
