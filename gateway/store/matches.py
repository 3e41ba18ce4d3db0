"""Match writes in cursor order: the cursor numbers are taken in the writing transaction.

Every new or changed match gets the next number of the `matches` sequence, its cursor.
The counter is incremented inside the same transaction that writes the matches, so
two writers that overlap conflict on the counter document and one of them retries
after the other committed: cursor order is commit order, on every hub process and on
a real replica set alike, and "every match after cursor C" is a safe resume point
at any moment. The price is that match writes are serialised (bench/live.py prints
the committed matches per second with 1 and 16 writers).
"""

from __future__ import annotations

import asyncio
import random
import weakref
from collections.abc import Sequence
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClientSession
from pymongo import InsertOne, ReturnDocument, UpdateOne, WriteConcern
from pymongo.errors import PyMongoError

from gateway.domain.matches import ACTIVE_STATUSES, MatchStatus
from gateway.store.database import IN_CHUNK, Store
from schemas.common import utcnow

Doc = dict[str, Any]

UPSERT, RETRACT = "upsert", "retract"
MAX_ATTEMPTS = 50
_DUPLICATE_KEY = 11000
_WRITE_CONFLICT = 112


def _retryable(error: PyMongoError) -> bool:
    """A conflict with a concurrent writer: run the whole transaction again."""
    if error.has_error_label("TransientTransactionError"):
        return True
    details = getattr(error, "details", None) or {}
    codes = {getattr(error, "code", None)} | {
        e.get("code") for e in details.get("writeErrors", []) if isinstance(e, dict)
    }
    return bool(codes & {_DUPLICATE_KEY, _WRITE_CONFLICT})


async def write_matches(store: Store, writes: Sequence[tuple[str, Doc]]) -> None:
    """Upsert or retract matches, each change with the next cursor number.

    `writes` are intents: (UPSERT, match fields with `_id` and `fingerprint`) or
    (RETRACT, {"_id": ...}). What is already so is not written again (an unchanged
    fingerprint, a retracted match), so a repeated run changes nothing. Concurrent
    callers in one process are committed together, one transaction for all of them
    (group commit): they never conflict with each other, only with other processes.
    """
    if writes:
        await _committer(store).submit(list(writes))


class _Committer:
    """One process's match writer: queues intents and commits them in batches."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending: list[tuple[list[tuple[str, Doc]], asyncio.Future[None]]] = []
        self.running: asyncio.Task[None] | None = None

    async def submit(self, writes: list[tuple[str, Doc]]) -> None:
        done = asyncio.get_running_loop().create_future()
        self.pending.append((writes, done))
        if self.running is None or self.running.done():
            self.running = asyncio.create_task(self._run())
        await done

    async def _run(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            intents = [w for writes, _ in batch for w in writes]
            try:
                await _commit(self.store, intents)
            except BaseException as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)


_COMMITTERS: weakref.WeakKeyDictionary[Store, _Committer] = weakref.WeakKeyDictionary()


def _committer(store: Store) -> _Committer:
    if store not in _COMMITTERS:
        _COMMITTERS[store] = _Committer(store)
    return _COMMITTERS[store]


async def _commit(store: Store, writes: list[tuple[str, Doc]]) -> None:
    """One transaction for `writes`, run again after a conflict with another writer."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            async with (
                await store.client.start_session() as session,
                session.start_transaction(write_concern=WriteConcern(w=1, j=store.journal)),
            ):
                await _write(store, session, writes)
                return
        except PyMongoError as error:
            if not _retryable(error) or attempt == MAX_ATTEMPTS - 1:
                raise
            await asyncio.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt)))


async def _write(
    store: Store, session: AsyncIOMotorClientSession, writes: Sequence[tuple[str, Doc]]
) -> None:
    writes = list({doc["_id"]: (action, doc) for action, doc in writes}.values())  # last wins
    ids = list(dict.fromkeys(doc["_id"] for _, doc in writes))
    existing: dict[str, Doc] = {}
    projection = {"fingerprint": 1, "active": 1, "status": 1}
    for start in range(0, len(ids), IN_CHUNK):
        query = {"_id": {"$in": ids[start : start + IN_CHUNK]}}
        async for doc in store.db.matches.find(query, projection, session=session):
            existing[doc["_id"]] = doc
    now = utcnow()
    changes: list[tuple[str, Doc, Doc | None]] = []
    for action, doc in writes:
        old = existing.get(doc["_id"])
        if action == UPSERT:
            if old is None or old.get("fingerprint") != doc["fingerprint"] or not old.get("active"):
                changes.append((action, doc, old))
        elif old is not None and old.get("active") and old.get("status") in ACTIVE_STATUSES:
            changes.append((action, doc, old))
    if not changes:
        return
    counter = await store.db.counters.find_one_and_update(
        {"_id": "matches"},
        {"$inc": {"seq": len(changes)}},
        upsert=True,
        session=session,
        return_document=ReturnDocument.AFTER,
    )
    first = counter["seq"] - len(changes) + 1
    operations: list[InsertOne | UpdateOne] = []
    for seq, (action, doc, old) in enumerate(changes, start=first):
        if action == RETRACT:
            fields = {"active": False, "retracted_at": now}
        elif old is None:
            operations.append(
                InsertOne(
                    doc
                    | {
                        "status": MatchStatus.PROPOSED,
                        "seq": seq,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            )
            continue
        else:
            fields = {k: v for k, v in doc.items() if k != "_id"}
        operations.append(
            UpdateOne({"_id": doc["_id"]}, {"$set": fields | {"seq": seq, "updated_at": now}})
        )
    await store.db.matches.bulk_write(operations, ordered=True, session=session)


async def newest_sequence(store: Store) -> int:
    """The number of the newest match cursor issued (0 before the first match)."""
    counter = await store.db.counters.find_one({"_id": "matches"})
    return counter["seq"] if counter else 0
