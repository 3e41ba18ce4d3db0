"""The ASGI application: GraphQL over HTTP and WebSocket, health probes, lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from gateway.auth import InvalidApiKey, authenticate, bearer_token
from gateway.database import open_store
from gateway.demo import create_demo_keys, seed_demo_if_empty
from gateway.events import EventStream
from gateway.limits import MaxBodySize, json_error, too_many_requests
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings, get_settings
from gateway.taxonomy import TaxonomyCache
from gateway.wsprotocol import StrictGraphQLWSHandler
from resolvers.context import Context
from resolvers.schema import build_schema

log = logging.getLogger("clusterhub")

LIVE_COLLECTIONS = ("offers", "needs", "matches")
READY_TIMEOUT = 2.0


class _GraphQL(GraphQL):
    """Strawberry's ASGI app with the hub's per-request context and API-key authentication."""

    graphql_ws_handler_class = StrictGraphQLWSHandler

    def __init__(self, settings: Settings) -> None:
        super().__init__(build_schema(settings))
        self.limiter = RateLimiter(settings.rate_limit_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate and rate-limit HTTP requests before GraphQL sees them."""
        if scope["type"] == "http":
            request = Request(scope)
            token = bearer_token(request.headers.get("authorization"))
            try:
                viewer = await authenticate(request.app.state.store, token) if token else None
            except InvalidApiKey as error:
                await json_error(send, 401, "UNAUTHENTICATED", str(error))
                return
            caller = (
                viewer.key_id if viewer else f"ip:{request.client.host if request.client else '-'}"
            )
            wait = self.limiter.allow(caller)
            if wait:
                await too_many_requests(send, wait)
                return
            scope.setdefault("state", {})["viewer"] = viewer
        await super().__call__(scope, receive, send)

    async def get_context(self, request: HTTPConnection, response: Any = None) -> Context:
        state = request.app.state
        return Context(
            request=request,
            store=state.store,
            events=state.events,
            taxonomy=state.taxonomy,
            viewer=getattr(request.state, "viewer", None),
        )

    async def on_ws_connect(self, context: Context) -> None:
        """Authenticate a WebSocket from its `connection_init` payload."""
        params = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization")
        token = bearer_token(raw) if isinstance(raw, str) else None
        if token is None and isinstance(params.get("apiKey"), str):
            token = params["apiKey"]
        if token:
            try:
                context.viewer = await authenticate(context.store, token)
            except InvalidApiKey as error:
                raise ConnectionRejectionError({"message": str(error)}) from None


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
            if settings.seeds_demo and await seed_demo_if_empty(store) is not None:
                await create_demo_keys(store, settings.data_dir)
            events = EventStream(store, LIVE_COLLECTIONS, settings.subscriber_queue)
            await events.start()
            app.state.store, app.state.events = store, events
            app.state.taxonomy = TaxonomyCache(store.all_skills)
            try:
                yield
            finally:
                await events.stop()  # ends every subscription before the client closes

    graphql = _GraphQL(settings)
    return Starlette(
        middleware=[Middleware(MaxBodySize, limit=settings.max_body_bytes)],
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
