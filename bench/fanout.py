"""Fan-out measured from outside: the hub alone in its own process, subscribers in node.

    (cd bench && npm install)            # graphql-ws for the subscriber processes
    python bench/fanout.py               # 1, 1,000 and 10,000 subscribers
    python bench/fanout.py --subscribers 1 1000 --rounds 20

Seeds the demo data into a temporary embedded store, starts `clusterhub serve` on it and,
for each subscriber count, starts node processes (bench/subscribers.mjs, at most 5,000
clients each) that connect at `--rate` connections per second and subscribe to
`matchFound` with the same selection. It then creates needs through the API and prints,
per count: the time from sending `createNeed` to each subscriber's event (p50, p99,
max), events delivered, the hub's CPU per event and per additional subscriber per
event, store operations per event, hub memory per idle subscriber and what is left
after they disconnect; and the floor, a raw insert to its change-stream event.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from pymongo import MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import UNLIMITED
from bench.live import _a_fitting_need, _floor
from gateway.store import Store
from gateway.store.embedded import free_port

HERE = Path(__file__).resolve().parent
SUBSCRIBE = "subscription { matchFound { key score need { key } offer { key } } }"
CREATE_NEED = """mutation ($input: CreateNeedInput!) {
  createNeed(input: $input) { need { key } userErrors { message } } }"""
VIEWER_CLUSTER = "logistik-initiative-hamburg"
PER_PROCESS = 5000
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _cli(data_dir: Path, *args: str, **popen: object) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTERHUB_", "MONGODB"))}
    env |= {
        "CLUSTERHUB_DATA_DIR": str(data_dir),
        "CLUSTERHUB_LOG_LEVEL": "warning",
        # every subscriber uses the one VIEWER key: its budget would refuse all past 600
        "CLUSTERHUB_RATE_LIMIT_PER_MINUTE": str(UNLIMITED),
    }
    command = [sys.executable, "-m", "gateway.tools.cli", *args]
    return subprocess.Popen(command, env=env, text=True, **popen)  # type: ignore[call-overload]


def _key(data_dir: Path, *args: str) -> str:
    made = _cli(data_dir, "keys", "create", *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = made.communicate(timeout=60)
    assert made.returncode == 0, err
    return out.strip()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


def _operations(store_uri: str) -> int:
    """Store operations so far (the change stream's own getMore polls left out)."""
    with MongoClient(store_uri) as client:
        counters = client.admin.command("serverStatus")["opcounters"]
    return sum(v for k, v in counters.items() if k != "getmore")


class Subscribers:
    """Node processes holding `count` graphql-ws clients."""

    def __init__(self, ws_url: str, key: str, count: int, rate: int) -> None:
        self.processes = []
        per_process_rate = max(1, rate // max(1, -(-count // PER_PROCESS)))
        for start in range(0, count, PER_PROCESS):
            n = min(PER_PROCESS, count - start)
            self.processes.append(
                subprocess.Popen(
                    ["node", str(HERE / "subscribers.mjs"), ws_url, key, str(n),
                     str(per_process_rate), SUBSCRIBE],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE,
                )
            )  # fmt: skip

    def _ask(self, line: str | None) -> list[dict]:
        answers = []
        for process in self.processes:
            if line is not None:
                process.stdin.write(line + "\n")
                process.stdin.flush()
            answers.append(json.loads(process.stdout.readline()))
        return answers

    def ready(self) -> tuple[int, int]:
        answers = self._ask(None)
        return sum(a["ready"] for a in answers), sum(a["refused"] for a in answers)

    def received(self) -> dict[str, list[float]]:
        merged: dict[str, list[float]] = {}
        for answer in self._ask("report"):
            for need, times in answer["received"].items():
                merged.setdefault(need, []).extend(times)
        return merged

    def close(self) -> None:
        self._ask("close")
        for process in self.processes:
            process.wait(60)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def _a_need_with_one_match(http: httpx.AsyncClient, store: Store) -> dict:
    """A need input that makes exactly one match (one event per createNeed, as in the
    issue's measurements), found by trying needs shaped after the data's STAFF offers."""
    close = "mutation ($id: ID!) { closeNeed(id: $id, status: WITHDRAWN) { need { key } } }"
    query = {"kind": "STAFF", "status": "OPEN", "clusters": VIEWER_CLUSTER}
    for offer in await store.find("offers", query, limit=50):
        need = await _a_fitting_need(store, offer, skills=len(offer["skills"]))
        key, _ = await _round_trip(http, need)
        made = await store.db.matches.count_documents({"need": key})
        await http.post("/graphql", json={"query": close, "variables": {"id": key}})
        if made == 1:
            return need
    raise SystemExit("no need with exactly one match in the data")


async def _round_trip(http: httpx.AsyncClient, need: dict) -> tuple[str, float]:
    sent = time.time() * 1000
    answer = (
        await http.post("/graphql", json={"query": CREATE_NEED, "variables": {"input": need}})
    ).json()
    return answer["data"]["createNeed"]["need"]["key"], sent


async def _measure(args, url, hub_pid, store_uri, viewer, member, need) -> None:
    ws_url = url.replace("http", "ws", 1) + "/graphql"
    baseline_cpu: float | None = None
    async with httpx.AsyncClient(
        base_url=url, headers={"authorization": f"Bearer {member}"}, timeout=120
    ) as http:
        for count in args.subscribers:
            rss_before = _rss_mb(hub_pid)
            connect_started = time.perf_counter()
            subscribers = Subscribers(ws_url, viewer, count, args.rate)
            ready, refused = subscribers.ready()
            connect_seconds = time.perf_counter() - connect_started
            await asyncio.sleep(1 + count / 2000)  # the last subscriptions register
            rss_idle = _rss_mb(hub_pid)
            await _round_trip(http, need)  # warm-up
            await asyncio.sleep(1 + count / 1000)
            subscribers.received()
            cpu, operations = _cpu_seconds(hub_pid), _operations(store_uri)
            sent = {}
            for _ in range(args.rounds):
                key, at = await _round_trip(http, need)
                sent[key] = at
                await asyncio.sleep(args.pause)
            await asyncio.sleep(1 + count / 1000)
            received = subscribers.received()
            latencies = [t - sent[k] for k, times in received.items() if k in sent for t in times]
            events = len(latencies) / max(1, count)  # match events per subscriber
            cpu_per_event = (_cpu_seconds(hub_pid) - cpu) / max(1.0, events)
            operations_per_event = (_operations(store_uri) - operations) / max(1.0, events)
            subscribers.close()
            await asyncio.sleep(2)
            rss_after = _rss_mb(hub_pid)
            if baseline_cpu is None:
                baseline_cpu, per_subscriber = cpu_per_event, "-"
            else:
                extra = (cpu_per_event - baseline_cpu) / max(1, count - args.subscribers[0])
                per_subscriber = f"{extra * 1e6:.1f} µs"
            p50, p99 = statistics.median(latencies), _percentile(latencies, 0.99)
            print(
                f"{count:>6} subscribers: createNeed sent -> matchFound p50 {p50:7.1f} ms"
                f"  p99 {p99:7.1f} ms  max {max(latencies):7.1f} ms"
                f"  ({len(latencies)} events, {events:.0f} per subscriber)"
            )
            print(
                f"{'':>20} hub CPU per event {cpu_per_event * 1000:.2f} ms, per extra subscriber"
                f" {per_subscriber}; store operations per event {operations_per_event:.1f};"
                f" connected {ready} ({refused} refused) in {connect_seconds:.1f} s"
            )
            print(
                f"{'':>20} hub memory {rss_before:.0f} MB -> {rss_idle:.0f} MB idle"
                f" ({(rss_idle - rss_before) * 1024 / max(1, count):.1f} KB/subscriber)"
                f" -> {rss_after:.0f} MB after they left"
            )


async def main(args: argparse.Namespace) -> None:
    if not (HERE / "node_modules" / "graphql-ws").exists():
        sys.exit("run `npm install` in bench/ first")
    with tempfile.TemporaryDirectory(prefix="clusterhub-fanout-") as tmp:
        data_dir = Path(tmp)
        seeding = _cli(
            data_dir,
            "seed",
            str(HERE.parent / "seeds"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert seeding.wait(300) == 0, "seeding the demo data failed"
        port = free_port()
        hub = _cli(data_dir, "serve", "--port", str(port), "--no-demo")
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=url, timeout=5) as probe:
                for _ in range(300):
                    try:
                        if (await probe.get("/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
            viewer = _key(data_dir, "--role", "VIEWER", "--cluster", VIEWER_CLUSTER)
            member = _key(data_dir, "--role", "HUB_ADMIN")
            state = json.loads((data_dir / "server.json").read_text())
            store_uri = f"mongodb://127.0.0.1:{state['port']}/?directConnection=true"
            store = Store.connect(store_uri, "clusterhub")
            async with httpx.AsyncClient(
                base_url=url, headers={"authorization": f"Bearer {member}"}, timeout=60
            ) as http:
                need = await _a_need_with_one_match(http, store)
            print((await _floor(store, 50)).line())
            await store.close()
            await _measure(args, url, hub.pid, store_uri, viewer, member, need)
        finally:
            hub.terminate()
            hub.wait(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1, 1000, 10000])
    parser.add_argument("--rounds", type=int, default=10, help="needs created per count")
    parser.add_argument("--rate", type=int, default=500, help="connections per second")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between needs")
    asyncio.run(main(parser.parse_args()))
