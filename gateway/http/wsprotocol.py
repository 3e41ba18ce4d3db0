"""The two WebSocket protocols, with the hub's hygiene on both.

- Keep-alive: the server pings (`graphql-transport-ws` `ping`, legacy `ka`) every
  `ws_keepalive_seconds`, so idle dashboards behind proxies stay connected and dead
  peers are noticed.
- A socket that does not send `connection_init` within `ws_init_timeout_seconds` is
  closed with 4408 on both protocols (Strawberry does it only for the newer one).
- At most `ws_max_subscriptions` operations run on one socket; one more closes it with
  `TOO_MANY_SUBSCRIPTIONS` (4413), a clear signal instead of an error message a
  client may ignore.
- Every operation started (`subscribe`, legacy `start`: queries, mutations and
  subscriptions alike) spends a token of the caller's request budget, the one HTTP
  requests spend too (`gateway.http.ratelimit`). Over budget, the operation gets an
  `error` message coded `RATE_LIMITED` with `retryAfter` seconds; the socket stays open.
- A socket is registered under the API key it authenticated with: when the key is
  revoked (on any hub process) or expires, the socket is closed with `KEY_CUT_OFF`
  (4403) and no further operation runs on it.
- The legacy protocol is strict about malformed messages: like `graphql-transport-ws`
  (4400), the hub closes such a connection instead of ignoring its input.
- Subscriptions with the same operation, variables and view of the data join one
  cohort (`gateway.live.cohorts`): executed once per event for all of them. One that
  reads a candidate's personal data shares only with the same key, so the access log
  names every key it reaches.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import lru_cache
from typing import Any

from graphql import (
    BREAK,
    FieldNode,
    GraphQLError,
    OperationType,
    Visitor,
    get_operation_ast,
    parse,
    visit,
)
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.schema.base import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from gateway.errors import RateLimited
from gateway.live.connections import Connection
from gateway.services.keyring import REVOKED
from resolvers.context import Context

log = logging.getLogger("clusterhub.websocket")

MALFORMED_MESSAGE = 4400
INIT_TIMEOUT = 4408
TOO_MANY_SUBSCRIPTIONS = 4413
KEY_CUT_OFF = 4403
"""The socket's API key was revoked or expired (Forbidden, as for a refused key)."""


@lru_cache(maxsize=1024)
def _operation_type(query: str, operation_name: str | None) -> OperationType | None:
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return None  # the ordinary path reports it
    return operation.operation if operation is not None else None


def _cohort_key(
    query: str, operation_name: str | None, variables: dict[str, Any] | None, context: Context
) -> tuple[Any, ...] | None:
    """What makes two subscriptions compute the same: None for what is not shared."""
    viewer = context.viewer
    if viewer is None or _operation_type(query, operation_name) is not OperationType.SUBSCRIPTION:
        return None
    scope = (viewer.role, viewer.cluster, viewer.organisation, viewer.clusters)
    if _reads_candidates(query):  # the access log names each key that reads personal data
        scope += (viewer.key_id,)
    return (query, operation_name, json.dumps(variables or {}, sort_keys=True), scope)


class _CandidateFinder(Visitor):
    """Looks for a referral's `candidate` (personal data) anywhere in a document."""

    found = False

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        self.found = node.name.value == "candidate"
        return BREAK if self.found else None


@lru_cache(maxsize=1024)
def _reads_candidates(query: str) -> bool:
    finder = _CandidateFinder()
    with suppress(GraphQLError):
        visit(parse(query), finder)
    return finder.found


class _CohortSchema:
    """The schema as a protocol handler runs operations on it: a subscription joins the
    cohort of the same operation, variables and view; anything else runs on its own."""

    def __init__(self, schema: BaseSchema, context: Context) -> None:
        self._schema = schema
        self._context = context

    async def stream(self, query: str, **options: Any) -> Any:
        return await self._run(self._schema.stream, query, options)

    async def subscribe(self, query: str, **options: Any) -> Any:
        return await self._run(self._schema.subscribe, query, options)

    async def _run(self, run: Callable[..., Awaitable[Any]], query: str, options: dict) -> Any:
        key = _cohort_key(
            query, options.get("operation_name"), options.get("variable_values"), self._context
        )
        if key is None:
            return await run(query, **options)
        cohorts = self._context.hub.cohorts
        return cohorts.stream(key, lambda: run(query, **options), self._context.cut_off)


def _over_budget(view: Any, context: Context) -> dict[str, Any] | None:
    """Spend a token of the caller's budget for one operation; the error to send when spent."""
    refusal: RateLimited | None = view.limiter.take(context.viewer, context.request)
    if refusal is None:
        return None
    extensions = {"code": refusal.code, "retryAfter": refusal.retry_after}
    return {"message": str(refusal), "extensions": extensions}


class _KeyWatch:
    """Keeps a socket registered under its caller's key, so that revoking the key (or
    its expiry) closes the socket, and refuses operations once it is cut off."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.connection: Connection | None = None
        self.cut_off = False

    def start(self) -> None:
        viewer = self.handler.context.viewer
        if viewer is None or not self.handler.connection_acknowledged or self.connection:
            return
        keys = self.handler.context.hub.keys
        self.connection = keys.connections.add(viewer.key_id, self._close, viewer.expires_at)
        if keys.was_revoked(viewer.key_id):  # revoked while the socket was being opened
            keys.connections.cut_off(viewer.key_id, REVOKED)

    def stop(self) -> None:
        if self.connection is not None:
            self.handler.context.hub.keys.connections.remove(self.connection)
            self.connection = None

    def _close(self, reason: str) -> None:
        self.cut_off = True  # at once: no operation starts from now on
        self.connection = None
        task = asyncio.ensure_future(self._send_close(reason))
        task.add_done_callback(_log_failure)

    async def _send_close(self, reason: str) -> None:
        with suppress(WebSocketDisconnected, RuntimeError):  # already gone
            await self.handler.websocket.close(KEY_CUT_OFF, reason)


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("closing the socket of a cut-off key failed", exc_info=task.exception())


async def _cancel(task: asyncio.Task[Any] | None) -> None:
    if task is not None:
        task.cancel()
        with suppress(BaseException):
            await task


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """`graphql-transport-ws` with server pings, a closing cap and cohorts."""

    ping_task: asyncio.Task[None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _CohortSchema(self.schema, self.context)  # type: ignore[assignment]
        self.key_watch = _KeyWatch(self)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        self.key_watch.start()
        if self.connection_acknowledged and self.ping_task is None:
            self.ping_task = asyncio.create_task(self._ping())

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.view.keep_alive_interval)
            await self.send_message({"type": "ping"})

    async def handle_subscribe(self, message: Any) -> None:
        if self.key_watch.cut_off:
            return
        limit = self.max_subscriptions_per_connection
        if self.connection_acknowledged and limit is not None and len(self.operations) >= limit:
            reason = f"too many subscriptions: at most {limit} per connection"
            await self.websocket.close(code=TOO_MANY_SUBSCRIPTIONS, reason=reason)
            return
        if self.connection_acknowledged and (error := _over_budget(self.view, self.context)):
            await self.send_message({"id": message["id"], "type": "error", "payload": [error]})
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        self.key_watch.stop()
        await _cancel(self.ping_task)
        await super().shutdown()


class LegacyWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """The legacy `graphql-ws` protocol: strict, an init timeout, a closing cap, cohorts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _CohortSchema(self.schema, self.context)  # type: ignore[assignment]
        self.key_watch = _KeyWatch(self)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        self.key_watch.start()

    async def handle(self) -> None:
        timeout = asyncio.create_task(self._close_unless_initialised())
        try:
            async for message in self.websocket.iter_json(ignore_parsing_errors=False):
                if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                    await self.websocket.close(MALFORMED_MESSAGE, "Invalid message")
                    return
                await self.handle_message(message)  # type: ignore[arg-type]
        except NonJsonMessageReceived:
            await self.websocket.close(MALFORMED_MESSAGE, "Invalid message: not JSON")
        except NonTextMessageReceived:
            await self.websocket.close(1002, "WebSocket message type must be text")
        except WebSocketDisconnected:
            pass
        finally:
            self.key_watch.stop()
            await _cancel(timeout)
            await _cancel(self.keep_alive_task)
            await self.cleanup()

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.connection_acknowledged:
            await self.websocket.close(INIT_TIMEOUT, "Connection initialisation timeout")

    async def handle_start(self, message: Any) -> None:
        if self.key_watch.cut_off:
            return
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and limit is not None
            and message["id"] not in self.tasks
            and len(self.tasks) >= limit
        ):
            reason = f"too many subscriptions: at most {limit} per connection"
            await self.websocket.close(code=TOO_MANY_SUBSCRIPTIONS, reason=reason)
            return
        if self.connection_acknowledged and (error := _over_budget(self.view, self.context)):
            await self.send_message({"id": message["id"], "type": "error", "payload": error})
            return
        await super().handle_start(message)
