"""Live matches exactly once: cursor order is commit order across hub processes.

Two hub processes on one database, 16 concurrent writers through both: the live stream
a dashboard receives is in cursor order, and for every prefix of it, resuming after the
prefix's last cursor yields exactly the rest: no gap, no duplicate.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.records import OFFER, cluster_file, welder_need

WRITERS = 16
NEEDS_PER_WRITER = 4
OFFERS = 3

MATCH_FOUND = """
subscription ($after: String) { matchFound(after: $after) { key cursor } }
"""
MATCHES_AFTER = """
query ($after: String) {
  matches(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { key cursor } } }
}
"""
CREATE_NEED = """
mutation ($input: CreateNeedInput!) { createNeed(input: $input) { userErrors { code } } }
"""


def _cluster() -> dict:
    data = cluster_file()
    data["offers"] = [
        dict(OFFER, id=f"welders-{i}", skills=["welding"], headcount=1) for i in range(OFFERS)
    ]
    data["needs"] = []
    return data


async def _rest_after(hub, viewer, cursor: str | None) -> list[tuple[str, str]]:
    """Every match after `cursor`, as the `matches` query pages them."""
    found = []
    while True:
        page = (await hub.query(MATCHES_AFTER, {"after": cursor}, viewer))["matches"]
        found += [(e["node"]["key"], e["node"]["cursor"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        cursor = page["pageInfo"]["endCursor"]


async def test_resuming_after_any_prefix_of_the_live_stream_yields_exactly_the_rest(
    hub, second_hub
):
    await hub.seed(_cluster())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    expected = WRITERS * NEEDS_PER_WRITER * OFFERS
    urls = [hub.base_url, second_hub]

    async def writer(i: int) -> None:
        async with httpx.AsyncClient(base_url=urls[i % 2], headers=member, timeout=60) as http:
            for n in range(NEEDS_PER_WRITER):
                body = {
                    "query": CREATE_NEED,
                    "variables": {"input": welder_need(i * NEEDS_PER_WRITER + n)},
                }
                answer = (await http.post("/graphql", json=body)).json()
                assert answer["data"]["createNeed"]["userErrors"] == [], answer

    init = {"Authorization": viewer["authorization"]}
    async with hub.subscribe(MATCH_FOUND, init=init) as live:
        await hub.wait_subscribers(1)
        await asyncio.gather(*(writer(i) for i in range(WRITERS)))
        stream = []
        for _ in range(expected):
            match = (await live.next(timeout=20))["matchFound"]
            stream.append((match["key"], match["cursor"]))

    assert len({key for key, _ in stream}) == expected  # no duplicate
    assert stream == await _rest_after(hub, viewer, None)  # in cursor order, nothing missing
    for i in range(len(stream)):
        assert await _rest_after(hub, viewer, stream[i][1]) == stream[i + 1 :], i

    # a dashboard resuming its subscription after a prefix gets the rest, then nothing more
    for i in (0, expected // 3, expected - 2):
        async with hub.subscribe(MATCH_FOUND, {"after": stream[i][1]}, init=init) as resumed:
            rest = []
            for _ in range(expected - i - 1):
                match = (await resumed.next(timeout=10))["matchFound"]
                rest.append((match["key"], match["cursor"]))
            with pytest.raises(TimeoutError):
                await resumed.next(timeout=0.5)
        assert rest == stream[i + 1 :]


async def test_a_dashboard_resuming_while_writers_write_misses_nothing_and_repeats_nothing(
    hub, second_hub
):
    """The resumed dashboard replays alone and then reads a live cohort it starts itself:
    matches committed between its replay and the cohort's first event must still come,
    once, in cursor order (compared with the stored matches after the writers stop)."""
    await hub.seed(_cluster())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    init = {"Authorization": viewer["authorization"]}
    start = (await hub.query("{ matchCursor }", {}, viewer))["matchCursor"]

    async def write(client: httpx.AsyncClient, n: int) -> None:
        for k in range(NEEDS_PER_WRITER):
            need = welder_need(n * NEEDS_PER_WRITER + k)
            answer = await client.post(
                "/graphql", json={"query": CREATE_NEED, "variables": {"input": need}}
            )
            assert answer.json()["data"]["createNeed"]["userErrors"] == []

    urls = [hub.base_url, second_hub]
    clients = [httpx.AsyncClient(base_url=url, headers=member, timeout=60) for url in urls]
    writers = [asyncio.create_task(write(clients[n % 2], n)) for n in range(WRITERS)]
    received: list[tuple[str, str]] = []
    try:
        await asyncio.sleep(0.05)  # some matches are made before the dashboard comes back
        async with hub.subscribe(MATCH_FOUND, {"after": start}, init=init) as resumed:
            while len(received) < WRITERS * NEEDS_PER_WRITER * OFFERS:
                match = (await resumed.next(timeout=20))["matchFound"]
                received.append((match["key"], match["cursor"]))
            with pytest.raises(TimeoutError):
                await resumed.next(timeout=0.5)
        await asyncio.gather(*writers)
    finally:
        for client in clients:
            await client.aclose()
    assert received == await _rest_after(hub, viewer, start)
