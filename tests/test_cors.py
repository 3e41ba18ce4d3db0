"""Browser pages on other origins: CORS for HTTP, and the same list for WebSockets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.client import HubClient, running_hub

PORTAL = "https://portal.example.org"
ELSEWHERE = "https://elsewhere.example.org"


@pytest.fixture
async def portal_hub(settings) -> AsyncIterator[HubClient]:
    async with running_hub(settings.model_copy(update={"cors_origins": [PORTAL]})) as client:
        yield client


async def _preflight(hub: HubClient, origin: str):
    return await hub.http.options(
        "/graphql",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type, x-request-id",
        },
    )


async def _ws_accepted(hub: HubClient, origin: str | None) -> bool:
    """Whether a WebSocket opened with `origin` gets as far as `connection_ack`."""
    try:
        async with websockets.connect(
            hub.ws_url, subprotocols=["graphql-transport-ws"], origin=origin
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            return json.loads(await ws.recv())["type"] == "connection_ack"
    except InvalidStatus as refusal:
        assert refusal.response.status_code == 403
        return False


async def test_a_preflight_from_a_listed_origin_allows_what_a_graphql_client_sends(portal_hub):
    response = await _preflight(portal_hub, PORTAL)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert {"GET", "POST"} <= set(response.headers["access-control-allow-methods"].split(", "))
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type", "x-request-id"} <= allowed


async def test_a_listed_origin_reads_the_answer_and_its_request_id(portal_hub):
    response = await portal_hub.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": PORTAL}
    )

    assert response.json()["data"] == {"__typename": "Query"}
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


async def test_a_preflight_from_an_unlisted_origin_is_refused(portal_hub):
    response = await _preflight(portal_hub, ELSEWHERE)

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_without_the_setting_no_page_elsewhere_is_allowed(hub):
    preflight = await _preflight(hub, PORTAL)
    answer = await hub.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": PORTAL}
    )

    assert preflight.status_code >= 400
    for response in (preflight, answer):
        assert not [h for h in response.headers if h.startswith("access-control-")]


async def test_a_websocket_from_a_page_elsewhere_is_refused_at_the_handshake(portal_hub, hub):
    assert not await _ws_accepted(portal_hub, ELSEWHERE)
    assert not await _ws_accepted(hub, PORTAL)  # without the setting: no other origin


async def test_a_websocket_from_a_listed_origin_the_hub_itself_or_no_browser_is_accepted(
    portal_hub,
):
    assert await _ws_accepted(portal_hub, PORTAL)
    assert await _ws_accepted(portal_hub, portal_hub.base_url)  # GraphiQL, the dashboard
    assert await _ws_accepted(portal_hub, None)  # a script: browsers always send Origin
