"""The embedded store's life cycle: start, exclusive ownership, shutdown, crash recovery."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient, WriteConcern

from gateway.errors import DataDirInUse
from gateway.store.embedded import EmbeddedServer, free_port, pid_alive, uri_for


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_start_ping_and_stop(tmp_path: Path):
    server = EmbeddedServer(tmp_path)
    uri = server.start()
    pid = json.loads((tmp_path / "server.json").read_text())["pid"]
    with MongoClient(uri, serverSelectionTimeoutMS=2000) as client:
        assert client.admin.command("ping")["ok"] == 1
    server.stop()
    assert not pid_alive(pid)
    assert not (tmp_path / "server.json").exists()


def test_second_owner_gets_a_clear_error_and_can_share(tmp_path: Path):
    first = EmbeddedServer(tmp_path)
    uri = first.start()
    try:
        second = EmbeddedServer(tmp_path)
        with pytest.raises(DataDirInUse, match="in use by process"):
            second.start()
        running = second.running_elsewhere()
        assert running is not None and running.uri == uri
    finally:
        first.stop()
    # released: the next owner starts and keeps the data directory usable
    third = EmbeddedServer(tmp_path)
    third.start()
    third.stop()


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTERHUB_", "MONGODB"))}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway.tools.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--no-demo",
            "--log-level",
            "warning",
        ],
        env=env,
    )


def _port_outside_ephemeral_range() -> int:
    """A free port the hub's own store cannot be handed (it takes an ephemeral one)."""
    for _ in range(100):
        port = random.randint(20_000, 29_999)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_hub_killed_with_sigkill_leaves_no_server_and_recovers(tmp_path: Path):
    port = _port_outside_ephemeral_range()
    hub = _serve(tmp_path, port)
    try:
        _wait(lambda: _ready(port), 60, "the hub")
        state = json.loads((tmp_path / "server.json").read_text())
        with MongoClient(uri_for(state["port"])) as client:
            # journaled, as every write of the hub is
            probe = client.clusterhub.get_collection("probe", write_concern=WriteConcern(j=True))
            probe.insert_one({"_id": "kept"})
        hub.send_signal(signal.SIGKILL)
        hub.wait()
        _wait(lambda: not pid_alive(state["pid"]), 30, "the orphaned store to exit")

        hub = _serve(tmp_path, port)
        _wait(lambda: _ready(port), 60, "the restarted hub")
        state = json.loads((tmp_path / "server.json").read_text())
        with MongoClient(uri_for(state["port"])) as client:
            assert client.clusterhub.probe.find_one({"_id": "kept"}) == {"_id": "kept"}
        hub.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal once it has shut down gracefully
        assert hub.wait(30) in (0, -signal.SIGTERM)
        assert not pid_alive(state["pid"])
    finally:
        if hub.poll() is None:
            hub.kill()
            hub.wait()
