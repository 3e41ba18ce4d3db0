"""The matching queue, kept on the listings themselves: a listing that still needs
matching carries `match_due` (a token), written in the same document write that
changed it, so the change and the work it causes are recorded atomically.

A worker claims due listings with a lease (`match_lease`: owner and expiry), matches
them, and clears `match_due` only if the token is still the one it matched: a listing
changed meanwhile stays due. A lease whose owner died is taken over when it expires,
or at once when the owner was a process on this host that no longer runs.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Sequence
from typing import Any

from pymongo import UpdateOne

from gateway.store.database import IN_CHUNK, Store
from gateway.store.embedded import pid_alive
from schemas.common import utcnow

Doc = dict[str, Any]

DUE, LEASE = "match_due", "match_lease"
LISTINGS = ("needs", "offers")
"""Needs first: their pairs are computed once, offers then skip them."""


def new_owner() -> str:
    """This process as a lease owner: host, process id, and a nonce for restarts."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:6]}"


def _dead_here(owner: str) -> bool:
    host, _, rest = owner.partition("/")
    pid = rest.partition("/")[0]
    return host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid))


def due_fields(owner: str | None = None, lease_seconds: float = 0) -> Doc:
    """Fields that mark a listing as needing matching; with `owner`, already claimed by it."""
    fields: Doc = {DUE: uuid.uuid4().hex[:16]}
    if owner is not None:
        fields[LEASE] = {"owner": owner, "until": utcnow() + dt.timedelta(seconds=lease_seconds)}
    return fields


async def claim(
    store: Store, collection: str, owner: str, *, limit: int, lease_seconds: float
) -> list[Doc]:
    """Up to `limit` due listings, now leased to `owner`, in `_id` order."""
    now = utcnow()
    candidates = await store.find(
        collection, {DUE: {"$exists": True}}, projection={DUE: 1, LEASE: 1}, limit=limit * 4
    )
    free = [
        d
        for d in candidates
        if LEASE not in d
        or d[LEASE]["until"] < now
        or (d[LEASE]["owner"] != owner and _dead_here(d[LEASE]["owner"]))
    ][:limit]
    if not free:
        return []
    lease = {"owner": owner, "until": now + dt.timedelta(seconds=lease_seconds)}
    operations = [
        UpdateOne({"_id": d["_id"], DUE: d[DUE], LEASE: d.get(LEASE)}, {"$set": {LEASE: lease}})
        for d in free
    ]
    await store.db[collection].bulk_write(operations, ordered=False)
    claimed = []
    for start in range(0, len(free), IN_CHUNK):
        ids = [d["_id"] for d in free[start : start + IN_CHUNK]]
        query = {"_id": {"$in": ids}, f"{LEASE}.owner": owner, f"{LEASE}.until": lease["until"]}
        claimed += await store.find(collection, query, limit=len(ids))
    return claimed


async def done(store: Store, collection: str, docs: Sequence[Doc]) -> None:
    """Clear the due mark of listings matched as they were (same token)."""
    if docs:
        await store.db[collection].bulk_write(
            [
                UpdateOne({"_id": d["_id"], DUE: d[DUE]}, {"$unset": {DUE: "", LEASE: ""}})
                for d in docs
            ],
            ordered=False,
        )
        store.listings_matched += len(docs)


async def pending(store: Store) -> int:
    """How many listings still need matching."""
    return sum([await store.db[c].count_documents({DUE: {"$exists": True}}) for c in LISTINGS])
