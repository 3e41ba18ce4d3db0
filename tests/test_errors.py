"""Every mistake a client can make gets a JSON error with a `code`, over HTTP and WebSocket."""

from __future__ import annotations

import json
import logging

import pytest
import websockets

from tests.records import cluster_file

BAD_CURSOR = "bm9wZQ=="  # base64 of "nope": not a cursor the API issued


@pytest.fixture
async def viewer(hub):
    await hub.seed(cluster_file())
    return await hub.key("VIEWER", cluster="test-cluster")


def _codes(errors: list[dict]) -> list[str]:
    return [e["extensions"]["code"] for e in errors]


OPERATIONS = [
    # (what is wrong, document, variables, top-level code, problem code or None)
    ("syntax", "{ offers(first: ", {}, "GRAPHQL_PARSE_FAILED", None),
    ("unknown field", "{ offers { nope } }", {}, "GRAPHQL_VALIDATION_FAILED", None),
    (
        "variable of the wrong type",
        "query ($n: Int) { offers(first: $n) { totalCount } }",
        {"n": "ten"},
        "BAD_USER_INPUT",
        None,
    ),
    (
        "bad cursor",
        "query ($c: String) { offers(after: $c) { totalCount } }",
        {"c": BAD_CURSOR},
        "BAD_USER_INPUT",
        "INVALID_CURSOR",
    ),
    (
        "number out of range",
        "{ offers(first: 1000) { totalCount } }",
        {},
        "BAD_USER_INPUT",
        "OUT_OF_RANGE",
    ),
    (
        "radius out of range",
        "{ offers(filter: {near: {lat: 53.5, lon: 9.9, radiusKm: 5000}}) { totalCount } }",
        {},
        "BAD_USER_INPUT",
        "OUT_OF_RANGE",
    ),
]


@pytest.mark.parametrize(("case", "query", "variables", "code", "problem"), OPERATIONS)
async def test_client_errors_over_http_carry_a_code(
    viewer, hub, case, query, variables, code, problem
):
    response = await hub.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=viewer
    )
    assert response.headers["content-type"].startswith("application/json"), case
    errors = response.json()["errors"]
    assert _codes(errors) == [code], (case, errors)
    if problem:
        assert errors[0]["extensions"]["problems"][0]["code"] == problem


async def _first_error(hub, viewer, protocol: str, query: str, variables: dict) -> list[dict]:
    """The errors the server sends for one operation over a WebSocket."""
    async with websockets.connect(hub.ws_url, subprotocols=[protocol]) as ws:
        init = {"Authorization": viewer["authorization"]}
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        start = "subscribe" if protocol == "graphql-transport-ws" else "start"
        payload = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": start, "payload": payload}))
        while True:
            message = json.loads(await ws.recv())
            if message["type"] in ("ka", "ping"):
                continue
            if message["type"] == "error":
                payload = message["payload"]
                return payload if isinstance(payload, list) else [payload]
            assert message["type"] in ("next", "data"), message
            return message["payload"]["errors"]


SUBSCRIPTIONS = [
    ("syntax", "subscription { matchFound(", {}, "GRAPHQL_PARSE_FAILED", None),
    (
        "unknown field",
        "subscription { matchFound { nope } }",
        {},
        "GRAPHQL_VALIDATION_FAILED",
        None,
    ),
    (
        "variable of the wrong type",
        "subscription ($m: Float) { matchFound(filter: {minScore: $m}) { key } }",
        {"m": "ten"},
        "BAD_USER_INPUT",
        None,
    ),
    (
        "bad cursor",
        "subscription ($c: String) { matchFound(after: $c) { key } }",
        {"c": BAD_CURSOR},
        "BAD_USER_INPUT",
        "INVALID_CURSOR",
    ),
    (
        "radius out of range",
        "subscription { offerPublished(filter: {near: {lat: 53.5, lon: 9.9, radiusKm: 5000}}) "
        "{ key } }",
        {},
        "BAD_USER_INPUT",
        "OUT_OF_RANGE",
    ),
]


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
@pytest.mark.parametrize(("case", "query", "variables", "code", "problem"), SUBSCRIPTIONS)
async def test_client_errors_over_websocket_carry_the_same_code(
    viewer, hub, protocol, case, query, variables, code, problem
):
    errors = await _first_error(hub, viewer, protocol, query, variables)
    assert _codes(errors) == [code], (case, errors)
    if problem:
        assert errors[0]["extensions"]["problems"][0]["code"] == problem


async def test_a_query_over_the_legacy_protocol_is_refused_with_a_code(viewer, hub):
    errors = await _first_error(hub, viewer, "graphql-ws", "{ offers { totalCount } }", {})
    assert _codes(errors) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_a_bad_resume_cursor_names_the_argument(viewer, hub):
    query = "subscription ($c: String) { matchFound(after: $c) { key } }"
    errors = await _first_error(hub, viewer, "graphql-transport-ws", query, {"c": BAD_CURSOR})
    assert errors[0]["extensions"]["problems"] == [
        {"field": "after", "message": "not a cursor this API issued", "code": "INVALID_CURSOR"}
    ]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"variables": {}}', "application/json"),
        (b"\xff\xfe", "application/json"),
    ],
)
async def test_a_body_that_is_not_a_graphql_request_gets_a_json_error(hub, body, content_type):
    response = await hub.http.post("/graphql", content=body, headers={"content-type": content_type})
    assert response.status_code == 400
    assert _codes(response.json()["errors"]) == ["BAD_REQUEST"]


async def test_a_wrong_method_gets_a_json_error(hub):
    response = await hub.http.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert _codes(response.json()["errors"]) == ["BAD_REQUEST"]


async def test_a_subscription_over_plain_http_is_told_where_it_runs(viewer, hub, caplog):
    with caplog.at_level(logging.INFO):
        response = await hub.http.post(
            "/graphql", json={"query": "subscription { matchFound { key } }"}, headers=viewer
        )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "WebSocket" in error["message"] and "text/event-stream" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


async def test_client_mistakes_are_logged_at_info_without_a_traceback(viewer, hub, caplog):
    with caplog.at_level(logging.INFO, logger="clusterhub.errors"):
        await hub.execute("{ offers(first: 1000) { totalCount } }", headers=viewer)
        await hub.execute("{ offers(first: ", headers=viewer)
    records = [r for r in caplog.records if r.name == "clusterhub.errors"]
    assert len(records) == 2
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in records)
