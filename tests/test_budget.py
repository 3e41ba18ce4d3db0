"""One request budget per caller across HTTP and WebSocket (issue #12, item 4).

Every HTTP request and every operation started on a socket spends a token of the
caller's budget: its key's, or without a valid key its client address's. Budgets here
are 3 a minute, so a spent one does not refill (1 token per 20 s) while a test runs.
Over `graphql-transport-ws` the operations are queries; the legacy `graphql-ws` runs
only subscriptions.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from pydantic import ValidationError

from gateway.settings import Settings
from tests.client import running_hub
from tests.records import OFFER, cluster_file

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]
BUDGET = 3
QUERY = {"query": "{ __typename }"}
SUBSCRIPTION = {"query": "subscription { offerPublished { key } }"}


@pytest.fixture
async def hub(settings):
    async with running_hub(settings.model_copy(update={"rate_limit_per_minute": BUDGET})) as hub:
        yield hub


class Socket:
    """One initialised WebSocket that runs operations one at a time."""

    def __init__(self, hub, ws: Any, protocol: str) -> None:
        self.hub = hub
        self.ws = ws
        self.protocol = protocol
        self.ids = 0

    async def start(self, payload: dict[str, Any]) -> str:
        self.ids += 1
        start = "subscribe" if self.protocol == PROTOCOLS[0] else "start"
        await self.ws.send(json.dumps({"id": str(self.ids), "type": start, "payload": payload}))
        return str(self.ids)

    async def receive(self) -> dict[str, Any]:
        """The next message that is not a keep-alive."""
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 5))
            if message["type"] not in ("ka", "ping"):
                return message

    async def runs(self) -> None:
        """One operation runs: a query answers, a subscription joins the live ones."""
        if self.protocol == PROTOCOLS[0]:
            await self.start(QUERY)
            answer = await self.receive()
            assert answer["type"] == "next", answer
            assert answer["payload"]["data"] == {"__typename": "Query"}
            assert (await self.receive())["type"] == "complete"
        else:
            live = self.hub.app.state.hub.cohorts.member_count
            await self.start(SUBSCRIPTION)
            await self.hub.wait_subscribers(live + 1)

    async def refused(self) -> dict[str, Any]:
        """One operation is refused for the budget: the extensions of its error message."""
        started = await self.start(QUERY if self.protocol == PROTOCOLS[0] else SUBSCRIPTION)
        message = await self.receive()
        assert message["id"] == started and message["type"] == "error", message
        payload = message["payload"]
        error = payload[0] if isinstance(payload, list) else payload  # a list on the newer one
        assert error["extensions"]["code"] == "RATE_LIMITED", error
        assert error["extensions"]["retryAfter"] >= 1
        return error["extensions"]

    async def is_open(self) -> bool:
        """The server still answers a WebSocket ping on this socket."""
        await asyncio.wait_for(await self.ws.ping(), 5)
        return True


async def _socket(hub, protocol: str, headers: dict[str, str] | None = None) -> Socket:
    ws = await websockets.connect(hub.ws_url, subprotocols=[protocol])
    init = {"Authorization": headers["authorization"]} if headers else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": init}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return Socket(hub, ws, protocol)


async def _post(hub, headers: dict[str, str] | None = None):
    return await hub.http.post("/graphql", json=QUERY, headers=headers)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_operations_on_one_socket_are_refused_once_the_budget_is_spent(hub, protocol):
    key = await hub.key("HUB_ADMIN")
    socket = await _socket(hub, protocol, key)
    async with socket.ws:
        for _ in range(BUDGET):
            await socket.runs()
        await socket.refused()
        await socket.refused()
        assert await socket.is_open()  # refused, not closed
        # positive control: another key's socket still runs operations
        other = await _socket(hub, protocol, await hub.key("HUB_ADMIN"))
        async with other.ws:
            await other.runs()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_subscription_spends_one_token_when_started_not_per_event(hub, protocol):
    await hub.seed(cluster_file())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    socket = await _socket(hub, protocol, viewer)
    async with socket.ws:
        subscription = await socket.start(SUBSCRIPTION)
        await hub.wait_subscribers(1)
        more = [dict(OFFER, id=f"test-offer-{i}", title=f"Angebot {i}") for i in (2, 3, 4)]
        await hub.seed(cluster_file(offers=more))
        for _ in more:
            event = await socket.receive()
            assert event["id"] == subscription and event["payload"]["data"]["offerPublished"]
        for _ in range(BUDGET - 1):  # three events later, the rest of the budget is left
            await socket.runs()
        await socket.refused()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_http_and_websocket_spend_one_budget(hub, protocol):
    spent_over_http = await hub.key("HUB_ADMIN")
    for _ in range(BUDGET):
        assert (await _post(hub, spent_over_http)).status_code == 200
    socket = await _socket(hub, protocol, spent_over_http)
    async with socket.ws:
        await socket.refused()

    spent_over_ws = await hub.key("HUB_ADMIN")
    socket = await _socket(hub, protocol, spent_over_ws)
    async with socket.ws:
        for _ in range(BUDGET):
            await socket.runs()
    refused = await _post(hub, spent_over_ws)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1

    # positive control: a key that spent nothing still gets through both ways
    fresh = await hub.key("HUB_ADMIN")
    assert (await _post(hub, fresh)).status_code == 200
    socket = await _socket(hub, protocol, fresh)
    async with socket.ws:
        await socket.runs()


async def test_anonymous_websocket_operations_spend_the_address_budget(hub):
    socket = await _socket(hub, PROTOCOLS[0])
    async with socket.ws:
        for _ in range(BUDGET):
            await socket.runs()
    assert (await _post(hub)).status_code == 429
    assert (await _post(hub, await hub.key("HUB_ADMIN"))).status_code == 200


async def test_invalid_keys_spend_the_address_budget_before_their_401(hub):
    invalid = {"authorization": "Bearer chk_not-a-key"}
    answers = [await _post(hub, invalid) for _ in range(BUDGET + 2)]
    assert [a.status_code for a in answers] == [401] * BUDGET + [429] * 2
    assert answers[-1].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert (await _post(hub)).status_code == 429  # anonymous from the same address: spent too
    # positive control: a valid key has its own budget
    assert (await _post(hub, await hub.key("HUB_ADMIN"))).status_code == 200


async def test_invalid_keys_on_sockets_spend_the_address_budget(hub):
    init = {"Authorization": "Bearer chk_not-a-key"}
    for _ in range(BUDGET):
        async with websockets.connect(hub.ws_url, subprotocols=["graphql-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            refused = json.loads(await ws.recv())
            assert refused["type"] == "connection_error"
            assert refused["payload"]["code"] == "UNAUTHENTICATED"
    async with websockets.connect(hub.ws_url, subprotocols=["graphql-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await ws.recv())["payload"]["code"] == "RATE_LIMITED"
    assert (await _post(hub)).status_code == 429
    assert (await _post(hub, await hub.key("HUB_ADMIN"))).status_code == 200


async def test_a_spoofed_forwarded_for_shares_the_peer_budget(hub):
    for _ in range(BUDGET):
        assert (await _post(hub)).status_code == 200
    spoofed = {"x-forwarded-for": "203.0.113.7"}
    assert (await _post(hub, spoofed)).status_code == 429
    async with websockets.connect(
        hub.ws_url, subprotocols=[PROTOCOLS[0]], additional_headers=spoofed
    ) as ws:
        socket = Socket(hub, ws, PROTOCOLS[0])
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await socket.refused()


async def test_a_trusted_proxy_forwards_each_client_its_own_budget(settings):
    trusting = settings.model_copy(
        update={"rate_limit_per_minute": BUDGET, "trusted_proxies": ["127.0.0.1"]}
    )
    async with running_hub(trusting) as hub:
        for _ in range(BUDGET):
            assert (await _post(hub)).status_code == 200
        assert (await _post(hub)).status_code == 429  # the proxy's own requests are spent
        client = {"x-forwarded-for": "203.0.113.7"}
        answers = [await _post(hub, client) for _ in range(BUDGET + 1)]
        assert [a.status_code for a in answers] == [200] * BUDGET + [429]
        assert (await _post(hub, {"x-forwarded-for": "203.0.113.8"})).status_code == 200


def test_trusted_proxies_are_read_as_a_comma_separated_list_of_networks(monkeypatch):
    assert Settings(_env_file=None).trusted_proxies == []  # by default trust no one
    monkeypatch.setenv("CLUSTERHUB_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16,::1")
    assert Settings(_env_file=None).trusted_proxies == ["10.0.0.5/32", "10.1.0.0/16", "::1/128"]
    monkeypatch.setenv("CLUSTERHUB_TRUSTED_PROXIES", "10.0.0.5,proxy.internal")
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(_env_file=None)
