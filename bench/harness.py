"""Shared benchmark plumbing: a store with data, a hub on loopback, latency statistics."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from gateway.services.demo import demo_batch, seed_dir
from gateway.services.imports import Importer
from gateway.services.keys import create_key
from gateway.settings import Settings
from gateway.store import Store, open_store
from gateway.tools.synthetic import generate
from schemas.access import ApiKeySpec

UNLIMITED = 1_000_000_000
"""The request budget of a benchmark's hub: it drives one key (thousands of dashboards,
a stream of mutations) far past what a single caller may spend."""


@dataclass
class Stats:
    label: str
    latencies: list[float]
    elapsed: float

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def line(self) -> str:
        return (
            f"{self.label:<34} p50 {self.p50:8.1f} ms   p99 {self.p99:8.1f} ms   "
            f"{self.rate:8.1f} /s   (n={len(self.latencies)})"
        )


async def measure(
    label: str, call: Callable[[], Awaitable[object]], *, requests: int, concurrency: int
) -> Stats:
    """Run `call` `requests` times with `concurrency` callers in flight."""
    latencies: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Stats(label, latencies, time.perf_counter() - started)


@asynccontextmanager
async def bench_store(
    data_dir: Path | None, synthetic: int, *, match: bool = True
) -> AsyncIterator[Settings]:
    """Settings of an embedded store with data: the given one, or a new one seeded here
    (with its matches unless `match` is off)."""
    with tempfile.TemporaryDirectory(prefix="clusterhub-bench-") as tmp:
        settings = Settings(
            data_dir=data_dir or Path(tmp),
            demo=False,
            log_level="warning",
            rate_limit_per_minute=UNLIMITED,
        )
        if data_dir is None:
            async with open_store(settings) as store:
                batch = demo_batch()
                if synthetic:
                    for name, records in generate(synthetic, seed_dir()).records.items():
                        batch.records[name].extend(records)
                started = time.perf_counter()
                report = await Importer(store, match=match).run(batch)
                print(
                    f"seeded {batch.count()} records in {time.perf_counter() - started:.1f} s"
                    f" ({len(report.rejections)} rejected)"
                )
        yield settings


async def admin_headers(store: Store) -> dict[str, str]:
    key, _ = await create_key(store, ApiKeySpec(role="HUB_ADMIN", label="benchmark"))
    return {"authorization": f"Bearer {key}"}
