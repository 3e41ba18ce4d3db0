"""Matching survives crashes: a seed killed at any point of its matching (or its store
killed under it), then run again, ends with exactly the matches of an uninterrupted run."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from gateway.services.demo import seed_dir
from gateway.services.imports import Importer, read_paths
from gateway.store.embedded import EmbeddedServer
from tests.records import NEED, welders_cluster

SYNTHETIC = "900"
"""About 900 offers and needs: several matching batches, about 15 s uninterrupted."""


def _seed(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTERHUB_", "MONGODB"))}
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.tools.cli", "seed", "--synthetic", SYNTHETIC, *args],
        env=base | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=300)
    return process.returncode, err


def _matches(client: MongoClient, database: str) -> dict[str, tuple[float, bool]]:
    return {
        m["_id"]: (m["score"], m["active"])
        for m in client[database].matches.find({}, {"score": 1, "active": 1})
    }


def _kill_when(
    process: subprocess.Popen[str], count: Callable[[], int], threshold: int, pid: int
) -> None:
    """SIGKILL `pid` once `count()` reached `threshold`, while the seed still runs."""
    deadline = time.monotonic() + 240
    while count() < threshold:
        assert process.poll() is None, "the seed finished before the kill point"
        assert time.monotonic() < deadline, "the kill point was never reached"
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def client(mongo_uri: str) -> Iterator[MongoClient]:
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        yield client


@pytest.fixture(scope="module")
def uninterrupted(mongo_uri: str, client: MongoClient) -> Iterator[dict[str, tuple[float, bool]]]:
    """The matches of a seed run that nothing interrupts."""
    database = f"crash_base_{uuid.uuid4().hex[:8]}"
    code, err = _finish(_seed({"MONGODB_URI": mongo_uri, "CLUSTERHUB_DATABASE": database}))
    assert code == 0, err
    matches = _matches(client, database)
    assert len(matches) > 300
    yield matches
    client.drop_database(database)


def test_a_seed_killed_at_several_points_of_matching_converges(
    mongo_uri: str, client: MongoClient, uninterrupted
):
    database = f"crash_{uuid.uuid4().hex[:8]}"
    env = {"MONGODB_URI": mongo_uri, "CLUSTERHUB_DATABASE": database}
    try:
        total = len(uninterrupted)
        for threshold in (1, total // 3, (2 * total) // 3):
            seed = _seed(env)
            _kill_when(
                seed, lambda: client[database].matches.count_documents({}), threshold, seed.pid
            )
            seed.wait(30)
        code, err = _finish(_seed(env))
        assert code == 0, err
        assert _matches(client, database) == uninterrupted
        seqs = client[database].matches.distinct("seq")
        assert len(seqs) == len(uninterrupted)  # one cursor per match, none reused
    finally:
        client.drop_database(database)


def test_a_seed_whose_store_dies_fails_clearly_and_converges_when_run_again(
    tmp_path: Path, uninterrupted
):
    """The store a seed borrowed (a hub's, which died with it) goes away mid-matching."""
    server = EmbeddedServer(tmp_path / "db")
    try:
        uri = server.start()
        env = {"MONGODB_URI": uri, "CLUSTERHUB_DATABASE": "clusterhub"}
        seed = _seed(env)
        state = json.loads((tmp_path / "db" / "server.json").read_text())
        with MongoClient(uri, serverSelectionTimeoutMS=5000) as store:
            half = len(uninterrupted) // 2
            count = store.clusterhub.matches.count_documents
            _kill_when(seed, lambda: count({}), half, state["pid"])
        code, err = _finish(seed)
        assert code == 2, err
        assert "the store stopped answering" in err and "Traceback" not in err

        server.stop()
        uri = server.start()  # the hub is back, with its store
        code, err = _finish(_seed(env | {"MONGODB_URI": uri}))
        assert code == 0, err
        with MongoClient(uri, serverSelectionTimeoutMS=5000) as store:
            assert _matches(store, "clusterhub") == uninterrupted
    finally:
        server.stop()


async def test_a_hub_takes_over_matching_that_a_dead_process_left(hub):
    """A listing written and claimed by a process that died before matching it."""
    data = welders_cluster()
    data["needs"] = [dict(NEED, id="welder-wanted", requiredSkills=["welding"])]
    batch = read_paths([seed_dir() / "taxonomy.json"])
    batch.add("orphan.json", data)
    assert (await Importer(hub.store, match=False).run(batch)).ok
    dead = f"{socket.gethostname()}/{_a_dead_pid()}/gone"
    lease = {"owner": dead, "until": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)}
    await hub.store.db.needs.update_one(
        {"_id": "welder-wanted"}, {"$set": {"match_due": "orphaned", "match_lease": lease}}
    )
    async with asyncio.timeout(15):
        while not await hub.store.db.matches.find_one({"need": "welder-wanted"}):
            await asyncio.sleep(0.1)
    assert (
        await hub.store.db.needs.find_one({"_id": "welder-wanted", "match_due": {"$exists": True}})
        is None
    )


def _a_dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
