"""Keys that can be cut off: revocation and expiry reach open sockets on every process.

A key is checked when a socket opens; a revoked HUB_ADMIN key used to keep streaming and
even mint new keys over its open socket. Now the change stream tells every hub process
of the revocation, which closes the key's sockets (4403); an expired key is refused and
its sockets close at its expiry; keys are remembered, so a keyed request no longer costs
a store read, and revocation does not wait for that memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import pytest
import websockets

from gateway.services.keys import create_key, revoke_key
from schemas.access import ApiKeySpec
from tests.commands import recorded

REVOKE = "mutation ($k: String!) { revokeApiKey(keyId: $k) }"
MINT = 'mutation { createApiKey(input: {role: HUB_ADMIN, label: "minted"}) { keyId userErrors { code } } }'
PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]


def _ws_url(base_url: str) -> str:
    return base_url.replace("http", "ws", 1) + "/graphql"


async def _open(url: str, protocol: str, key: str) -> websockets.ClientConnection:
    """An acknowledged socket on `url` authenticated with `key`, with a live subscription."""
    ws = await websockets.connect(url, subprotocols=[protocol])
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}})
    )
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    start = "subscribe" if protocol == "graphql-transport-ws" else "start"
    query = "subscription { matchFound { key } }"
    await ws.send(json.dumps({"id": "1", "type": start, "payload": {"query": query}}))
    return ws


async def _closed_within(ws: websockets.ClientConnection, seconds: float) -> tuple[int, str]:
    """The close code and reason the server sends within `seconds` (keep-alives and completions ignored)."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(seconds):
            while True:
                message = json.loads(await ws.recv())
                assert message["type"] in ("ka", "ping", "complete"), message
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def _still_open(ws: websockets.ClientConnection) -> bool:
    pong = await ws.ping()
    await asyncio.wait_for(pong, 5)
    return True


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_revoking_a_key_closes_its_socket_on_another_hub_process(hub, second_hub, protocol):
    admin = await hub.key("HUB_ADMIN")
    key, record = await create_key(hub.store, ApiKeySpec(role="HUB_ADMIN"))
    other, _ = await create_key(hub.store, ApiKeySpec(role="HUB_ADMIN"))
    revoked_ws = await _open(_ws_url(second_hub), protocol, key)
    other_ws = await _open(_ws_url(second_hub), protocol, other)
    try:
        started = time.perf_counter()
        assert (await hub.query(REVOKE, {"k": record["_id"]}, admin))["revokeApiKey"] is True
        code, reason = await _closed_within(revoked_ws, 5)
        assert code == 4403 and "revoked" in reason
        assert time.perf_counter() - started < 5
        assert await _still_open(other_ws)  # another key's socket is untouched
    finally:
        await revoked_ws.close()
        await other_ws.close()


async def test_a_revoked_admin_key_mints_nothing_over_its_open_socket(hub):
    key, record = await create_key(hub.store, ApiKeySpec(role="HUB_ADMIN"))
    ws = await _open(hub.ws_url, "graphql-transport-ws", key)
    try:
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": MINT}}))
        minted = json.loads(await ws.recv())
        while minted["type"] == "ping":
            minted = json.loads(await ws.recv())
        assert minted["payload"]["data"]["createApiKey"]["keyId"]  # positive control
        assert await revoke_key(hub.store, record["_id"])  # as `clusterhub keys revoke` does
        code, _ = await _closed_within(ws, 5)
        assert code == 4403
    finally:
        await ws.close()
    keys = await hub.store.db.api_keys.count_documents({"label": "minted"})
    assert keys == 1
    response = await hub.http.post(
        "/graphql", json={"query": MINT}, headers={"authorization": f"Bearer {key}"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_expired_key_is_refused_and_its_socket_closes_at_expiry(hub, protocol):
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    spec = ApiKeySpec(role="HUB_ADMIN", expires_at=expires)
    key, _ = await create_key(hub.store, spec)
    lasting, _ = await create_key(hub.store, ApiKeySpec(role="HUB_ADMIN"))
    headers = {"authorization": f"Bearer {key}"}
    assert (await hub.query("{ viewer { role } }", headers=headers))["viewer"][
        "role"
    ] == "HUB_ADMIN"
    ws = await _open(hub.ws_url, protocol, key)
    lasting_ws = await _open(hub.ws_url, protocol, lasting)
    try:
        code, reason = await _closed_within(ws, 5)
        assert code == 4403 and "expired" in reason
        assert dt.datetime.now(dt.UTC) >= expires
        assert await _still_open(lasting_ws)
    finally:
        await ws.close()
        await lasting_ws.close()
    response = await hub.http.post(
        "/graphql", json={"query": "{ viewer { role } }"}, headers=headers
    )
    assert response.status_code == 401


async def test_a_key_that_expired_before_is_refused(hub):
    with pytest.raises(ValueError, match="must lie in the future"):
        ApiKeySpec(role="HUB_ADMIN", expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    admin = await hub.key("HUB_ADMIN")
    create = 'mutation { createApiKey(input: {role: HUB_ADMIN, expiresAt: "2020-01-01T00:00:00Z"}) { keyId userErrors { field code } } }'
    payload = (await hub.query(create, headers=admin))["createApiKey"]
    assert payload["keyId"] is None and payload["userErrors"][0]["field"] == "expiresAt"


async def test_a_known_key_costs_no_store_read_until_revoked(hub, settings):
    key, record = await create_key(hub.store, ApiKeySpec(role="HUB_ADMIN"))
    headers = {"authorization": f"Bearer {key}"}
    assert (await hub.query("{ viewer { role } }", headers=headers))["viewer"]
    with recorded(settings.database) as commands:
        assert (await hub.query("{ viewer { role } }", headers=headers))["viewer"]
    assert "find api_keys" not in [str(c) for c in commands]
    assert await revoke_key(hub.store, record["_id"])  # in the store, not through this hub
    async with asyncio.timeout(5):  # the change stream brings it within milliseconds
        while (
            await hub.http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        ).status_code != 401:
            await asyncio.sleep(0.01)
