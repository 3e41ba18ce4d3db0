"""The ASGI application: routes, middleware and the lifespan that opens the hub."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from gateway.http.cors import cors_middleware
from gateway.http.graphql import GraphQLApp
from gateway.http.limits import MaxBodySize
from gateway.http.metrics import Metrics
from gateway.http.pages import ROUTES as PAGES
from gateway.http.probes import healthz, readyz
from gateway.http.requestids import RequestIds
from gateway.live.catalogue import COLLECTIONS as CATALOGUE_COLLECTIONS
from gateway.live.catalogue import Catalogue
from gateway.live.events import EventStream
from gateway.services.demo import create_demo_keys, seed_demo_if_empty
from gateway.services.keyring import KEYS
from gateway.services.session import Hub
from gateway.settings import Settings, get_settings
from gateway.store import open_store

LIVE_COLLECTIONS = (*CATALOGUE_COLLECTIONS, "matches", KEYS)
COHORT_BACKLOG = 10_000
"""Events a cohort's shared computation may fall behind (the hub's own work, not a
client's reading speed: that is bounded per subscriber by `subscriber_queue`)."""


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options for serving the app, wherever it is served."""
    return {
        # small JSON messages to thousands of sockets: compressing each one costs more CPU
        # than it saves (py-spy, 1,000 subscribers: deflate was 40% of the send path)
        "ws_per_message_deflate": False,
        "timeout_graceful_shutdown": 5,
        # X-Forwarded-For rewrites the client address, whose budget an anonymous caller
        # spends, only from the configured proxies: uvicorn by default trusts it from
        # loopback, where a spoofed header would escape the budget
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies),
        "log_config": None,  # the hub's logging (`gateway.http.logs`) formats uvicorn's too
    }


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_store(settings) as store:
            events = EventStream(store, LIVE_COLLECTIONS, COHORT_BACKLOG)
            await events.start()
            catalogue = Catalogue(store, events)
            await catalogue.load()
            app.state.hub = hub = Hub(
                store, events, catalogue, subscriber_queue=settings.subscriber_queue
            )
            if settings.seeds_demo and await seed_demo_if_empty(store, hub.matching) is not None:
                await create_demo_keys(store, settings.data_dir)
            # the cyclic collector's young generation at 50,000 allocations instead of 700:
            # an event to 10,000 subscribers allocates hundreds of thousands of short-lived
            # objects, and frequent collections rescanned the subscribers' long-lived ones
            # (bench/fanout.py, 10,000 subscribers: p99 2.6 s -> 0.51 s, hub CPU per event
            # 1.37 s -> 0.59 s)
            gc.set_threshold(50_000, 50, 100)
            # picks up matching that a hub, seed or import left when it died
            worker = asyncio.create_task(hub.matching.run(), name="clusterhub-matching")
            try:
                yield
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
                await events.stop()  # ends every subscription before the client closes
                await catalogue.close()

    metrics = Metrics()
    graphql = GraphQLApp(settings, metrics)
    app = Starlette(
        middleware=[
            Middleware(RequestIds),  # outermost: every response, refusals too, names its id
            *cors_middleware(settings),
            Middleware(MaxBodySize, limit=settings.max_body_bytes),
        ],
        routes=[
            Route("/graphql", graphql),  # every method: GraphQL answers the wrong ones
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *([Route("/metrics", metrics.endpoint)] if settings.metrics else []),
            *PAGES,
        ],
        lifespan=lifespan,
    )
    app.state.event_streams = graphql.event_streams  # ended first at shutdown (`.server`)
    return app
