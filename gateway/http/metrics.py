"""Prometheus metrics on `/metrics`: what one hub process does, for operators to scrape.

One registry per app, not prometheus-client's global one: a process may run several
hubs (the tests do), each counting its own. GraphQL operations are counted as they are
answered: queries and mutations by `resolvers.metrics`, each subscriber's stream by
`Metrics.stream`, requests refused before GraphQL by `Metrics.refused`. The live layer's
and the store's plain counters, the matching queue and the store's state are read at
each scrape, so nothing below this layer knows Prometheus.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Iterable
from contextlib import aclosing
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types.graphql import OperationType

from gateway.errors import ClusterHubError, is_outage
from gateway.http.probes import READY_TIMEOUT, store_answers
from gateway.services.session import Hub
from gateway.store import matchqueue
from resolvers.errors import client_code
from resolvers.metrics import UNKNOWN

SUBSCRIPTION = OperationType.SUBSCRIPTION.value


class Metrics:
    """The hub's counters; `operation` makes it the schema's `resolvers.metrics.Observer`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._operations = Counter(
            "clusterhub_operations",
            "GraphQL operations received (HTTP requests, WebSocket operations), by type; "
            "unknown: refused before its type was known",
            ["type"],
            registry=self.registry,
        )
        self._errors = Counter(
            "clusterhub_operation_errors",
            "GraphQL operations (or subscription results) answered with errors, by "
            "operation type and error code",
            ["type", "code"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "clusterhub_operation_duration_seconds",
            "Time to answer a query or mutation, from its document to its result",
            ["type"],
            registry=self.registry,
        )
        self._active = Gauge(
            "clusterhub_subscriptions_active",
            "Subscriptions streaming to clients now",
            registry=self.registry,
        )
        self._delivered = Counter(
            "clusterhub_subscription_events_delivered",
            "Subscription results with data handed to subscribers",
            registry=self.registry,
        )

    def operation(self, kind: str, seconds: float | None, codes: Collection[str]) -> None:
        self._operations.labels(kind).inc()
        self._count_errors(kind, codes)
        if seconds is not None:
            self._duration.labels(kind).observe(seconds)

    def refused(self, error: ClusterHubError, kind: str = UNKNOWN) -> None:
        """An operation refused before GraphQL ran it (a bad key, the request budget...)."""
        self.operation(kind, None, (error.code,))

    async def stream(self, results: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """One subscriber's results, counted: the subscription as it starts, then active
        until it ends, each result as delivered or by its errors' codes."""
        self._operations.labels(SUBSCRIPTION).inc()
        self._active.inc()
        try:
            async with aclosing(results):  # type: ignore[type-var]
                async for result in results:
                    if result.errors:
                        self._count_errors(SUBSCRIPTION, {client_code(e) for e in result.errors})
                    if result.data is not None:
                        self._delivered.inc()
                    yield result
        finally:
            self._active.dec()

    def _count_errors(self, kind: str, codes: Iterable[str]) -> None:
        for code in codes:
            self._errors.labels(kind, code).inc()

    async def endpoint(self, request: Request) -> Response:
        """`GET /metrics`: the counters, and the hub's state as of now."""
        hub: Hub = request.app.state.hub
        up = await store_answers(hub.store)
        queue = await _queue_length(hub) if up else None
        scrape = _Scrape(self.registry, _hub_metrics(hub, up, queue))
        return Response(generate_latest(scrape), media_type=CONTENT_TYPE_LATEST)


async def _queue_length(hub: Hub) -> int | None:
    """Listings waiting to be matched; None when the store does not tell in time."""
    try:
        return await asyncio.wait_for(matchqueue.pending(hub.store), READY_TIMEOUT)
    except TimeoutError:
        return None
    except Exception as error:
        if not is_outage(error):
            raise
        return None


def _hub_metrics(hub: Hub, store_up: bool, queue: int | None) -> list[Metric]:
    overflows = (hub.events.overflows, hub.cohorts.overflows)
    metrics: list[Metric] = [
        CounterMetricFamily(
            "clusterhub_subscribers_cut_off",
            "Subscribers cut off for falling a whole queue behind (slow consumers)",
            value=sum(o.subscribers for o in overflows),
        ),
        CounterMetricFamily(
            "clusterhub_subscription_events_dropped",
            "Events lost by subscribers cut off for falling behind",
            value=sum(o.events for o in overflows),
        ),
        CounterMetricFamily(
            "clusterhub_matching_listings",
            "Offers and needs this process matched (their rate is the queue's throughput)",
            value=hub.store.listings_matched,
        ),
        GaugeMetricFamily(
            "clusterhub_store_up",
            "1 when the database answers a ping in time, else 0",
            value=int(store_up),
        ),
    ]
    if queue is not None:
        metrics.append(
            GaugeMetricFamily(
                "clusterhub_matching_queue_length",
                "Offers and needs waiting to be matched, by any hub process",
                value=queue,
            )
        )
    return metrics


class _Scrape(Collector):
    """What one scrape reports: the registry's metrics and the hub's of the moment."""

    def __init__(self, registry: CollectorRegistry, now: list[Metric]) -> None:
        self.registry = registry
        self.now = now

    def collect(self) -> Iterable[Metric]:
        yield from self.registry.collect()
        yield from self.now
