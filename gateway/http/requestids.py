"""ASGI middleware giving every HTTP request and WebSocket its request id.

Pure ASGI rather than Starlette's `BaseHTTPMiddleware`: it must see WebSocket scopes
too, and must not buffer streamed responses. The id (`gateway.request_id`) is the
caller's `X-Request-ID` when sane, else a new one; it is echoed in the response's (or
the WebSocket handshake's) `X-Request-ID` header. A WebSocket's operations each get an
id of their own, derived from the socket's (`gateway.http.wsprotocol`).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import request_id

_STARTS = frozenset({"http.response.start", "websocket.accept", "websocket.http.response.start"})
"""Messages that carry the response's headers."""


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(request_id.HEADER)
        with request_id.bound(request_id.accept(incoming)) as current:
            header = (request_id.HEADER.encode(), current.encode())

            async def send_with_id(message: Message) -> None:
                if message["type"] in _STARTS:
                    message = {**message, "headers": [*message.get("headers", ()), header]}
                await send(message)

            await self.app(scope, receive, send_with_id)
