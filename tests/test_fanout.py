"""Fan-out: the documents of a live event are read once, however many subscribers get it."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from tests.commands import Command, recorded
from tests.records import welder_need, welders_cluster

MATCH_FOUND = """
subscription { matchFound { key offer { key organisation { name } } need { key } } }
"""
CREATE_NEED = "mutation ($i: CreateNeedInput!) { createNeed(input: $i) { need { key } } }"


def _loads_by_id(commands: list[Command]) -> int:
    """Reads of offers, needs and organisations by `_id`."""
    return sum(
        c.name == "find"
        and c.collection in ("offers", "needs", "organisations")
        and c.filter_keys == {"_id"}
        for c in commands
    )


async def _reads_for_one_event(hub, settings, viewer, member, subscribers: int, n: int) -> int:
    """Reads by id while `subscribers` dashboards receive the match of one new need."""
    async with AsyncExitStack() as stack:
        live = [
            await stack.enter_async_context(
                hub.subscribe(MATCH_FOUND, init={"Authorization": viewer["authorization"]})
            )
            for _ in range(subscribers)
        ]
        await hub.wait_subscribers(subscribers)
        with recorded(settings.database) as commands:
            await hub.query(CREATE_NEED, {"i": welder_need(n)}, member)
            received = await asyncio.gather(*(s.next() for s in live))
    assert {r["matchFound"]["offer"]["organisation"]["name"] for r in received} == {
        "Testbetrieb 0 GmbH"
    }
    await asyncio.sleep(1.1)  # shared loads live a second: the next round starts cold
    return _loads_by_id(commands)


async def test_an_event_costs_the_same_reads_for_one_subscriber_or_fifty(hub, settings):
    await hub.seed(welders_cluster())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    for key in (viewer, member):  # a key's first use reads it (and its organisation) once
        await hub.query("{ viewer { role } }", headers=key)
    one = await _reads_for_one_event(hub, settings, viewer, member, 1, 0)
    fifty = await _reads_for_one_event(hub, settings, viewer, member, 50, 1)
    assert one == fifty
