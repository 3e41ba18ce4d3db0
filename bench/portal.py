"""Portal query benchmark: the API against direct driver calls on the same data, same run.

    python bench/portal.py                       # demo data (seeded into a temp store)
    python bench/portal.py --synthetic 100000    # demo + 100,000 synthetic offers and needs
    python bench/portal.py --data-dir var/bench  # an embedded store seeded before
    python bench/portal.py --data-dir var/bench --clusters 100 --requests 5 --concurrency 1

Two queries a cluster portal makes: the network page (3 clusters -> their member
organisations -> their offers -> skills) and a search (welding within 50 km of
Hamburg, available next month). Each is timed through the GraphQL API and as the
same data fetched with direct Motor calls, and the ratio API / driver is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import admin_headers, bench_store, measure
from gateway.domain.filters import ListingFilter
from gateway.domain.geo import Circle
from gateway.domain.taxonomy import Taxonomy
from gateway.http.inprocess import serve_in_process
from gateway.services.taxonomy import load_taxonomy
from gateway.store import Store

NETWORK = """
query ($first: Int) { clusters(first: $first) { edges { node { name
    members { name offers { title skills { en } } } } } } }
"""
SEARCH = """
query ($f: OfferFilter) { offers(filter: $f, first: 50) { totalCount
  edges { node { title organisation { name } skills { en } } } } }
"""


def _next_month() -> tuple[dt.date, dt.date]:
    today = dt.date.today()
    start = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return start, end


async def _network_direct(store: Store, first: int) -> None:
    """The network page with the fewest driver calls a hand-written back end would make
    (its `$in` lists in chunks of 100, which the embedded store answers fastest)."""
    db = store.db
    clusters = await db.clusters.find({}).sort("_id", 1).limit(first).to_list(None)
    ids = [c["_id"] for c in clusters]
    members = await db.organisations.find({"clusters": {"$in": ids}}).to_list(None)
    member_ids = [m["_id"] for m in members]
    offers = []
    for start in range(0, len(member_ids), 100):
        chunk = member_ids[start : start + 100]
        offers += await db.offers.find({"organisation": {"$in": chunk}}).to_list(None)
    skills = {s for o in offers for s in o.get("skills", [])}
    await db.skills.find({"_id": {"$in": list(skills)}}).to_list(None)


async def _search_direct(store: Store, taxonomy: Taxonomy, f: ListingFilter) -> None:
    query = f.compile(taxonomy, Circle(53.55, 9.99, 50)).query()
    db = store.db
    offers = await db.offers.find(query).sort("_id", 1).limit(50).to_list(None)
    await db.offers.count_documents(query)
    await db.organisations.find({"_id": {"$in": [o["organisation"] for o in offers]}}).to_list(None)
    skills = {s for o in offers for s in o.get("skills", [])}
    await db.skills.find({"_id": {"$in": list(skills)}}).to_list(None)


async def main(args: argparse.Namespace) -> None:
    async with (
        bench_store(args.data_dir, args.synthetic) as settings,
        # a page over many clusters is over the default cost budget and time limit: both
        # raised for the bench
        serve_in_process(
            settings.model_copy(update={"max_query_cost": 10**9, "operation_timeout_seconds": 600})
        ) as (url, app),
    ):
        store: Store = app.state.hub.store
        offers = await store.db.offers.estimated_document_count()
        needs = await store.db.needs.estimated_document_count()
        print(f"store: {offers} offers, {needs} needs")
        headers = await admin_headers(store)
        start, end = _next_month()
        variables = {
            "f": {
                "skills": {"anyOf": ["welding"]},
                "near": {"lat": 53.55, "lon": 9.99, "radiusKm": 50},
                "available": {"start": start.isoformat(), "end": end.isoformat()},
            }
        }
        f = ListingFilter(skills_any=("welding",), available_from=start, available_to=end)
        taxonomy = await load_taxonomy(store)
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=600) as http:

            async def call(query: str, variables: dict | None = None) -> None:
                response = await http.post(
                    "/graphql", json={"query": query, "variables": variables}
                )
                body = response.json()
                assert not body.get("errors"), body["errors"]

            n, c = args.requests, args.concurrency
            for label, api, direct in (
                (
                    f"network page, {args.clusters} clusters",
                    lambda: call(NETWORK, {"first": args.clusters}),
                    lambda: _network_direct(store, args.clusters),
                ),
                (
                    "welding near Hamburg next month",
                    lambda: call(SEARCH, variables),
                    lambda: _search_direct(store, taxonomy, f),
                ),
            ):
                await api()  # warm caches on both paths
                await direct()
                via_api = await measure(f"{label} (API)", api, requests=n, concurrency=c)
                via_driver = await measure(f"{label} (driver)", direct, requests=n, concurrency=c)
                print(via_api.line())
                print(via_driver.line())
                print(
                    f"{'':<34} ratio API/driver: p50 {via_api.p50 / via_driver.p50:.2f}x, "
                    f"throughput {via_driver.rate / via_api.rate:.2f}x"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an embedded store seeded before")
    parser.add_argument("--synthetic", type=int, default=0, help="synthetic offers and needs")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--clusters", type=int, default=3, help="clusters on the network page")
    asyncio.run(main(parser.parse_args()))
