"""Test fixtures: a real MongoDB-wire server and the real ASGI app served by uvicorn.

A session-wide embedded SecantusDB runs in a temp dir on a free port (or the server
named by CLUSTERHUB_TEST_MONGODB_URI); every test gets its own database and its own
hub, reached over real HTTP and WebSocket connections.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from gateway.services.demo import demo_batch, seed_dir
from gateway.services.imports import Importer, read_paths
from gateway.settings import Settings
from gateway.store import Store, open_store
from gateway.store.embedded import EmbeddedServer, free_port
from tests.client import HubClient, running_hub, serve, wait_ready


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("CLUSTERHUB_TEST_MONGODB_URI")
    if external:
        yield external
        return
    server = EmbeddedServer(tmp_path_factory.mktemp("secantus"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def settings(mongo_uri: str, tmp_path: Path) -> Iterator[Settings]:
    database = f"test_{uuid.uuid4().hex[:12]}"
    yield Settings(mongodb_uri=mongo_uri, database=database, demo=False, data_dir=tmp_path / "db")
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(database)


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[HubClient]:
    async with running_hub(settings) as client:
        yield client


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    async with open_store(settings) as store:
        yield store


@pytest.fixture
async def taxonomy_store(store: Store) -> Store:
    """A store holding the demo skills taxonomy and nothing else."""
    report = await Importer(store).run(read_paths([seed_dir() / "taxonomy.json"]))
    assert report.ok, report.rejections
    return store


@pytest.fixture(scope="session")
async def demo_settings(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory):
    """A database holding the demo seeds, shared by read-only tests of the session."""
    settings = Settings(
        mongodb_uri=mongo_uri,
        database=f"demo_{uuid.uuid4().hex[:12]}",
        demo=False,
        data_dir=tmp_path_factory.mktemp("demo"),
    )
    async with open_store(settings) as store:
        report = await Importer(store).run(demo_batch())
        assert report.ok, report.rejections
    yield settings
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(settings.database)


@pytest.fixture
async def demo_hub(demo_settings: Settings) -> AsyncIterator[HubClient]:
    """A hub over the demo data; tests using it must not write."""
    async with running_hub(demo_settings) as client:
        yield client


@pytest.fixture
async def second_hub(hub, settings) -> AsyncIterator[str]:
    port = free_port()
    process = serve(settings, port)
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
