"""Deterministic synthetic data for benchmarks: hundreds of clusters, 100,000+ listings.

Drawn from the demo taxonomy and the demo places with a fixed random seed, and fed
through the same importer as the seed files, so it is validated the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from gateway.services.imports import Batch
from schemas.cluster import SharingPolicy
from schemas.listing import NeedKind, OfferKind

_CLUSTER_KINDS = ["INDUSTRY_CLUSTER", "REGIONAL_NETWORK", "ALLIANCE", "TALENT_POOL"]
_ORG_KINDS = ["COMPANY"] * 8 + ["CHAMBER", "TRAINING_PROVIDER", "JOB_CENTRE"]
_SIZES = ["MICRO", "SMALL", "MEDIUM", "LARGE"]
_SECTORS = [
    "Luftfahrt",
    "Logistik",
    "Life Sciences",
    "Maritime Wirtschaft",
    "Medien und IT",
    "Erneuerbare Energien",
    "Maschinenbau",
    "Handwerk",
    "Öffentliche Verwaltung",
    "Gesundheit",
]
_FIELDS = [
    "VOCATIONAL_TRAINING",
    "CONTINUING_EDUCATION",
    "OLDER_WORKERS",
    "WORK_FAMILY_BALANCE",
    "INTEGRATION_MIGRATION",
    "STAFF_PARTNERSHIP",
]
_FIRST = ["Anna", "Jonas", "Leonie", "Lukas", "Marie", "Finn", "Sophie", "Paul", "Mia", "Ben"]
_LAST = ["Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Wolf", "Neumann", "Braun"]
_START = dt.date(2026, 12, 1)


def _places(clusters_dir: Path) -> list[dict[str, Any]]:
    places: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(clusters_dir.glob("*.json")):
        for org in json.loads(path.read_text(encoding="utf-8")).get("organisations", []):
            loc = org.get("location", {})
            if loc.get("lat") is not None:
                places.setdefault((loc.get("postcode", ""), loc["city"]), loc)
    return list(places.values())


def generate(count: int, seed_dir: Path, *, seed: int = 42) -> Batch:
    """About `count` offers and needs (half each) with clusters and organisations for them."""
    rng = random.Random(seed)
    taxonomy = json.loads((seed_dir / "taxonomy.json").read_text(encoding="utf-8"))
    skills = [s["id"] for s in taxonomy["skills"] if s["category"] != "PRODUCTION"]
    capabilities = [s["id"] for s in taxonomy["skills"] if s["category"] == "PRODUCTION"]
    places = _places(seed_dir / "clusters")
    batch = Batch()
    batch.add_taxonomy(str(seed_dir / "taxonomy.json"), taxonomy)

    n_clusters = max(3, min(400, count // 300))
    n_orgs = max(10, count // 8)
    cluster_ids = [f"syn-c-{i:04d}" for i in range(n_clusters)]
    clusters = []
    for i, cid in enumerate(cluster_ids):
        place = rng.choice(places)
        policy = rng.choices(
            [SharingPolicy.HUB, SharingPolicy.PARTNERS, SharingPolicy.CLUSTER], [5, 3, 2]
        )[0]
        partners = rng.sample(cluster_ids, 2) if policy == SharingPolicy.PARTNERS else []
        cluster = {
            "id": cid,
            "name": f"Synthetisches Netzwerk {i} {place['city']}",
            "kind": rng.choice(_CLUSTER_KINDS),
            "region": place["city"],
            "federalStates": [place["state"]],
            "fieldsOfAction": rng.sample(_FIELDS, 2),
            "sharing": {"policy": policy, "partners": [p for p in partners if p != cid]},
        }
        clusters.append(cluster)
    orgs = []
    for i in range(n_orgs):
        place = rng.choice(places)
        location = {
            "postcode": place.get("postcode"),
            "city": place["city"],
            "state": place["state"],
            "lat": round(place["lat"] + rng.uniform(-0.05, 0.05), 5),
            "lon": round(place["lon"] + rng.uniform(-0.05, 0.05), 5),
        }
        members = rng.sample(cluster_ids, rng.choice([1, 1, 1, 2]))
        orgs.append(
            {
                "id": f"syn-o-{i:06d}",
                "name": f"{rng.choice(_LAST)} {rng.choice(_SECTORS)} {i}",
                "kind": rng.choice(_ORG_KINDS),
                "sector": rng.choice(_SECTORS),
                "size": rng.choice(_SIZES),
                "location": {k: v for k, v in location.items() if v},
                "memberships": [{"cluster": c, "binding": rng.random() < 0.7} for c in members],
            }
        )
    offers, needs = [], []
    for i in range(count):
        org = orgs[rng.randrange(n_orgs)]
        start = _START + dt.timedelta(days=rng.randrange(300))
        period = {
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=rng.randrange(30, 365))).isoformat(),
        }
        common = {
            "organisation": org["id"],
            "period": period,
            "radiusKm": rng.choice([25, 50, 100]),
        }
        if i % 2 == 0:
            offers.append(_offer(rng, f"syn-of-{i:07d}", common, skills, capabilities))
        else:
            needs.append(_need(rng, f"syn-nd-{i:07d}", common, skills, capabilities))
    for collection, records in (
        ("clusters", clusters),
        ("organisations", orgs),
        ("offers", offers),
        ("needs", needs),
    ):
        batch.add_records(collection, "synthetic", records)
    return batch


def _offer(
    rng: random.Random, oid: str, common: dict[str, Any], skills: list[str], capabilities: list[str]
) -> dict[str, Any]:
    kind = rng.choices(list(OfferKind), [40, 25, 20, 15])[0]
    record = {"id": oid, "kind": kind, **common}
    if kind == OfferKind.PRODUCTION:
        return record | {
            "title": "Freie Fertigungskapazität",
            "capabilities": rng.sample(capabilities, 2),
            "amount": rng.randrange(100, 5000),
            "unit": "Stück/Woche",
        }
    record["skills"] = rng.sample(skills, rng.randint(2, 4))
    if kind == OfferKind.STAFF:
        return record | {
            "title": "Fachkräfte in Kurzarbeit",
            "headcount": rng.randint(1, 10),
            "arrangement": "SHORT_TIME_WORK",
        }
    if kind == OfferKind.TRAINING:
        return record | {"title": "Qualifizierungskurs", "seats": rng.randint(5, 20)}
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    return record | {
        "title": "Empfehlung: zweitplatzierte Bewerbung",
        "source": "RUNNER_UP",
        "candidate": {"name": name},
        "consent": {"givenAt": "2026-11-01T09:00:00Z"},
    }


def _need(
    rng: random.Random, nid: str, common: dict[str, Any], skills: list[str], capabilities: list[str]
) -> dict[str, Any]:
    record = {"id": nid, **common}
    if rng.random() < 0.25:
        return record | {
            "kind": NeedKind.PRODUCTION,
            "title": "Fertigungskapazität gesucht",
            "capabilities": rng.sample(capabilities, 1),
            "amount": rng.randrange(100, 3000),
            "unit": "Stück/Woche",
        }
    return record | {
        "kind": NeedKind.STAFF,
        "title": "Personalbedarf",
        "headcount": rng.randint(1, 5),
        "requiredSkills": rng.sample(skills, rng.randint(1, 3)),
        "optionalSkills": rng.sample(skills, 1),
        "employment": rng.choice(["TEMPORARY", "PERMANENT"]),
    }
