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
- Subscriptions share cohorts as on every streaming transport (`gateway.http.streaming`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, suppress
from functools import partial
from typing import Any

import starlette.websockets
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from gateway import request_id
from gateway.errors import RateLimited
from gateway.http.streaming import CohortSchema, KeyWatch
from resolvers.context import Context

log = logging.getLogger("clusterhub.websocket")

_CLOSED = (WebSocketDisconnected, starlette.websockets.WebSocketDisconnected)
"""Sending failed: the socket closed (the client left, or its close is under way)."""

MALFORMED_MESSAGE = 4400
INIT_TIMEOUT = 4408
TOO_MANY_SUBSCRIPTIONS = 4413
KEY_CUT_OFF = 4403
"""The socket's API key was revoked or expired (Forbidden, as for a refused key)."""

Start = Callable[[], Awaitable[None]]
"""Starts an admitted operation: the protocol's own handling of its start message."""


def _over_budget(view: Any, context: Context) -> dict[str, Any] | None:
    """Spend a token of the caller's budget for one operation; the error to send when spent."""
    refusal: RateLimited | None = view.limiter.take(context.viewer, context.request)
    if refusal is None:
        return None
    view.metrics.refused(refusal)
    extensions = {"code": refusal.code, "retryAfter": refusal.retry_after}
    return {"message": str(refusal), "extensions": request_id.in_extensions(extensions)}


class _OperationIds:
    """A request id for each operation on a socket: the socket's own (`gateway.http.
    requestids`) and the operation's number on it, so that an operation's log lines and
    errors lead back to its socket."""

    def __init__(self) -> None:
        self.socket = request_id.current() or request_id.accept(None)
        self.count = 0

    def next(self) -> AbstractContextManager[str]:
        """The next operation's id, current within the block (and the operation's task)."""
        self.count += 1
        return request_id.bound(f"{self.socket}.{self.count}")


def _key_watch(handler: Any) -> KeyWatch:
    """The handler's socket, registered under its key: closed with KEY_CUT_OFF when cut off."""

    async def send_close(reason: str) -> None:
        with suppress(WebSocketDisconnected, RuntimeError):  # already gone
            await handler.websocket.close(KEY_CUT_OFF, reason)

    def close(reason: str) -> None:
        task = asyncio.ensure_future(send_close(reason))
        task.add_done_callback(_log_failure)

    return KeyWatch(handler.context, close)


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("closing the socket of a cut-off key failed", exc_info=task.exception())


async def _cancel(task: asyncio.Task[Any] | None) -> None:
    if task is not None:
        task.cancel()
        with suppress(BaseException):
            await task


class _Hygiene:
    """What both protocols add to Strawberry's handlers: cohorts, the key watch, a request
    id per operation, and the admission of each operation (`_admit`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = CohortSchema(self.schema, self.context, self.view.metrics)
        self.key_watch = _key_watch(self)
        self.operation_ids = _OperationIds()

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            self.key_watch.start()

    async def _admit(self, operation_id: str, running: int, start: Start) -> None:
        """Start an operation unless the key was cut off, the socket already runs its cap
        of operations (then closed with TOO_MANY_SUBSCRIPTIONS), or the caller's budget
        is spent (then an `error` message, the socket stays open)."""
        if self.key_watch.cut_off:
            return
        limit = self.max_subscriptions_per_connection
        if self.connection_acknowledged and limit is not None and running >= limit:
            reason = f"too many subscriptions: at most {limit} per connection"
            await self.websocket.close(code=TOO_MANY_SUBSCRIPTIONS, reason=reason)
            return
        with self.operation_ids.next():
            if self.connection_acknowledged and (error := _over_budget(self.view, self.context)):
                payload = self._error_payload(error)
                await self.send_message({"id": operation_id, "type": "error", "payload": payload})
                return
            await start()

    def _error_payload(self, error: dict[str, Any]) -> Any:
        return error


class TransportWSHandler(_Hygiene, BaseGraphQLTransportWSHandler[Any, Any]):
    """`graphql-transport-ws` with server pings, a closing cap and cohorts."""

    ping_task: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.ping_task is None:
            self.ping_task = asyncio.create_task(self._ping())

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.view.keep_alive_interval)
            await self.send_message({"type": "ping"})

    async def handle_subscribe(self, message: Any) -> None:
        start = partial(super().handle_subscribe, message)
        await self._admit(message["id"], len(self.operations), start)

    def _error_payload(self, error: dict[str, Any]) -> Any:
        return [error]  # this protocol sends a list of errors

    async def handle_task_exception(self, error: Exception) -> None:
        if isinstance(error, _CLOSED):  # the client's doing, not the hub's
            log.info("the socket closed before an operation's result was sent")
            return
        await super().handle_task_exception(error)

    async def shutdown(self) -> None:
        self.key_watch.stop()
        await _cancel(self.ping_task)
        await super().shutdown()


class LegacyWSHandler(_Hygiene, BaseGraphQLWSHandler[Any, Any]):
    """The legacy `graphql-ws` protocol: strict, an init timeout, a closing cap, cohorts."""

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

    async def handle_async_results(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().handle_async_results(*args, **kwargs)
        except _CLOSED:  # the client's doing, not the hub's
            log.info("the socket closed before an operation's result was sent")

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.connection_acknowledged:
            await self.websocket.close(INIT_TIMEOUT, "Connection initialisation timeout")

    async def handle_start(self, message: Any) -> None:
        # restarting a running id replaces it: it does not count against the cap
        running = len(self.tasks) - (message["id"] in self.tasks)
        await self._admit(message["id"], running, partial(super().handle_start, message))
