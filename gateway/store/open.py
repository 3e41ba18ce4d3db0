"""Opening the store: the configured MongoDB, or the embedded one, started on demand."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.settings import Settings
from gateway.store.database import Store
from gateway.store.embedded import EmbeddedServer
from gateway.store.indexes import ensure_indexes

log = logging.getLogger("clusterhub")


@asynccontextmanager
async def open_store(settings: Settings, *, share: bool = False) -> AsyncIterator[Store]:
    """Yield a connected store with its indexes in place; stop what was started on exit.

    An embedded store this call started is supervised: restarted when it dies.

    With `share`, a hub already running on the same data directory lends its
    embedded server (CLI commands); without it, that situation is an error (`serve`).
    """
    embedded: EmbeddedServer | None = None
    uri = settings.mongodb_uri
    if uri is None:
        server = EmbeddedServer(settings.data_dir, start_timeout=settings.embedded_start_timeout)
        running = server.running_elsewhere() if share else None
        if running is not None:
            uri = running.uri
            log.info("using the embedded store of process %s at %s", running.owner_pid, uri)
        else:
            # Started from this (the event loop's) thread on purpose: the child is tied
            # to the thread that forks it, see gateway.store.embedded.
            uri = server.start()
            embedded = server
            log.info("embedded store started at %s (data in %s)", uri, server.data_dir)
    store = Store.connect(uri, settings.database, journal=settings.journal)
    store.referral_ttl = dt.timedelta(days=settings.referral_ttl_days)
    supervisor = None
    if embedded is not None:
        supervisor = asyncio.create_task(
            embedded.supervise(on_down=store.went_down, on_up=store.came_back),
            name="clusterhub-embedded-supervisor",
        )
    try:
        await ensure_indexes(store, int(store.referral_ttl.total_seconds()))
        yield store
    finally:
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        await store.close()
        if embedded is not None:
            embedded.stop()
            log.info("embedded store stopped")
