"""Prometheus metrics on /metrics: parseable, and moving with the hub's traffic."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from gateway.store import matchqueue
from tests.client import HubClient, running_hub
from tests.records import welder_need, welders_cluster
from tests.test_sse import sse

CREATE_NEED = "mutation ($i: CreateNeedInput!) { createNeed(input: $i) { need { key } } }"
MATCH_FOUND = "subscription { matchFound { key score } }"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return _value(after, name, **labels) - _value(before, name, **labels)


async def test_requests_errors_and_latencies_are_counted_by_operation_type_and_code(hub):
    admin = await hub.key("HUB_ADMIN")
    before = await hub.metrics()

    for _ in range(3):
        await hub.query("{ __typename }", headers=admin)
    await hub.execute("{ nope }", headers=admin)
    await hub.execute('mutation { withdrawOffer(id: "x") { nope } }', headers=admin)
    await hub.execute("{ __typename }", headers={"authorization": "Bearer not-a-key"})
    after = await hub.metrics()

    def moved(name: str, **labels: str) -> float:
        return _moved(before, after, name, **labels)

    assert moved("clusterhub_operations_total", type="query") == 4
    assert moved("clusterhub_operations_total", type="mutation") == 1
    assert moved("clusterhub_operations_total", type="unknown") == 1  # refused before GraphQL
    errors = "clusterhub_operation_errors_total"
    assert moved(errors, type="query", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert moved(errors, type="mutation", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert moved(errors, type="unknown", code="UNAUTHENTICATED") == 1
    assert moved("clusterhub_operation_duration_seconds_count", type="query") == 4
    assert moved("clusterhub_operation_duration_seconds_sum", type="query") > 0


async def test_subscribers_are_counted_while_active_and_each_match_delivered_to_each(hub):
    await hub.seed(welders_cluster())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    before = await hub.metrics()
    async with AsyncExitStack() as stack:
        live = [  # two dashboards over WebSocket, one over SSE
            await stack.enter_async_context(
                hub.subscribe(MATCH_FOUND, init={"Authorization": viewer["authorization"]})
            )
            for _ in range(2)
        ]
        events = await stack.enter_async_context(sse(hub.http, MATCH_FOUND, headers=viewer))
        await hub.wait_subscribers(3)
        during = await hub.metrics()
        await hub.query(CREATE_NEED, {"i": welder_need(0)}, member)
        await asyncio.gather(*(s.next() for s in live), events.next())
        delivered = await hub.metrics()
    await _until_no_subscription_is_active(hub)
    after = await hub.metrics()

    assert _moved(before, during, "clusterhub_subscriptions_active") == 3
    assert _moved(before, during, "clusterhub_operations_total", type="subscription") == 3
    assert _moved(during, delivered, "clusterhub_subscription_events_delivered_total") == 3
    assert _moved(during, delivered, "clusterhub_operations_total", type="mutation") == 1
    assert _value(after, "clusterhub_subscriptions_active") == 0
    # the new need was matched by this process (the mutation matches its own write)
    assert _moved(before, after, "clusterhub_matching_listings_total") >= 1


async def _until_no_subscription_is_active(hub: HubClient) -> None:
    async with asyncio.timeout(5):
        while _value(await hub.metrics(), "clusterhub_subscriptions_active"):
            await asyncio.sleep(0.05)


async def test_the_matching_queue_and_the_store_are_reported_as_they_are_now(hub):
    await hub.seed(welders_cluster())
    queue = ("clusterhub_matching_queue_length", frozenset())
    assert (await hub.metrics())[queue] == 0
    # the offer is due again, leased to a hub elsewhere that holds it for an hour
    await hub.store.db.offers.update_one(
        {"_id": "welders"}, {"$set": matchqueue.due_fields("elsewhere/1/x", 3600)}
    )
    samples = await hub.metrics()
    assert samples[queue] == 1
    assert _value(samples, "clusterhub_store_up") == 1

    hub.store.went_down()  # as the supervisor marks a restarting embedded store
    try:
        down = await hub.metrics()
    finally:
        hub.store.came_back()
    assert _value(down, "clusterhub_store_up") == 0
    assert queue not in down  # unknown while the store does not answer


async def test_metrics_can_be_switched_off(settings):
    async with running_hub(settings.model_copy(update={"metrics": False})) as hub:
        assert (await hub.http.get("/metrics")).status_code == 404
