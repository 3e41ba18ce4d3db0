"""A test client for a hub served by uvicorn on a free loopback port."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import IO, Any

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families

from gateway.http.inprocess import serve_in_process
from gateway.services.demo import seed_dir
from gateway.services.imports import Importer, read_paths
from gateway.services.keys import create_key
from gateway.settings import Settings
from schemas.access import ApiKeySpec


class GraphQLError(AssertionError):
    """The response carried `errors`."""


class HubClient:
    def __init__(self, base_url: str, app: Any) -> None:
        self.base_url = base_url
        self.ws_url = base_url.replace("http", "ws", 1) + "/graphql"
        self.app = app
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)

    @property
    def store(self):
        return self.app.state.hub.store

    async def key(
        self, role: str, *, cluster: str | None = None, organisation: str | None = None
    ) -> dict[str, str]:
        """Headers with a fresh API key of `role`."""
        spec = ApiKeySpec(role=role, cluster=cluster, organisation=organisation)
        key, _ = await create_key(self.store, spec)
        return {"authorization": f"Bearer {key}"}

    async def seed(self, *files: dict[str, Any]) -> None:
        """Import cluster files (and the demo taxonomy) straight into the hub's store."""
        batch = read_paths([seed_dir() / "taxonomy.json"])
        for i, data in enumerate(files):
            batch.add(f"test{i}.json", data)
        report = await Importer(self.store, matching=self.app.state.hub.matching).run(batch)
        assert report.ok, report.rejections
        self.app.state.hub.taxonomy.invalidate()

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The whole response body of a POST /graphql."""
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """`data` of a query that must succeed."""
        body = await self.execute(query, variables, headers)
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        return body["data"]

    async def metrics(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """The samples of `GET /metrics`, parsed as Prometheus parses them, by name and
        labels."""
        response = await self.http.get("/metrics")
        assert response.status_code == 200, response.text
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }

    async def wait_subscribers(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` subscriptions are live: members of cohorts whose shared
        subscription is registered with the event stream, and those on their own (a replay)."""
        hub = self.app.state.hub
        async with asyncio.timeout(timeout):
            while (
                hub.events.subscriber_count < hub.cohorts.count
                or hub.cohorts.member_count + hub.events.subscriber_count - hub.cohorts.count
                < count
            ):
                await asyncio.sleep(0.01)

    @asynccontextmanager
    async def subscribe(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        protocol: str = "graphql-transport-ws",
        init: dict[str, Any] | None = None,
    ) -> AsyncIterator[Subscription]:
        async with websockets.connect(self.ws_url, subprotocols=[protocol]) as ws:
            subscription = Subscription(ws, protocol)
            await subscription.start(query, variables or {}, init or {})
            yield subscription


class Subscription:
    """One subscription over either WebSocket protocol."""

    def __init__(self, ws: Any, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol

    async def start(self, query: str, variables: dict[str, Any], init: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = json.loads(await self.ws.recv())
        assert ack["type"] == "connection_ack", ack
        start = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        payload = {"query": query, "variables": variables}
        await self.ws.send(json.dumps({"id": "1", "type": start, "payload": payload}))

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next result's `data`; fails on an error message or a timeout."""
        data_type = "next" if self.protocol == "graphql-transport-ws" else "data"
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] in ("ka", "ping"):  # keep-alive from the server
                continue
            assert message["type"] == data_type, message
            payload = message["payload"]
            if payload.get("errors"):
                raise GraphQLError(payload["errors"])
            return payload["data"]


@asynccontextmanager
async def running_hub(settings: Settings) -> AsyncIterator[HubClient]:
    """The real app under uvicorn, started and stopped around the block."""
    async with serve_in_process(settings) as (url, app):
        client = HubClient(url, app)
        try:
            yield client
        finally:
            await client.http.aclose()


def serve(
    settings: Settings, port: int, log: IO[bytes] | None = None, **variables: str
) -> subprocess.Popen[bytes]:
    """Another hub process (`clusterhub serve`) on the same database, its standard error
    to `log`, with more environment `variables` (`CLUSTERHUB_LOG_FORMAT="json"`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTERHUB_", "MONGODB"))}
    env |= {
        "MONGODB_URI": settings.mongodb_uri or "",
        "CLUSTERHUB_DATABASE": settings.database,
        "CLUSTERHUB_DEMO": "0",
        "CLUSTERHUB_LOG_LEVEL": "warning",
        **variables,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.tools.cli", "serve", "--port", str(port)],
        env=env,
        stderr=log,
    )


async def wait_ready(url: str, timeout: float = 30) -> None:
    """Until the hub at `url` answers /readyz with 200."""
    async with httpx.AsyncClient(base_url=url, timeout=5) as http, asyncio.timeout(timeout):
        while True:
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
