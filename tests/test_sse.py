"""Subscriptions over Server-Sent Events (graphql-sse, distinct connections mode).

Each match event's SSE `id` is the match's cursor, so a client that reconnects with
`Last-Event-ID` gets exactly what it missed, then live matches; what a key may not see
never arrives; refusals carry codes; a revoked key ends its stream.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.services.keys import create_key, revoke_key
from schemas.access import ApiKeySpec
from tests.client import running_hub
from tests.records import insert_raw_offers, welder_need, welders_cluster
from tests.test_cost import FANNING_SUBSCRIPTION

MATCH_FOUND = "subscription ($after: String) { matchFound(after: $after) { key } }"
CREATE_NEED = "mutation ($i: CreateNeedInput!) { createNeed(input: $i) { need { key } } }"
MATCHES = "query ($after: String) { matches(first: 100, after: $after) { edges { node { key cursor } } } }"


@dataclass
class Event:
    event: str
    data: Any
    id: str | None = None


class EventReader:
    """An SSE response read event by event; comment lines are kept apart."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.comments: list[str] = []
        self._lines = response.aiter_lines()

    async def next(self, timeout: float = 5.0) -> Event:
        """The next event; StopAsyncIteration when the response ends first."""
        fields: dict[str, str] = {}
        async with asyncio.timeout(timeout):
            async for line in self._lines:
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                elif line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                elif fields:
                    data = fields.get("data", "")
                    return Event(
                        fields["event"], json.loads(data) if data else None, fields.get("id")
                    )
        raise StopAsyncIteration

    async def ended(self, timeout: float = 5.0) -> bool:
        """The response ends without another event."""
        with pytest.raises(StopAsyncIteration):
            await self.next(timeout)
        return True


@asynccontextmanager
async def sse(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[EventReader]:
    """An operation POSTed for an event stream."""
    body = {"query": query, "variables": variables or {}}
    headers = {"accept": "text/event-stream", **(headers or {})}
    async with http.stream("POST", "/graphql", json=body, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)


async def _matches_after(hub, viewer, cursor: str | None) -> list[tuple[str, str]]:
    edges = (await hub.query(MATCHES, {"after": cursor}, viewer))["matches"]["edges"]
    return [(e["node"]["cursor"], e["node"]["key"]) for e in edges]


async def _create_needs(hub, member, numbers: range) -> None:
    for n in numbers:
        await hub.query(CREATE_NEED, {"i": welder_need(n)}, member)


def _id_and_key(event: Event) -> tuple[str | None, str]:
    assert event.event == "next", event
    return event.id, event.data["data"]["matchFound"]["key"]


@pytest.fixture
async def welders(hub):
    await hub.seed(welders_cluster())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    return hub, viewer, member


async def test_a_new_match_arrives_with_its_cursor_as_event_id(welders):
    hub, viewer, member = welders
    async with sse(hub.http, MATCH_FOUND, headers=viewer) as events:  # `cursor` not selected
        await hub.wait_subscribers(1)
        await _create_needs(hub, member, range(1))
        event = await events.next()
    [(cursor, key)] = await _matches_after(hub, viewer, None)
    assert event == Event("next", {"data": {"matchFound": {"key": key}}}, cursor)


async def test_reconnecting_with_last_event_id_gets_exactly_the_missed_matches_then_live_ones(
    welders,
):
    hub, viewer, member = welders
    async with sse(hub.http, MATCH_FOUND, headers=viewer) as events:
        await hub.wait_subscribers(1)
        await _create_needs(hub, member, range(2))
        seen = [_id_and_key(await events.next()) for _ in range(2)]
    assert seen == await _matches_after(hub, viewer, None)
    await _create_needs(hub, member, range(2, 7))  # while disconnected
    missed = await _matches_after(hub, viewer, seen[-1][0])
    assert len(missed) == 5

    # Last-Event-ID is newer than the operation's `after` (the first match): it wins
    resume = {**viewer, "last-event-id": seen[-1][0]}
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(
            sse(hub.http, MATCH_FOUND, {"after": seen[0][0]}, resume)
        )
        assert [_id_and_key(await first.next()) for _ in range(5)] == missed
        # a second client resuming from the same event later gets the same replay
        # (a replay is no cohort's to share: a late joiner would miss it)
        second = await stack.enter_async_context(
            sse(hub.http, MATCH_FOUND, {"after": seen[0][0]}, resume)
        )
        assert [_id_and_key(await second.next()) for _ in range(5)] == missed
        # then live (subscribed before their replays), once each: the next event is the newest
        for n in (7, 8):
            await _create_needs(hub, member, range(n, n + 1))
            newest = (await _matches_after(hub, viewer, None))[-1]
            assert _id_and_key(await first.next()) == newest
            assert _id_and_key(await second.next()) == newest


def _closed_cluster() -> dict[str, Any]:
    """Like `welders_cluster`, but a cluster whose listings only its own members see."""
    data = welders_cluster()
    data["cluster"].update(id="closed", sharing={"policy": "CLUSTER"})
    for org in data["organisations"]:
        org.update(id=org["id"].replace("test-", "closed-"), memberships=[{"cluster": "closed"}])
    data["offers"][0].update(id="closed-welders", organisation="closed-org-0")
    return data


async def test_a_match_the_key_may_not_see_never_arrives(welders):
    hub, viewer, member = welders
    await hub.seed(_closed_cluster())
    insider = await hub.key("VIEWER", cluster="closed")
    outsider_member = await hub.key("MEMBER", organisation="closed-org-1")
    async with sse(hub.http, MATCH_FOUND, headers=viewer) as mine:
        async with sse(hub.http, MATCH_FOUND, headers=insider) as theirs:
            await hub.wait_subscribers(2)
            closed_need = welder_need(0) | {"organisationId": "closed-org-1"}
            await hub.query(CREATE_NEED, {"i": closed_need}, outsider_member)
            hidden = _id_and_key(await theirs.next())  # the closed cluster's own match
        await _create_needs(hub, member, range(1, 2))
        visible = await _matches_after(hub, viewer, None)
        assert hidden not in visible
        assert _id_and_key(await mine.next()) == visible[0]  # the hidden one never came


async def test_queries_and_mutations_send_one_result_then_complete(welders):
    hub, viewer, member = welders
    async with sse(hub.http, "{ viewer { role } }", headers=viewer) as events:
        assert (await events.next()).data["data"] == {"viewer": {"role": "VIEWER"}}
        assert (await events.next()).event == "complete"
        assert await events.ended()
    async with sse(hub.http, CREATE_NEED, {"i": welder_need(0)}, member) as events:
        assert (await events.next()).data["data"]["createNeed"]["need"]["key"]
        assert (await events.next()).event == "complete"
    assert len(await _matches_after(hub, viewer, None)) == 1  # the mutation ran, once
    # GET with query parameters, as EventSource sends it: queries and subscriptions only
    params = {"query": CREATE_NEED, "variables": json.dumps({"i": welder_need(1)})}
    headers = {"accept": "text/event-stream", **member}
    async with hub.http.stream("GET", "/graphql", params=params, headers=headers) as response:
        events = EventReader(response)
        [error] = (await events.next()).data["errors"]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert (await events.next()).event == "complete"


async def test_refusals_carry_the_hubs_codes(welders):
    hub, viewer, _ = welders
    # errors found before execution arrive in the stream, as the protocol asks
    for query, headers, code in [
        ("subscription { matchFound {", viewer, "GRAPHQL_PARSE_FAILED"),
        (FANNING_SUBSCRIPTION, viewer, "COST_LIMIT"),
        ("subscription { matchFound { key } }", {}, "UNAUTHENTICATED"),  # no key: sees nothing
    ]:
        async with sse(hub.http, query, headers=headers) as events:
            [error] = (await events.next()).data["errors"]
            assert error["extensions"]["code"] == code, error
            assert (await events.next()).event == "complete"
            assert await events.ended()
    # a Last-Event-ID the hub never issued, reported like a bad `after`
    async with sse(hub.http, MATCH_FOUND, headers={**viewer, "last-event-id": "x"}) as events:
        [error] = (await events.next()).data["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        [problem] = error["extensions"]["problems"]
        assert (problem["field"], problem["code"]) == ("Last-Event-ID", "INVALID_CURSOR")
        assert (await events.next()).event == "complete"
    # what stops a request before GraphQL sees it is answered like any request
    headers = {"accept": "text/event-stream", "authorization": "Bearer unknown"}
    response = await hub.http.post("/graphql", json={"query": MATCH_FOUND}, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_revoked_key_ends_its_stream(welders):
    hub, _, _ = welders
    key, record = await create_key(hub.store, ApiKeySpec(role="VIEWER", cluster="test-cluster"))
    async with sse(hub.http, MATCH_FOUND, headers={"authorization": f"Bearer {key}"}) as events:
        await hub.wait_subscribers(1)
        assert await revoke_key(hub.store, record["_id"])  # as `clusterhub keys revoke` does
        [error] = (await events.next()).data["errors"]
        assert error == {
            "message": "the API key was revoked",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
        assert (await events.next()).event == "complete"
        assert await events.ended()


@pytest.fixture
async def strict_hub(settings):
    tight = settings.model_copy(update={"ws_keepalive_seconds": 0.2, "rate_limit_per_minute": 2})
    async with running_hub(tight) as hub:
        await hub.seed(welders_cluster())
        yield hub


async def test_idle_streams_are_kept_alive_and_each_stream_spends_the_budget(strict_hub):
    hub = strict_hub
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    async with sse(hub.http, MATCH_FOUND, headers=viewer) as events:
        with pytest.raises(TimeoutError):
            await events.next(timeout=0.7)  # no event, only comments
        assert events.comments[:3] == ["ping"] * 3
        await hub.query("{ viewer { role } }", headers=viewer)  # the budget's second token
        headers = {"accept": "text/event-stream", **viewer}
        refused = await hub.http.post("/graphql", json={"query": MATCH_FOUND}, headers=headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_shutdown_ends_open_streams_at_once_without_complete(settings):
    async with AsyncExitStack() as serving:
        hub = await serving.enter_async_context(running_hub(settings))
        await hub.seed(welders_cluster())
        viewer = await hub.key("VIEWER", cluster="test-cluster")
        async with (
            httpx.AsyncClient(base_url=hub.base_url, timeout=30) as http,
            sse(http, MATCH_FOUND, headers=viewer) as events,
        ):
            await hub.wait_subscribers(1)
            started = time.perf_counter()
            stopping = asyncio.create_task(serving.aclose())
            assert await events.ended()  # cleanly, and without `complete`: the client resumes
            await stopping
    assert time.perf_counter() - started < 2  # not uvicorn's 5 s graceful-shutdown timeout


async def _raw_request(port: int, body: dict[str, Any], headers: dict[str, str]) -> socket.socket:
    """A POST sent on a socket with a small receive window, that nobody reads yet."""
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting
    stalled.connect(("127.0.0.1", port))
    stalled.setblocking(False)
    content = json.dumps(body).encode()
    head = {"host": "hub", "content-type": "application/json", "connection": "close"}
    head |= headers | {"content-length": str(len(content))}
    lines = "".join(f"{name}: {value}\r\n" for name, value in head.items())
    await asyncio.get_running_loop().sock_sendall(
        stalled, f"POST /graphql HTTP/1.1\r\n{lines}\r\n".encode() + content
    )
    return stalled


async def _read_to_end(sock: socket.socket, timeout: float = 10) -> bytes:
    received = bytearray()
    async with asyncio.timeout(timeout):
        while chunk := await asyncio.get_running_loop().sock_recv(sock, 1 << 16):
            received += chunk
    return bytes(received)


async def test_a_stalled_stream_ends_without_complete_while_others_keep_receiving(settings):
    events = 1500  # 7.5 MB of descriptions: more than the sockets buffer for a stalled reader
    query = "subscription { offerPublished { key description } }"
    async with running_hub(settings.model_copy(update={"subscriber_queue": 16})) as hub:
        await hub.seed(welders_cluster())
        admin = await hub.key("HUB_ADMIN")
        port = int(hub.base_url.rsplit(":", 1)[1])
        headers = {"accept": "text/event-stream", **admin}
        stalled = await _raw_request(port, {"query": query}, headers)
        with stalled:
            async with sse(hub.http, query, headers=admin) as healthy:
                await hub.wait_subscribers(2)  # one cohort: the same operation and view

                async def read_all() -> list[str]:  # a healthy client reads as events come
                    return [
                        (await healthy.next(timeout=10)).data["data"]["offerPublished"]["key"]
                        for _ in range(events)
                    ]

                reading = asyncio.create_task(read_all())
                published = await insert_raw_offers(hub.store, events)
                assert await reading == published
            # the stalled one, reading at last, finds what was buffered, then the end of the
            # response without `complete`: its client reconnects and resumes
            response = await _read_to_end(stalled)
    assert response.startswith(b"HTTP/1.1 200")
    assert 0 < response.count(b"event: next") < events
    assert b"event: complete" not in response
    assert response.endswith(b"\r\n0\r\n\r\n")  # the chunked body ended cleanly
