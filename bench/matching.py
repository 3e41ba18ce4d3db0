"""Matching at scale: the in-memory catalogue against the store's candidate query, one run.

    clusterhub seed --synthetic 100000 --no-match --data-dir var/syn100k   # once, ~2 min
    python bench/matching.py --data-dir var/syn100k                        # a copy is used
    python bench/matching.py --synthetic 20000                              # seeds a temp store

Prints, measured side by side on the same data:
- the catalogue: start-up time and resident memory for the open listings;
- `createNeed` through the API with its matching done before it answers (p50/p99/max),
  the candidate search inside it, and the store's candidate query for the same needs
  (the design before the catalogue) with the ratio;
- the candidate cut: the time per need and how often the best-scoring counterpart is
  kept, for the ordering by score bound (this design) against the ordering by shared
  skills before it and the store's `_id` order;
- bulk matching: due needs drained by one worker (listings/s, matches/s, hub CPU per
  listing) against the floor of writing the same matches straight to the store.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Stats, admin_headers, bench_store
from gateway.domain.candidates import required_of
from gateway.domain.scoring import Fit, fit
from gateway.http.inprocess import serve_in_process
from gateway.live.catalogue import own_catalogue
from gateway.services.matching import MAX_MATCHES, PEOPLE_KINDS, Matcher
from gateway.services.matching_queue import own_queue
from gateway.store import Store, open_store
from gateway.store.matches import UPSERT, write_matches
from gateway.store.matchqueue import due_fields

CREATE_NEED = """mutation ($input: CreateNeedInput!) {
  createNeed(input: $input) { need { id key } userErrors { message } } }"""
CLOSE_NEED = "mutation ($id: ID!) { closeNeed(id: $id, status: WITHDRAWN) { need { id } } }"


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 1e6


async def _need_inputs(store: Store, count: int, rng: random.Random) -> list[dict]:
    """Needs shaped after random open STAFF offers (2-4 of their skills, their period),
    posted by another member of one of their clusters: realistic, and they match."""
    offers = await store.find("offers", {"kind": "STAFF", "status": "OPEN"}, limit=5000)
    inputs = []
    for offer in rng.sample(offers, count):
        other = await store.find_one(
            "organisations",
            {"clusters": {"$in": offer["clusters"]}, "_id": {"$ne": offer["organisation"]}},
        )
        if other is None:
            continue
        start, end = offer["period"]["start"].date(), offer["period"]["end"].date()
        inputs.append(
            {
                "organisationId": other["_id"],
                "kind": "STAFF",
                "title": "Benchmark: Fachkräfte gesucht",
                "requiredSkills": offer["skills"][: rng.randint(1, 2)],
                "optionalSkills": offer["skills"][2:4],
                "headcount": rng.randint(1, 5),
                "period": {"start": start.isoformat(), "end": end.isoformat()},
                "radiusKm": 50,
            }
        )
    return inputs


def _store_candidate_query(need: dict, matcher: Matcher) -> dict:
    """The candidate query the matcher sent to the store before the catalogue."""
    wanted = need.get("required_skills", []) + need.get("optional_skills", [])
    related = sorted({s for w in wanted for s in matcher.taxonomy.covering(w)})
    return {
        "skill_set": {"$in": related},
        "kind": {"$in": ["STAFF", "TALENT"]},
        "status": "OPEN",
        "organisation": {"$ne": need["organisation"]},
        "period.start": {"$lte": need["period"]["end"]},
        "period.end": {"$gte": need["period"]["start"]},
    }


def _by_shared_skills(matcher: Matcher, need: dict, trainings: list[dict]) -> list[Fit]:
    """The cut before this design: the first 500 candidates holding most of the asked
    skills, then scored."""
    taught = matcher.taxonomy.holdings(s for t in trainings for s in t.get("skills", []))
    wanted = need.get("required_skills", []) + need.get("optional_skills", [])
    query = replace(
        matcher._reach(
            need, {c for w in wanted for c in matcher.taxonomy.covering(w)}, PEOPLE_KINDS
        ),
        holding_each=tuple(
            matcher.taxonomy.covering(s) for s in sorted(required_of(need) - taught)
        ),
    )
    candidates = matcher.offers.find(query, MAX_MATCHES)
    found = (
        fit(o, need, matcher.taxonomy, trainings, lifetime=matcher.lifetime) for o in candidates
    )
    return [f for f in found if f]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def _api(url: str, app, store: Store, needs: list[dict]) -> None:
    headers = await admin_headers(store)
    hub = app.state.hub
    by_bound_ms, by_skills_ms, store_ms, created = [], [], [], []
    judged = bound_best = skills_best = store_best = 0
    latencies = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as http:
        for need in needs:
            started = time.perf_counter()
            response = await http.post(
                "/graphql", json={"query": CREATE_NEED, "variables": {"input": need}}
            )
            latencies.append(time.perf_counter() - started)
            created.append(response.json()["data"]["createNeed"]["need"])
        taxonomy = await hub.taxonomy.get()
        matcher = await Matcher.load(store, hub.catalogue.listings, taxonomy)
        for need in created:
            doc = await store.find_one("needs", {"_id": need["key"]})
            trainings = matcher._trainings(doc, {})
            # each ordering goes first for half the needs: the first warms caches
            for first in (len(by_bound_ms) % 2 == 0, len(by_bound_ms) % 2 == 1):
                started = time.perf_counter()
                if first:
                    kept = matcher.offers_for(doc, trainings)
                    by_bound_ms.append(_ms(started))
                else:
                    by_skills = _by_shared_skills(matcher, doc, trainings)
                    by_skills_ms.append(_ms(started))
            started = time.perf_counter()
            query = _store_candidate_query(doc, matcher)
            from_store = await store.find("offers", query, limit=MAX_MATCHES)
            store_ms.append(_ms(started))
            every = matcher.offers_for(doc, trainings, limit=10**9)
            if every:
                judged += 1
                best = every[0][1].score
                bound_best += kept[0][1].score == best
                skills_best += max((f.score for f in by_skills), default=0) == best
                store_best += every[0][0]["_id"] in {o["_id"] for o in from_store}
        for need in created:
            await http.post("/graphql", json={"query": CLOSE_NEED, "variables": {"id": need["id"]}})
    stats = Stats("createNeed with matching", latencies, sum(latencies))
    print(f"  {stats.line()}  max {max(latencies) * 1000:.1f} ms")
    bound, skills, db = (statistics.median(x) for x in (by_bound_ms, by_skills_ms, store_ms))
    print(
        f"  candidates found and scored per need, p50: by score bound {bound:.2f} ms, "
        f"by shared skills (before) {skills:.2f} ms ({bound / skills:.2f}x); the store's "
        f"candidate query alone {db:.1f} ms"
    )
    print(
        f"  best counterpart kept within {MAX_MATCHES}: {bound_best}/{judged} by score bound, "
        f"{skills_best}/{judged} by shared skills, {store_best}/{judged} in the store's order"
    )


async def _bulk(data_dir: Path, listings: int) -> None:
    """Drain `listings` due needs with one worker; the floor writes the same matches raw."""
    async with open_store(_settings(data_dir)) as store:
        ids = [
            d["_id"] for d in await store.find("needs", {}, projection={"_id": 1}, limit=listings)
        ]
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            await store.db.needs.update_many({"_id": {"$in": chunk}}, {"$set": due_fields()})
        before = await store.db.matches.estimated_document_count()
        async with own_queue(store) as queue:
            cpu, started = time.process_time(), time.perf_counter()
            counts = await queue.drain()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        written = await store.db.matches.estimated_document_count() - before
        sample = await store.db.matches.find({}, {"_id": 0, "seq": 0}).limit(written).to_list(None)
        floor_started = time.perf_counter()
        for start in range(0, len(sample), 1000):
            batch = [
                (UPSERT, m | {"_id": f"floor-{start + i}"})
                for i, m in enumerate(sample[start : start + 1000])
            ]
            await write_matches(store, batch)
        floor = time.perf_counter() - floor_started
    print(
        f"  bulk: {listings} needs in {elapsed:.1f} s = {listings / elapsed:.0f} listings/s, "
        f"{counts.created} matches ({counts.created / elapsed:.0f}/s); hub CPU "
        f"{cpu / listings * 1000:.1f} ms per listing ({cpu / elapsed:.0%} of the time busy)"
    )
    print(
        f"  floor: the same {written} matches written straight to the store in {floor:.1f} s "
        f"({written / max(floor, 1e-9):.0f}/s): the store's share of the bulk run "
        f"{floor / elapsed:.0%}"
    )


def _settings(data_dir: Path):
    from gateway.settings import Settings

    return Settings(data_dir=data_dir, demo=False, log_level="warning")


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="clusterhub-bench-") as tmp:
        work = Path(tmp) / "db"
        if args.data_dir:
            shutil.copytree(args.data_dir, work, ignore=shutil.ignore_patterns("*.lock", "*.json"))
        seeded = work if args.data_dir else None
        async with bench_store(seeded, args.synthetic, match=False) as settings:
            data_dir = settings.data_dir
            async with open_store(settings) as store:
                listings = sum(
                    [await store.db[c].estimated_document_count() for c in ("offers", "needs")]
                )
                print(f"store: {listings} offers and needs")
                rss = _rss_mb()
                started = time.perf_counter()
                async with own_catalogue(store) as catalogue:
                    took = time.perf_counter() - started
                    size = catalogue.size
                    print(
                        f"  catalogue: {size} open listings loaded in {took:.1f} s, "
                        f"resident memory +{_rss_mb() - rss:.0f} MB "
                        f"({(_rss_mb() - rss) * 1e6 / max(size, 1) / 1000:.1f} KB per listing)"
                    )
                needs = await _need_inputs(store, args.needs, rng)
            async with serve_in_process(settings) as (url, app):
                await _api(url, app, app.state.hub.store, needs)
            await _bulk(data_dir, args.bulk)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an embedded store seeded with --no-match")
    parser.add_argument("--synthetic", type=int, default=20000, help="without --data-dir")
    parser.add_argument("--needs", type=int, default=50, help="needs created through the API")
    parser.add_argument("--bulk", type=int, default=1000, help="needs drained in bulk")
    asyncio.run(main(parser.parse_args()))
