"""ASGI middleware that bounds what one HTTP request may send: body size and rate."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def json_error(
    send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    """A GraphQL-shaped error response, for refusals before GraphQL runs."""
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


class MaxBodySize:
    """Answers 413 to a request whose body is, or grows, larger than `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await json_error(send, 413, "PAYLOAD_TOO_LARGE", self._message(), {})
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await json_error(send, 413, "PAYLOAD_TOO_LARGE", self._message(), {})

    def _message(self) -> str:
        return f"request body larger than {self.limit} bytes"


async def too_many_requests(send: Send, retry_after: float) -> None:
    seconds = max(1, round(retry_after))
    message = f"rate limit reached: retry in {seconds} s"
    await json_error(send, 429, "RATE_LIMITED", message, {"retry-after": str(seconds)})
