"""A supervised embedded store: killed under a connected dashboard, it comes back by itself."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

from gateway.settings import Settings
from tests.client import running_hub
from tests.records import welder_need, welders_cluster

MATCH_FOUND = "subscription { matchFound { key need { key } } }"
CREATE_NEED = """
mutation ($input: CreateNeedInput!) { createNeed(input: $input) { need { key } userErrors { code } } }
"""


async def _status_becomes(hub, path: str, status: int, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while (await hub.http.get(path)).status_code != status:
            await asyncio.sleep(0.05)


async def test_a_killed_store_is_restarted_and_the_dashboard_misses_nothing(tmp_path: Path):
    settings = Settings(mongodb_uri=None, data_dir=tmp_path / "db", demo=False)
    async with running_hub(settings) as hub:
        await hub.seed(welders_cluster())
        viewer = await hub.key("VIEWER", cluster="test-cluster")
        member = await hub.key("MEMBER", organisation="test-org-1")
        init = {"Authorization": viewer["authorization"]}
        async with hub.subscribe(MATCH_FOUND, init=init) as live:
            await hub.wait_subscribers(1)
            await hub.query(CREATE_NEED, {"input": welder_need(0)}, member)
            assert (await live.next())["matchFound"]["key"].startswith("welders|")

            state = json.loads((tmp_path / "db" / "server.json").read_text())
            os.kill(state["pid"], signal.SIGKILL)
            async with asyncio.timeout(5):  # the supervisor noticed (it restarts after 1 s)
                while hub.store.available:
                    await asyncio.sleep(0.01)
            assert (await hub.http.get("/readyz")).status_code == 503
            during = await hub.http.post(
                "/graphql", json={"query": "{ offers { totalCount } }"}, headers=viewer
            )
            assert during.status_code == 503
            assert during.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"

            await _status_becomes(hub, "/readyz", 200, timeout=30)
            restarted = json.loads((tmp_path / "db" / "server.json").read_text())
            assert restarted["pid"] != state["pid"] and restarted["port"] == state["port"]
            created = []
            for n in (1, 2, 3):
                answer = await hub.query(CREATE_NEED, {"input": welder_need(n)}, member)
                created.append(answer["createNeed"]["need"]["key"])
            received = [(await live.next(timeout=15))["matchFound"]["need"]["key"] for _ in created]
            assert received == created
