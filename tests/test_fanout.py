"""Fan-out: the documents of a live event are read once, however many subscribers get it."""

from __future__ import annotations

import asyncio
import threading
from contextlib import AsyncExitStack

from pymongo import monitoring

from tests.records import welder_need, welders_cluster

MATCH_FOUND = """
subscription { matchFound { key offer { key organisation { name } } need { key } } }
"""
CREATE_NEED = "mutation ($i: CreateNeedInput!) { createNeed(input: $i) { need { key } } }"


class _LoadsByIds(monitoring.CommandListener):
    """Counts reads of offers, needs and organisations by `_id` in one database."""

    def __init__(self) -> None:
        self.database: str | None = None
        self.count = 0
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = event.command
        if (
            event.database_name == self.database
            and event.command_name == "find"
            and command.get("find") in ("offers", "needs", "organisations")
            and set(command.get("filter", {})) == {"_id"}
        ):
            with self._lock:
                self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


_LOADS = _LoadsByIds()
monitoring.register(_LOADS)  # applies to clients created from now on: the hubs below


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
        _LOADS.database, _LOADS.count = settings.database, 0
        await hub.query(CREATE_NEED, {"i": welder_need(n)}, member)
        received = await asyncio.gather(*(s.next() for s in live))
        _LOADS.database = None
    assert {r["matchFound"]["offer"]["organisation"]["name"] for r in received} == {
        "Testbetrieb 0 GmbH"
    }
    await asyncio.sleep(1.1)  # shared loads live a second: the next round starts cold
    return _LOADS.count


async def test_an_event_costs_the_same_reads_for_one_subscriber_or_fifty(hub, settings):
    await hub.seed(welders_cluster())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    one = await _reads_for_one_event(hub, settings, viewer, member, 1, 0)
    fifty = await _reads_for_one_event(hub, settings, viewer, member, 50, 1)
    assert one == fifty
