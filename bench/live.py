"""Live match benchmark: createNeed response -> matchFound event, against the raw floor.

    python bench/live.py                         # demo data (seeded into a temp store)
    python bench/live.py --data-dir var/syn100k  # a store seeded before, e.g. 100,000 synthetic

For 1, 100 and 1,000 concurrent subscribers (graphql-transport-ws, one WebSocket
each) it creates needs that fit the data through the API and times, per subscriber,
the span from the createNeed response to the first matchFound event for that need.
In the same run it measures the floor, a raw insert to its change-stream event on
the same database, and prints the ratio; the cost of commit-ordered cursors (matches
committed per second with 1 and 16 concurrent writers, against the same writes
unordered); and the matches computed per second while bulk-seeding the demo data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets
from pymongo.errors import OperationFailure

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Stats, admin_headers, bench_store
from gateway.http.inprocess import serve_in_process
from gateway.live.catalogue import own_catalogue
from gateway.services.demo import demo_batch
from gateway.services.imports import Importer
from gateway.services.matching import Matcher
from gateway.services.taxonomy import load_taxonomy
from gateway.settings import Settings
from gateway.store import Store, open_store
from gateway.store.matches import UPSERT, write_matches

SUBSCRIBE = "subscription { matchFound { need { key } score } }"
CREATE_NEED = """mutation ($input: CreateNeedInput!) {
  createNeed(input: $input) { need { id key } userErrors { message } } }"""
WITHDRAW = "mutation ($id: ID!) { closeNeed(id: $id, status: WITHDRAWN) { need { key } } }"


async def _a_fitting_need(store: Store, offer: dict | None = None, skills: int = 1) -> dict:
    """A need input shaped after an open STAFF offer of the data (by default the first),
    asking for its first `skills` skills, so that it matches."""
    offer = offer or await store.find_one("offers", {"kind": "STAFF", "status": "OPEN"})
    other = await store.find_one(
        "organisations",
        {"clusters": {"$in": offer["clusters"]}, "_id": {"$ne": offer["organisation"]}},
    )
    start, end = offer["period"]["start"].date(), offer["period"]["end"].date()
    return {
        "organisationId": other["_id"],
        "kind": "STAFF",
        "title": "Benchmark: Aushilfen gesucht",
        "requiredSkills": offer["skills"][:skills],
        "headcount": 1,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
    }


async def _subscriber(url: str, key: str, ready: asyncio.Event, inbox: asyncio.Queue) -> None:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], max_size=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": key}}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        ready.set()
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "next":
                inbox.put_nowait((time.perf_counter(), message["payload"]["data"]["matchFound"]))


async def _end_to_end(
    url: str, app, headers: dict, need: dict, subscribers: int, rounds: int
) -> Stats:
    ws_url = url.replace("http", "ws", 1) + "/graphql"
    inboxes = [asyncio.Queue() for _ in range(subscribers)]
    readies = [asyncio.Event() for _ in range(subscribers)]
    tasks = [
        asyncio.create_task(_subscriber(ws_url, headers["authorization"], r, q))
        for r, q in zip(readies, inboxes, strict=True)
    ]
    latencies: list[float] = []
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as http:
        await asyncio.gather(*(r.wait() for r in readies))
        hub = app.state.hub
        while (
            hub.cohorts.member_count < subscribers
            or hub.events.subscriber_count < hub.cohorts.count
        ):
            await asyncio.sleep(0.01)
        for _ in range(rounds):
            response = await http.post(
                "/graphql", json={"query": CREATE_NEED, "variables": {"input": need}}
            )
            answered = time.perf_counter()
            created = response.json()["data"]["createNeed"]["need"]
            for inbox in inboxes:
                while True:
                    at, match = await asyncio.wait_for(inbox.get(), 60)
                    if match["need"]["key"] == created["key"]:
                        latencies.append(max(0.0, at - answered))
                        break
            for inbox in inboxes:  # other matches of the same need
                while not inbox.empty():
                    inbox.get_nowait()
            await http.post(
                "/graphql", json={"query": WITHDRAW, "variables": {"id": created["id"]}}
            )
    elapsed = time.perf_counter() - started
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return Stats(f"createNeed -> matchFound, {subscribers} subs", latencies, elapsed)


async def _floor(store: Store, rounds: int) -> Stats:
    """Raw insert acknowledged -> the event on a change stream of the same database."""
    probe = store.db.bench_probe
    latencies = []
    async with probe.watch([{"$match": {"operationType": "insert"}}]) as stream:
        for i in range(rounds):
            await probe.insert_one({"i": i})
            acknowledged = time.perf_counter()
            await stream.next()
            latencies.append(time.perf_counter() - acknowledged)
    await probe.drop()
    return Stats("floor: insert -> change event", latencies, sum(latencies))


async def _ordering_cost(store: Store, writers: int, batches: int = 40, size: int = 5) -> str:
    """Matches committed per second: in cursor order (the sequence taken in the writing
    transaction) against the floor of the same bulk writes with the sequence taken
    outside any transaction, as before cursors were commit-ordered."""
    scratch = Store(store.client, "clusterhub_bench_ordering", journal=store.journal)

    def docs(writer: int, batch: int) -> list[dict]:
        return [
            {"_id": f"{writer}-{batch}-{i}", "fingerprint": "f", "active": True, "score": 0.5}
            for i in range(size)
        ]

    async def ordered(writer: int) -> None:
        for batch in range(batches):
            await write_matches(scratch, [(UPSERT, d) for d in docs(writer, batch)])

    async def take(count: int) -> dict:
        while True:  # the embedded store reports concurrent single writes as conflicts
            try:
                return await scratch.db.counters.find_one_and_update(
                    {"_id": "floor"}, {"$inc": {"seq": count}}, return_document=True
                )
            except OperationFailure as error:
                if error.code != 112:
                    raise

    async def unordered(writer: int) -> None:
        for batch in range(batches):
            counter = await take(size)
            first = counter["seq"] - size
            await scratch.db.floor.insert_many(
                [d | {"seq": first + i} for i, d in enumerate(docs(writer, batch))]
            )

    rates = []
    for work in (ordered, unordered):
        await scratch.client.drop_database(scratch.db.name)
        await scratch.db.counters.insert_many(
            [{"_id": "matches", "seq": 0}, {"_id": "floor", "seq": 0}]
        )
        started = time.perf_counter()
        await asyncio.gather(*(work(w) for w in range(writers)))
        rates.append(writers * batches * size / (time.perf_counter() - started))
    await scratch.client.drop_database(scratch.db.name)
    return (
        f"matches committed/s, {writers:>2} writer(s): {rates[0]:,.0f} in cursor order "
        f"vs {rates[1]:,.0f} unordered floor ({rates[0] / rates[1]:.2f}x)"
    )


async def _matching_rate() -> str:
    with tempfile.TemporaryDirectory(prefix="clusterhub-bench-") as tmp:
        async with open_store(Settings(data_dir=Path(tmp), demo=False)) as store:
            batch = demo_batch()
            await Importer(store, match=False).run(batch)
            offers = await store.find("offers", {}, limit=100_000)
            needs = await store.find("needs", {}, limit=100_000)
            async with own_catalogue(store) as catalogue:
                matcher = await Matcher.load(store, catalogue.listings, await load_taxonomy(store))
                started = time.perf_counter()
                counts = await matcher.refresh(needs=needs)
                skip = {n["_id"] for n in needs}
                counts.add(await matcher.refresh(offers=offers, skip_needs=skip))
                elapsed = time.perf_counter() - started
    listings = len(offers) + len(needs)
    return (
        f"bulk matching of the demo data: {listings} listings, {counts.created} matches in "
        f"{elapsed:.1f} s = {counts.created / elapsed:.0f} matches/s, "
        f"{listings / elapsed:.0f} listings/s"
    )


async def main(args: argparse.Namespace) -> None:
    async with (
        bench_store(args.data_dir, args.synthetic) as settings,
        serve_in_process(settings.model_copy(update={"subscriber_queue": 4096})) as (url, app),
    ):
        store: Store = app.state.hub.store
        print(
            f"store: {await store.db.offers.estimated_document_count()} offers, "
            f"{await store.db.needs.estimated_document_count()} needs"
        )
        headers = await admin_headers(store)
        need = await _a_fitting_need(store)
        for writers in (1, 16):
            print(await _ordering_cost(store, writers))
        floor = await _floor(store, args.rounds * 5)
        print(floor.line())
        for subscribers in args.subscribers:
            stats = await _end_to_end(url, app, headers, need, subscribers, args.rounds)
            print(stats.line())
            print(
                f"{'':<34} ratio to floor: p50 {stats.p50 / floor.p50:.1f}x, "
                f"p99 {stats.p99 / floor.p99:.1f}x"
            )
    print(await _matching_rate())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an embedded store seeded before")
    parser.add_argument("--synthetic", type=int, default=0, help="synthetic offers and needs")
    parser.add_argument("--rounds", type=int, default=20, help="needs created per run")
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1, 100, 1000])
    asyncio.run(main(parser.parse_args()))
