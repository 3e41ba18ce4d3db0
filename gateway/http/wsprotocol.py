"""The two WebSocket protocols, with the hub's hygiene on both.

- Keep-alive: the server pings (`graphql-transport-ws` `ping`, legacy `ka`) every
  `ws_keepalive_seconds`, so idle dashboards behind proxies stay connected and dead
  peers are noticed.
- A socket that does not send `connection_init` within `ws_init_timeout_seconds` is
  closed with 4408 on both protocols (Strawberry does it only for the newer one).
- At most `ws_max_subscriptions` operations run on one socket; one more closes it with
  `TOO_MANY_SUBSCRIPTIONS` (4413), a clear signal instead of an error message a
  client may ignore.
- The legacy protocol is strict about malformed messages: like `graphql-transport-ws`
  (4400), the hub closes such a connection instead of ignoring its input.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

MALFORMED_MESSAGE = 4400
INIT_TIMEOUT = 4408
TOO_MANY_SUBSCRIPTIONS = 4413


async def _cancel(task: asyncio.Task[Any] | None) -> None:
    if task is not None:
        task.cancel()
        with suppress(BaseException):
            await task


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """`graphql-transport-ws` with server pings and a closing subscription cap."""

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
        limit = self.max_subscriptions_per_connection
        if self.connection_acknowledged and limit is not None and len(self.operations) >= limit:
            reason = f"too many subscriptions: at most {limit} per connection"
            await self.websocket.close(code=TOO_MANY_SUBSCRIPTIONS, reason=reason)
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        await _cancel(self.ping_task)
        await super().shutdown()


class LegacyWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """The legacy `graphql-ws` protocol: strict, with an init timeout and a closing cap."""

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
            await _cancel(timeout)
            await _cancel(self.keep_alive_task)
            await self.cleanup()

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.connection_acknowledged:
            await self.websocket.close(INIT_TIMEOUT, "Connection initialisation timeout")

    async def handle_start(self, message: Any) -> None:
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
        await super().handle_start(message)
