"""GraphQL over Server-Sent Events: the graphql-sse protocol, distinct connections mode.

A request to /graphql that accepts `text/event-stream` (a POST with a JSON body, or a GET
with `query`, `variables` and `operationName` parameters) is answered with an event
stream in Strawberry's encoding (`SSETransport`): a `next` event per result, then
`complete`. Subscriptions stream; a query, or a mutation sent by POST, sends one `next`.
As the protocol asks, errors found before execution (syntax, validation, depth, cost)
arrive in a `next` event; what stops a request before GraphQL sees it (a bad key, the
request budget, an unreadable body) is answered with a JSON error and its HTTP status,
as for any request. Strawberry streams SSE too, but offers no hook for what follows,
so the hub runs the stream itself on Strawberry's parts:

- A result computed for a match carries the match's cursor as its SSE `id`
  (`resolvers.eventids`). A client reconnecting with `Last-Event-ID: <cursor>` resumes
  as `matchFound(after: <cursor>)` would: the matches it missed in cursor order, then
  live, no gap and no duplicate. The header wins over an `after` argument: it is the
  newer position.
- A comment line (`: ping`) every `ws_keepalive_seconds` keeps an idle stream open
  through proxies and finds peers that left.
- The live machinery of the WebSocket transports (`gateway.http.streaming`): cohorts;
  a subscriber that falls a whole queue behind is cut off, here by ending the response
  without `complete`, so the client reconnects and resumes without loss; a revoked or
  expired key ends its streams with an UNAUTHENTICATED error, then `complete`.
- Server shutdown ends every stream without `complete` (`end_all`), so clients resume
  on the next hub instead of holding the shutdown up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing, suppress
from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from starlette.requests import Request
from starlette.responses import StreamingResponse
from strawberry.http import GraphQLRequestData
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.http.streaming import SSETransport
from strawberry.types.graphql import OperationType

from gateway.errors import ClusterHubError, Unauthenticated
from gateway.http.streaming import CohortSchema, KeyWatch
from resolvers.eventids import event_id

log = logging.getLogger("clusterhub.sse")

_SSE = SSETransport()
_PING = _SSE.encode_comment("ping")
_COMPLETE = _SSE.encode_complete()


class _End:
    """Queued last: the stream ends after `last` (sent unless empty)."""

    def __init__(self, last: str = "") -> None:
        self.last = last


class _EventStream:
    """One SSE response: results as `next` events, pings while idle, and its end.

    Results, pings and the end meet in a one-place outbox, so a client that does not
    read holds the results back, and the cohort notices it falling behind."""

    def __init__(
        self, results: AsyncGenerator[Any, None], view: AsyncBaseHTTPView, request: Request
    ) -> None:
        self._results = results
        self._view = view
        self._request = request
        self._outbox: asyncio.Queue[str | _End] = asyncio.Queue(1)
        self._pump: asyncio.Task[None] | None = None
        self.ended = False

    def end(self, last: str = "") -> None:
        """End the stream at once, after `last`; what it had not sent yet is dropped (a
        client resuming from its last event id gets it again)."""
        if self.ended:
            return
        self.ended = True
        if self._pump is not None and self._pump is not asyncio.current_task():
            self._pump.cancel()
        while not self._outbox.empty():
            self._outbox.get_nowait()
        self._outbox.put_nowait(_End(last))

    def cut_off(self, reason: str) -> None:
        """The subscriber fell behind: end without `complete`, so the client resumes."""
        log.info("event stream cut off: %s", reason)
        self.end()

    def refuse(self, error: ClusterHubError) -> None:
        """End with `error` (its code, as everywhere), then `complete`."""
        errors = [{"message": str(error), "extensions": {"code": error.code}}]
        self.end(self._next({"data": None, "errors": errors}) + _COMPLETE)

    async def body(self, keepalive: float, on_close: Callable[[], None]) -> AsyncIterator[str]:
        """The response body, until the results end or `end` is called."""
        if not self.ended:
            self._pump = asyncio.create_task(self._forward())
        ping = asyncio.create_task(self._ping(keepalive))
        try:
            while True:
                item = await self._outbox.get()
                if isinstance(item, _End):
                    if item.last:
                        yield item.last
                    return
                yield item
        finally:
            on_close()
            for task in (self._pump, ping):
                if task is not None:
                    task.cancel()
                    with suppress(BaseException):
                        await task

    async def _forward(self) -> None:
        try:
            async with aclosing(self._results) as results:
                async for result in results:
                    if self.ended:
                        return
                    await self._outbox.put(await self._event(result))
        except Exception:  # the client reconnects and resumes; the hub's fault is logged
            log.exception("an event stream failed")
            self.end()
            return
        if not self.ended:
            await self._outbox.put(_End(_COMPLETE))

    async def _ping(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._outbox.put(_PING)

    async def _event(self, result: Any) -> str:
        text = self._next(await self._view.process_result(self._request, result))
        resume_id = event_id(result)
        return text if resume_id is None else f"id: {resume_id}\r\n{text}"

    def _next(self, response: Any) -> str:
        return _SSE.encode_next(response, self._view.encode_json_string)


class EventStreams:
    """Answers requests for event streams on one GraphQL view; keeps its open streams."""

    def __init__(self, keepalive: float) -> None:
        self.keepalive = keepalive
        self._open: set[_EventStream] = set()
        self._closing = False

    @staticmethod
    def wanted(request: Request) -> bool:
        """The client asks for an event stream (`Accept: text/event-stream`)."""
        return _SSE.accepts(request.headers.get("accept", ""))

    def end_all(self) -> None:
        """End every open stream without `complete`, and those still starting: the server
        is shutting down."""
        self._closing = True
        for stream in list(self._open):
            stream.end()

    async def respond(self, view: AsyncBaseHTTPView, request: Request) -> StreamingResponse:
        """Run the request's operation as an event stream."""
        adapter = StarletteRequestAdapter(request)
        if not view.is_request_allowed(adapter):
            raise HTTPException(405, "GraphQL only supports GET and POST requests.")
        data = await view.parse_http_body(adapter)
        if not isinstance(data, GraphQLRequestData):
            raise HTTPException(400, _SSE.batching_error)
        context = await view.get_context(request, None)
        context.resume_after = request.headers.get("last-event-id")
        results = await CohortSchema(view.schema, context, view.metrics).stream(
            data.query,
            variable_values=data.variables,
            context_value=context,
            operation_name=data.operation_name,
            operation_extensions=data.extensions,
            allowed_operation_types=OperationType.from_http(adapter.method),
        )
        stream = _EventStream(results, view, request)
        context.end_stream = stream.cut_off
        watch = KeyWatch(context, lambda reason: stream.refuse(Unauthenticated(reason)))
        watch.start()
        self._open.add(stream)
        if self._closing:
            stream.end()

        def closed() -> None:
            watch.stop()
            self._open.discard(stream)

        return StreamingResponse(stream.body(self.keepalive, closed), headers=_SSE.headers)
