"""WebSocket hygiene on both protocols: keep-alive, the init timeout, the subscription cap."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.client import running_hub
from tests.records import cluster_file

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]


@pytest.fixture
async def strict_hub(settings):
    tight = settings.model_copy(
        update={
            "ws_keepalive_seconds": 0.2,
            "ws_init_timeout_seconds": 0.5,
            "ws_max_subscriptions": 2,
        }
    )
    async with running_hub(tight) as hub:
        yield hub


async def _initialised(hub, protocol: str, payload: dict | None = None):
    ws = await websockets.connect(hub.ws_url, subprotocols=[protocol])
    await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


@pytest.mark.parametrize(("protocol", "keep_alive"), [(PROTOCOLS[0], "ping"), (PROTOCOLS[1], "ka")])
async def test_the_server_keeps_idle_sockets_alive(strict_hub, protocol, keep_alive):
    ws = await _initialised(strict_hub, protocol)
    async with ws:
        seen = [json.loads(await asyncio.wait_for(ws.recv(), 2))["type"] for _ in range(3)]
    assert seen == [keep_alive] * 3


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_without_connection_init_is_closed(strict_hub, protocol):
    async with websockets.connect(strict_hub.ws_url, subprotocols=[protocol]) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 3)
    assert closed.value.rcvd.code == 4408


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_one_subscription_over_the_cap_closes_the_socket(strict_hub, protocol):
    await strict_hub.seed(cluster_file())
    viewer = await strict_hub.key("VIEWER", cluster="test-cluster")
    start = "subscribe" if protocol == PROTOCOLS[0] else "start"
    payload = {"query": "subscription { offerPublished { key } }"}
    ws = await _initialised(strict_hub, protocol, {"Authorization": viewer["authorization"]})
    async with ws:
        for i in range(2):
            await ws.send(json.dumps({"id": str(i), "type": start, "payload": payload}))
        await strict_hub.wait_subscribers(2)  # both run
        await ws.send(json.dumps({"id": "2", "type": start, "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 3)
    assert closed.value.rcvd.code == 4413
