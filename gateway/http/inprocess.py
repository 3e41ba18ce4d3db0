"""Serving the hub inside the current event loop, for tests and benchmarks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

from gateway.http.app import create_app, server_options
from gateway.http.server import Server
from gateway.settings import Settings
from gateway.store.embedded import free_port


@asynccontextmanager
async def serve_in_process(settings: Settings) -> AsyncIterator[tuple[str, Starlette]]:
    """The real app under uvicorn on a free loopback port; yields its base URL and the app."""
    app = create_app(settings)
    port = free_port()
    server = Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            **server_options(settings),
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # start-up failed: raise its error
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task
