"""The legacy `graphql-ws` protocol, strict about malformed messages.

Strawberry's handler skips messages that are not JSON; like `graphql-transport-ws`
(close code 4400), the hub closes such a connection instead of ignoring its input.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

MALFORMED_MESSAGE = 4400


class StrictGraphQLWSHandler(BaseGraphQLWSHandler[Any, Any]):
    async def handle(self) -> None:
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
            if self.keep_alive_task:
                self.keep_alive_task.cancel()
                with suppress(BaseException):
                    await self.keep_alive_task
            await self.cleanup()
