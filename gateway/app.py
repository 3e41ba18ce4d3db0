"""The ASGI application: GraphQL over HTTP and WebSocket, health probes, lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL

from gateway.database import open_store
from gateway.events import EventStream
from gateway.settings import Settings, get_settings
from resolvers.context import Context
from resolvers.schema import schema

log = logging.getLogger("clusterhub")

LIVE_COLLECTIONS = ("offers", "needs", "matches")
READY_TIMEOUT = 2.0


class _GraphQL(GraphQL):
    """Strawberry's ASGI app with the hub's per-request context."""

    async def get_context(self, request: HTTPConnection, response: Any = None) -> Context:
        state = request.app.state
        return Context(request=request, store=state.store, events=state.events)


async def healthz(request: Request) -> Response:
    """The process is alive (it answers)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The process can serve: the database answers a ping in time."""
    try:
        ok = await asyncio.wait_for(request.app.state.store.ping(), READY_TIMEOUT)
    except TimeoutError:
        ok = False
    if ok:
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "unavailable", "reason": "database does not answer"}, 503)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_store(settings) as store:
            events = EventStream(store, LIVE_COLLECTIONS)
            await events.start()
            app.state.store, app.state.events = store, events
            try:
                yield
            finally:
                await events.stop()  # ends every subscription before the client closes

    graphql = _GraphQL(schema)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
