"""The indexes every query shape relies on, created idempotently at start-up."""

from __future__ import annotations

import contextlib

from pymongo import ASCENDING, IndexModel
from pymongo.errors import OperationFailure

from gateway.store.database import Store

_REFERRAL_TTL = "referral_ttl"
_DUE_INDEX = "match_due_sparse"

_LISTING_INDEXES = [
    IndexModel([("clusters", ASCENDING), ("_id", ASCENDING)]),  # visibility, paging
    IndexModel([("organisation", ASCENDING), ("_id", ASCENDING)]),  # relation loaders
    IndexModel([("skill_set", ASCENDING), ("_id", ASCENDING)]),  # skill filters, candidates
    IndexModel([("cell", ASCENDING)]),  # distance prefilter
    IndexModel([("terms", ASCENDING)]),  # text
    IndexModel([("period.start", ASCENDING)]),  # availability
    # the matching queue: only listings that still need matching. Sparse, not partial:
    # the embedded store serves `$exists` from a sparse index in 1 ms and scans for a
    # partial one (2 s at 50,000 listings, twice every poll of every hub)
    IndexModel([("match_due", ASCENDING)], sparse=True, name=_DUE_INDEX),
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
    "personal_data_access": [  # the log by referral (a shard key), reader, time order
        IndexModel([("offer", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("key_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("organisation", ASCENDING), ("_id", ASCENDING)]),
    ],
}

REFERRAL_TTL_FIELDS = {
    "offers": "consent.given_at",
    "matches": "talent_consent_at",
    "personal_data_access": "at",
}
"""Referrals and their matches expire on the time consent was given; a read of a
referral's personal data is logged for as long after the read, so every entry outlives
the referral it is about."""


async def ensure_indexes(store: Store, referral_ttl_seconds: int) -> None:
    """Create the indexes (idempotent) and set how long TALENT referrals live.

    Referrals and their matches expire through TTL indexes, so personal data
    leaves the store without a job of ours.
    """
    for collection in ("offers", "needs"):  # the partial queue index of earlier versions
        if "match_due_1" in await store.db[collection].index_information():
            with contextlib.suppress(OperationFailure):  # another hub dropped it first
                await store.db[collection].drop_index("match_due_1")
    for collection, indexes in INDEXES.items():
        await store.db[collection].create_indexes(indexes)
    for collection, field in REFERRAL_TTL_FIELDS.items():
        ttl = IndexModel(
            [(field, ASCENDING)],
            name=_REFERRAL_TTL,
            expireAfterSeconds=referral_ttl_seconds,
            partialFilterExpression={field: {"$exists": True}},
        )
        try:
            await store.db[collection].create_indexes([ttl])
        except OperationFailure:  # the TTL setting changed: adjust the index in place
            await store.db.command(
                "collMod",
                collection,
                index={"name": _REFERRAL_TTL, "expireAfterSeconds": referral_ttl_seconds},
            )
