"""The per-request context every resolver receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket, WebSocketState
from strawberry.types import Info as _Info

from gateway.domain.access import Principal
from gateway.services.session import Hub, Session
from resolvers.loaders import Loaders

SLOW_CONSUMER_CLOSE = 4008
"""WebSocket close code for a subscriber cut off for falling behind (policy violation)."""


@dataclass
class Context:
    request: HTTPConnection
    hub: Hub
    response: Any = None
    """Strawberry's sub-response over HTTP: its status can be set."""
    viewer: Principal | None = None
    """The authenticated caller; None for anonymous callers."""
    connection_params: dict[str, Any] | None = None
    """The WebSocket `connection_init` payload (set by Strawberry)."""
    resume_after: str | None = None
    """An SSE client's `Last-Event-ID`: `matchFound` replays the matches after this cursor
    instead of after its `after` argument (the header is the newer position)."""
    end_stream: Callable[[str], None] | None = None
    """Ends this request's event stream (SSE), for a subscriber cut off."""
    event_id: str | None = field(default=None, init=False)
    """The id of the live event being executed (a match's cursor): `resolvers.eventids`."""
    _session: Session | None = field(default=None, init=False)
    _loaders: Loaders | None = field(default=None, init=False)

    @property
    def session(self) -> Session:
        """Created on first use, after a WebSocket's `connection_init` set the viewer."""
        if self._session is None:
            self._session = self.hub.session(self.viewer)
        return self._session

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.session)
        return self._loaders

    async def cut_off(self, reason: str) -> None:
        """Cut this subscriber off: it fell a whole queue behind. Its event stream ends (the
        client reconnects and resumes), its WebSocket is closed."""
        if self.end_stream is not None:
            self.end_stream(reason)
            return
        socket = self.request
        if (
            isinstance(socket, WebSocket)
            and socket.application_state != WebSocketState.DISCONNECTED
        ):
            await socket.close(code=SLOW_CONSUMER_CLOSE, reason=reason)

    def next_event(self, live: Session, event_id: str | None = None) -> None:
        """Fresh loaders for the next live event, sharing loads with other subscribers."""
        self._loaders = Loaders(live)
        self.event_id = event_id

    def take_event_id(self) -> str | None:
        """The id of the event just executed, once."""
        event_id, self.event_id = self.event_id, None
        return event_id


Info = _Info[Context, None]
