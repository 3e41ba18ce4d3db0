"""Bounded work per operation: a static cost budget checked before execution, an execution
timeout behind it, and `_service { sdl }` behind the introspection switch."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets

from tests.client import running_hub
from tests.commands import recorded
from tests.records import cluster_file, day

NESTING = (
    "clusters { edges { node { members { memberships { cluster { members { offers { title }"
    " } } } } } } }"
)
ABUSIVE = "{ " + " ".join(f"a{i}: {NESTING}" for i in range(30)) + " }"
"""The issue's query: within depth 10, 30 aliases and 5,000 tokens, millions of objects."""

PORTAL = """
{ clusters(first: 3) { edges { node { name
    members { name offers { title skills { en } } } } } } }
"""
PORTAL_COST = 3 * (1 + 1 + 50 * (1 + 10 * (1 + 5))) + 1
"""3 clusters x (edge + node + 50 members x (1 + 10 offers x (1 + 5 skills))) + the page."""

FANNING_SUBSCRIPTION = """
subscription { matchFound { suggestedTrainings { organisation { memberships { cluster {
    members { offers { skills { related { en } } } } } } } } } }
"""
"""One subscription within depth 10 whose every event would fan out to ~140,000 objects."""

PAGE = "query ($n: Int) { clusters(first: $n) { edges { node { members { name } } } } }"


@pytest.fixture
async def viewer(hub):
    await hub.seed(cluster_file())
    return await hub.key("VIEWER", cluster="test-cluster")


def _data_read(commands) -> list[str]:
    """Commands that read or wrote the hub's data (not the caller's key)."""
    return [str(c) for c in commands if c.collection != "api_keys"]


async def test_the_abusive_nesting_query_is_refused_before_execution(hub, settings, viewer):
    assert len(ABUSIVE) < 3200 and ABUSIVE.count(":") == 30
    with recorded(settings.database) as commands:
        started = time.monotonic()
        response = await hub.http.post("/graphql", json={"query": ABUSIVE}, headers=viewer)
        elapsed = time.monotonic() - started
    body = response.json()
    assert elapsed < 1.0
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "COST_LIMIT"
    assert error["extensions"]["limit"] == 50_000
    assert error["extensions"]["cost"] > 100_000_000
    assert str(error["extensions"]["cost"]) in error["message"]
    assert _data_read(commands) == []  # nothing ran


async def test_a_portal_page_is_accepted_and_its_cost_reported(hub, viewer):
    body = await hub.execute(PORTAL, headers=viewer)
    assert "errors" not in body
    [cluster] = body["data"]["clusters"]["edges"]
    assert len(cluster["node"]["members"]) == 3
    assert body["extensions"]["cost"] == {"requested": PORTAL_COST, "limit": 50_000}


async def test_first_from_a_variable_counts(hub, settings, viewer):
    async with running_hub(settings.model_copy(update={"max_query_cost": 1000})) as small:
        small_page = await small.execute(PAGE, {"n": 3}, headers=viewer)
        assert small_page["extensions"]["cost"]["requested"] == 1 + 3 * (1 + 1 + 50)
        assert small_page["data"]["clusters"]["edges"]
        large_page = await small.execute(PAGE, {"n": 50}, headers=viewer)
        assert large_page.get("data") is None
        assert large_page["errors"][0]["extensions"]["code"] == "COST_LIMIT"
        assert large_page["errors"][0]["extensions"]["cost"] == 1 + 50 * (1 + 1 + 50)
        # without `first`, the resolvers' page size (100) counts
        default_page = await small.execute(PAGE, headers=viewer)
        assert default_page["errors"][0]["extensions"]["cost"] == 1 + 100 * (1 + 1 + 50)


async def test_fragments_count_like_the_fields_they_spread(hub, viewer):
    fragments = """
    query { clusters(first: 3) { ...Page } }
    fragment Page on ClusterConnection { edges { node { ... on Cluster { ...Members } } } }
    fragment Members on Cluster { members { name offers { title skills { en } } } name }
    """
    body = await hub.execute(fragments, headers=viewer)
    assert body["extensions"]["cost"]["requested"] == PORTAL_COST
    spread = "fragment N on Cluster { members { memberships { cluster { members { offers { title } } } } } }"
    many = "{ " + " ".join(f"a{i}: clusters {{ edges {{ node {{ ...N }} }} }}" for i in range(20))
    refused = await hub.execute(many + " } " + spread, headers=viewer)
    assert refused["errors"][0]["extensions"]["code"] == "COST_LIMIT"


async def _ws_result(hub, headers, protocol: str, query: str) -> dict:
    """The first answer one operation gets over a WebSocket: a result's payload, or an
    `error` message's errors as `{"errors": [...]}`."""
    async with websockets.connect(hub.ws_url, subprotocols=[protocol]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        start = "subscribe" if protocol == "graphql-transport-ws" else "start"
        await ws.send(json.dumps({"id": "1", "type": start, "payload": {"query": query}}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if message["type"] in ("ka", "ping"):
                continue
            if message["type"] == "error":
                payload = message["payload"]
                return {"errors": payload if isinstance(payload, list) else [payload]}
            assert message["type"] in ("next", "data"), message
            return message["payload"]


async def _ws_errors(hub, headers, protocol: str, query: str) -> list[dict]:
    """The errors one operation gets over a WebSocket, with no data."""
    result = await _ws_result(hub, headers, protocol, query)
    assert result.get("data") is None, result
    return result["errors"]


async def test_a_portal_page_over_websocket_reports_its_cost_too(hub, viewer):
    result = await _ws_result(hub, viewer, "graphql-transport-ws", PORTAL)
    assert result["data"]["clusters"]["edges"]
    assert result["extensions"]["cost"] == {"requested": PORTAL_COST, "limit": 50_000}


@pytest.mark.parametrize(
    ("protocol", "query"),
    [
        ("graphql-transport-ws", ABUSIVE),
        ("graphql-transport-ws", FANNING_SUBSCRIPTION),
        ("graphql-ws", FANNING_SUBSCRIPTION),
    ],
    ids=["query", "subscription", "legacy-subscription"],
)
async def test_the_same_refusal_over_websocket(hub, settings, viewer, protocol, query):
    with recorded(settings.database) as commands:
        errors = await _ws_errors(hub, viewer, protocol, query)
    [error] = errors
    assert error["extensions"]["code"] == "COST_LIMIT", errors
    assert error["extensions"]["limit"] == 50_000 and error["extensions"]["cost"] > 50_000
    assert _data_read(commands) == []


async def test_a_cheap_subscription_over_websocket_still_starts(hub, viewer):
    query = "subscription { offerPublished { title organisation { name } } }"
    async with hub.subscribe(query, init=viewer):
        await hub.wait_subscribers(1)


async def test_a_query_running_past_the_timeout_is_cut_off(settings, viewer, hub):
    query = "{ clusters { totalCount edges { node { members { name } } } } }"
    assert (await hub.query(query, headers=viewer))["clusters"]["totalCount"] == 1
    quick = settings.model_copy(update={"operation_timeout_seconds": 1e-6})
    async with running_hub(quick) as impatient:
        body = await impatient.execute(query, headers=viewer)
        assert body.get("data") is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["TIMEOUT"]
        assert "cut off" in body["errors"][0]["message"]
        errors = await _ws_errors(impatient, viewer, "graphql-transport-ws", query)
        assert [e["extensions"]["code"] for e in errors] == ["TIMEOUT"]


CREATE_OFFER = """
mutation ($input: CreateOfferInput!) {
  createOffer(input: $input) { offer { id } userErrors { code } }
}
"""


async def test_a_mutation_cut_off_by_the_timeout_still_saves_its_write(settings, hub, viewer):
    member = await hub.key("MEMBER", organisation="test-org-1")
    new = {
        "organisationId": "test-org-1",
        "kind": "STAFF",
        "title": "Vier Lageristen frei",
        "skills": ["logistics-warehousing"],
        "headcount": 4,
        "period": {"start": day(56), "end": day(144)},
    }
    quick = settings.model_copy(update={"operation_timeout_seconds": 1e-6})
    async with running_hub(quick) as impatient:
        body = await impatient.execute(CREATE_OFFER, {"input": new}, headers=member)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "TIMEOUT"
        assert "read the data again before retrying" in error["message"]
        db = impatient.store.db
        async with asyncio.timeout(5):
            while (offer := await db.offers.find_one({"title": new["title"]})) is None:
                await asyncio.sleep(0.05)
            while not await db.audit.find_one({"target": offer["_id"]}):
                await asyncio.sleep(0.05)
    # the entitled caller with time to spare gets the usual answer
    created = (await hub.query(CREATE_OFFER, {"input": new}, member))["createOffer"]
    assert created["userErrors"] == [] and created["offer"]["id"]


SERVICE = "{ _service { sdl } }"


@pytest.mark.parametrize(
    "query",
    [SERVICE, "{ s: _service { sdl } }", "{ ... on Query { _service { sdl } } }"],
    ids=["plain", "alias", "fragment"],
)
async def test_service_sdl_follows_the_introspection_switch(settings, query):
    closed_settings = settings.model_copy(update={"introspection": False})
    async with running_hub(closed_settings) as closed:
        admin = await closed.key("HUB_ADMIN")
        for headers in (None, admin):  # refused for every caller, like introspection
            body = await closed.execute(query, headers=headers)
            assert body.get("data") is None
            [error] = body["errors"]
            assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            assert "introspection" in error["message"]
    async with running_hub(settings) as open_hub:
        data = await open_hub.query(query)
        assert "type Cluster" in next(iter(data.values()))["sdl"]
