"""Health probes: alive (`/healthz`) and able to serve (`/readyz`)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.store.database import Store

READY_TIMEOUT = 2.0


async def healthz(request: Request) -> Response:
    """The process is alive (it answers)."""
    return JSONResponse({"status": "ok"})


async def store_answers(store: Store) -> bool:
    """The database answers a ping in time."""
    try:
        return await asyncio.wait_for(store.ping(), READY_TIMEOUT)
    except TimeoutError:
        return False


async def readyz(request: Request) -> Response:
    """The process can serve: the database answers a ping in time."""
    if await store_answers(request.app.state.hub.store):
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "unavailable", "reason": "database does not answer"}, 503)
