"""GraphQL over HTTP and WebSocket: Strawberry's ASGI app with the hub's caller handling.

Authentication and the request budget run before GraphQL sees a request (and, on a
WebSocket, before each operation starts: `gateway.http.wsprotocol`); requests
GraphQL cannot even read (not JSON, no query, a wrong method) are answered in
GraphQL's error shape with a `code`, like every other error. A request that accepts
`text/event-stream` is answered with Server-Sent Events (`gateway.http.sse`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from graphql import OperationType
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from gateway.domain.access import Principal
from gateway.errors import BadRequest, ClientError, ClusterHubError, Unavailable, is_outage
from gateway.http.metrics import Metrics
from gateway.http.pages import graphiql_page
from gateway.http.ratelimit import RateLimiter
from gateway.http.responses import error_response
from gateway.http.sse import EventStreams
from gateway.http.streaming import operation_type
from gateway.http.wsprotocol import LegacyWSHandler, TransportWSHandler
from gateway.services.keys import bearer_token
from gateway.settings import Settings
from resolvers.context import Context
from resolvers.schema import build_schema


class GraphQLApp(GraphQL):
    """Strawberry's ASGI app with the hub's per-request context and API-key authentication."""

    graphql_ws_handler_class = LegacyWSHandler
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        super().__init__(
            build_schema(settings, metrics),
            keep_alive=True,
            keep_alive_interval=settings.ws_keepalive_seconds,
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
            allowed_origins=settings.cors_origins,  # the WebSocket side of `.cors`
        )
        self.limiter = RateLimiter(settings.rate_limit_per_minute)
        self.metrics = metrics
        self.event_streams = EventStreams(settings.ws_keepalive_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            scope.setdefault("state", {})["viewer"] = await self._admit(request)
            if self.event_streams.wanted(request):
                response = await self.event_streams.respond(self, request)
            else:
                response = await self.run(request)
        except ClientError as error:
            response = self._refuse(error)
        except HTTPException as error:
            response = self._refuse(BadRequest(error.reason, error.status_code))
        except Exception as error:
            if not is_outage(error):
                raise
            response = self._refuse(_unavailable())
        await response(scope, receive, send)

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        """Queries and mutations over plain HTTP; a subscription needs a stream (Strawberry
        would run it and fail on its first result, an INTERNAL error for a client's
        mistake)."""
        data = kwargs["request_data"]
        kind = operation_type(data.query, data.operation_name) if data.query else None
        if kind is OperationType.SUBSCRIPTION:
            raise BadRequest(
                "a subscription runs over a WebSocket or as Server-Sent Events "
                "(send Accept: text/event-stream)"
            )
        return await super().execute_single(*args, **kwargs)

    def _refuse(self, error: ClusterHubError) -> Response:
        """The answer to a request GraphQL does not run, counted."""
        self.metrics.refused(error)
        return error_response(error)

    async def _admit(self, request: Request) -> Principal | None:
        """The caller behind the request's key, if it is within its request budget."""
        if not request.app.state.hub.store.available:
            raise _unavailable()  # at once: the store is restarting
        token = bearer_token(request.headers.get("authorization"))
        try:
            viewer = await request.app.state.hub.keys.authenticate(token) if token else None
        except ClientError as error:  # a bad key spends its address's budget before its 401
            raise self.limiter.take(None, request) or error from None
        if refusal := self.limiter.take(viewer, request):
            raise refusal
        return viewer

    async def render_graphql_ide(self, request: Request) -> Response:
        """The hub's own GraphiQL page: its assets come from the hub, not a CDN."""
        return graphiql_page()

    async def get_context(self, request: HTTPConnection, response: Any = None) -> Context:
        return Context(
            request=request,
            response=response,
            hub=request.app.state.hub,
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
                context.viewer = await context.hub.keys.authenticate(token)
            except ClientError as error:  # counted like a bad key over HTTP
                refusal = self.limiter.take(None, context.request) or error
                self.metrics.refused(refusal)
                raise ConnectionRejectionError(
                    {"message": str(refusal), "code": refusal.code}
                ) from None


def _unavailable() -> Unavailable:
    return Unavailable("the database is not available right now; retry in a few seconds")
