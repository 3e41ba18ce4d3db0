"""Health probes: alive (`/healthz`) and able to serve (`/readyz`)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

READY_TIMEOUT = 2.0


async def healthz(request: Request) -> Response:
    """The process is alive (it answers)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The process can serve: the database answers a ping in time."""
    try:
        ok = await asyncio.wait_for(request.app.state.hub.store.ping(), READY_TIMEOUT)
    except TimeoutError:
        ok = False
    if ok:
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "unavailable", "reason": "database does not answer"}, 503)
