"""Small valid records in the seed file format, for tests to copy and break."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from gateway.domain.candidates import CandidateIndex

TODAY = dt.date.today()
"""Test data is dated relative to today: time is a hard rule of matching (a listing whose
period ended is EXPIRED), so fixed dates would stop matching once they pass."""


def day(offset: int) -> str:
    """The ISO date `offset` days from today."""
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def at(offset: int) -> str:
    """An ISO instant, 10:00 UTC, `offset` days from today."""
    return f"{day(offset)}T10:00:00Z"


CLUSTER = {
    "id": "test-cluster",
    "name": "Testnetzwerk Nord",
    "kind": "REGIONAL_NETWORK",
    "region": "Hamburg",
    "federalStates": ["HH"],
    "fieldsOfAction": ["STAFF_PARTNERSHIP"],
    "sharing": {"policy": "HUB"},
}

ORGANISATIONS = [
    {
        "id": f"test-org-{i}",
        "name": f"Testbetrieb {i} GmbH",
        "kind": "COMPANY",
        "sector": "Logistik",
        "size": "MEDIUM",
        "location": {
            "postcode": "21129",
            "city": "Hamburg",
            "state": "HH",
            "lat": 53.54,
            "lon": 9.86,
        },
        "memberships": [{"cluster": "test-cluster", "binding": True}],
    }
    for i in range(3)
]

OFFER = {
    "id": "test-offer-1",
    "organisation": "test-org-0",
    "kind": "STAFF",
    "title": "Zwei Schweißer in Kurzarbeit",
    "skills": ["welding", "Staplerschein"],
    "headcount": 2,
    "period": {"start": day(-6), "end": day(114)},
    "radiusKm": 50,
}

NEED = {
    "id": "test-need-1",
    "organisation": "test-org-1",
    "kind": "STAFF",
    "title": "Lagerhelfer gesucht",
    "requiredSkills": ["logistics-warehousing"],
    "headcount": 3,
    "period": {"start": day(25), "end": day(83)},
}


def cluster_file(**changes: Any) -> dict[str, Any]:
    """A valid cluster file (deep copy); keyword arguments replace whole sections."""
    data = {
        "cluster": copy.deepcopy(CLUSTER),
        "organisations": copy.deepcopy(ORGANISATIONS),
        "offers": [copy.deepcopy(OFFER)],
        "needs": [copy.deepcopy(NEED)],
    }
    data.update(copy.deepcopy(changes))
    return data


def welder_need(n: int) -> dict[str, Any]:
    """createNeed input: test-org-1 needs one welder (fits the welder offers of test-org-0)."""
    return {
        "organisationId": "test-org-1",
        "kind": "STAFF",
        "title": f"Schweißer {n}",
        "requiredSkills": ["welding"],
        "headcount": 1,
        "period": {"start": day(-6), "end": day(114)},
    }


def welders_cluster() -> dict[str, Any]:
    """A cluster file where test-org-0 offers one welder and nobody needs anything yet."""
    data = cluster_file()
    data["offers"] = [dict(copy.deepcopy(OFFER), id="welders", skills=["welding"], headcount=1)]
    data["needs"] = []
    return data


async def insert_raw_offers(store: Any, count: int) -> list[str]:
    """`count` offers with long descriptions written straight to the store, a hundred a
    batch (each one a change-stream event); their keys in order."""
    now = dt.datetime.now(dt.UTC)
    for start in range(0, count, 100):
        await store.db.offers.insert_many(
            [_raw_offer(i, now) for i in range(start, min(start + 100, count))]
        )
    return [f"bulk-{i:05d}" for i in range(count)]


def _raw_offer(i: int, now: dt.datetime) -> dict:
    """A stored offer with a long description, written straight to the collection."""
    return {
        "_id": f"bulk-{i:05d}",
        "kind": "STAFF",
        "organisation": "test-org-0",
        "clusters": ["test-cluster"],
        "title": f"Angebot {i}",
        "description": "x" * 5000,
        "status": "OPEN",
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "location": {"city": "Hamburg", "state": "HH"},
        "certifications": [],
        "period": {"start": now, "end": now + dt.timedelta(days=30)},
        "skills": ["welding"],
        "skill_set": ["welding"],
        "headcount": 1,
        "terms": [],
    }


def indexed(docs: list[dict[str, Any]]) -> CandidateIndex:
    """An in-memory candidate index (what a catalogue holds) of `docs`."""
    index = CandidateIndex()
    for doc in docs:
        index.put(doc)
    return index
