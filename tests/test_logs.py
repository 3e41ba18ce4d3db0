"""Structured logs and request ids, as an operator reads them from `clusterhub serve`."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from gateway.services.keys import create_key
from gateway.store.embedded import free_port
from schemas.access import ApiKeySpec
from tests.client import serve, wait_ready

BAD_QUERY = {"query": "{ nope }"}
LEAVING = 'subscription { matchFound(after: "not-a-cursor") { key } }'


@dataclass
class JsonHub:
    url: str
    log: Path
    key: str

    def lines(self) -> list[dict[str, Any]]:
        """Every log line so far, each parsed as the JSON object it must be."""
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def of(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("request_id") == request_id]


@pytest.fixture
async def json_hub(settings, store, tmp_path: Path) -> AsyncIterator[JsonHub]:
    key, _ = await create_key(store, ApiKeySpec(role="HUB_ADMIN"))
    port = free_port()
    log = tmp_path / "hub.log"
    with log.open("wb") as sink:
        process = serve(
            settings, port, sink, CLUSTERHUB_LOG_FORMAT="json", CLUSTERHUB_LOG_LEVEL="info"
        )
        try:
            url = f"http://127.0.0.1:{port}"
            await wait_ready(url)
            yield JsonHub(url, log, key)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


async def test_a_requests_log_lines_are_json_and_carry_the_id_its_response_echoes(json_hub):
    async with httpx.AsyncClient(base_url=json_hub.url) as http:
        response = await http.post(
            "/graphql", json=BAD_QUERY, headers={"x-request-id": "portal-4711"}
        )

    assert response.headers["x-request-id"] == "portal-4711"
    assert response.json()["errors"][0]["extensions"]["requestId"] == "portal-4711"
    lines = json_hub.of("portal-4711")
    # the client's mistake at INFO, without a traceback
    [mistake] = [line for line in lines if line["logger"] == "clusterhub.errors"]
    assert mistake["level"] == "info"
    assert "nope" in mistake["event"]
    assert "exception" not in mistake
    # uvicorn's access log line is one of the request's lines too
    assert [line for line in lines if line["logger"] == "uvicorn.access"]


async def test_a_request_without_a_usable_id_gets_a_new_one_everywhere(json_hub):
    async with httpx.AsyncClient(base_url=json_hub.url) as http:
        plain = await http.post("/graphql", json=BAD_QUERY)
        odd = await http.post("/graphql", json=BAD_QUERY, headers={"x-request-id": "a b;c"})
        refused = await http.post(
            "/graphql", json=BAD_QUERY, headers={"authorization": "Bearer not-a-key"}
        )

    for response in (plain, odd, refused):
        request_id = response.headers["x-request-id"]
        assert request_id != "a b;c"
        assert response.json()["errors"][0]["extensions"]["requestId"] == request_id
    assert refused.status_code == 401  # answered before GraphQL, with the id all the same
    assert len({r.headers["x-request-id"] for r in (plain, odd, refused)}) == 3


async def test_each_websocket_operation_has_its_own_id_in_errors_and_logs(json_hub):
    ws_url = json_hub.url.replace("http", "ws", 1) + "/graphql"
    async with websockets.connect(
        ws_url,
        subprotocols=["graphql-transport-ws"],
        additional_headers={"x-request-id": "socket-1"},
    ) as ws:
        assert ws.response.headers["x-request-id"] == "socket-1"
        await ws.send(json.dumps({"type": "connection_init", "payload": {"apiKey": json_hub.key}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        errors = []
        for n in ("a", "b"):
            subscribe = {"id": n, "type": "subscribe", "payload": BAD_QUERY}
            await ws.send(json.dumps(subscribe))
            message = json.loads(await ws.recv())
            assert message["type"] == "error"
            errors.append(message["payload"][0]["extensions"])

    assert [e["requestId"] for e in errors] == ["socket-1.1", "socket-1.2"]
    [logged] = [line for line in json_hub.of("socket-1.2") if line["logger"] == "clusterhub.errors"]
    assert logged["level"] == "info"


async def test_a_client_leaving_with_operations_under_way_is_no_error_of_the_hub(json_hub):
    ws_url = json_hub.url.replace("http", "ws", 1) + "/graphql"
    for protocol, start in (("graphql-transport-ws", "subscribe"), ("graphql-ws", "start")):
        async with websockets.connect(ws_url, subprotocols=[protocol]) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"apiKey": json_hub.key}})
            )
            await ws.recv()
            for n in range(20):  # answers on their way while the socket closes
                message = {"id": str(n), "type": start, "payload": {"query": LEAVING}}
                await ws.send(json.dumps(message))
    await asyncio.sleep(0.5)

    assert [line for line in json_hub.lines() if line["level"] not in ("debug", "info")] == []
