"""uvicorn's server, ending the hub's event streams as soon as it starts shutting down.

uvicorn waits for open HTTP responses (up to `timeout_graceful_shutdown`, then cuts them
off with an error) before the app's lifespan ends its live events, and an SSE response
does not end by itself: without this, every shutdown with a stream open took the whole
timeout and broke the stream mid-chunk.
"""

from __future__ import annotations

import socket
from contextlib import suppress
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.main import STARTUP_FAILURE


class Server(uvicorn.Server):
    """Serves an app of `gateway.http.app.create_app`."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:  # no new stream from here on (uvicorn closes them too)
            server.close()
        self.config.app.state.event_streams.end_all()
        await super().shutdown(sockets)


def run(app: Starlette, **options: Any) -> None:
    """`uvicorn.run(app, **options)` with `Server`."""
    server = Server(uvicorn.Config(app, **options))
    with suppress(KeyboardInterrupt):  # uvicorn re-raises a captured Ctrl-C once it stopped
        server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)
