"""The demo data shipped in `seeds/`, and seeding it into an empty store."""

from __future__ import annotations

import datetime as dt
import logging
from importlib import resources
from pathlib import Path
from typing import Any

from gateway.services.imports import Batch, Importer, ImportReport, read_paths
from gateway.services.keys import create_key
from gateway.services.matching_queue import MatchingQueue
from gateway.store.database import Store
from schemas.access import ApiKeySpec, Role

log = logging.getLogger("clusterhub")


def seed_dir() -> Path:
    """The `seeds/` folder: one file per cluster under `clusters/`, and `taxonomy.json`."""
    return Path(str(resources.files("seeds")))


DEMO_DAY = dt.date(2026, 12, 7)
"""The day the demo data describe. Seeded later, their dates move by the days since:
time is a hard rule of matching, so fixed dates would leave an expired demo."""


def demo_batch(today: dt.date | None = None) -> Batch:
    """The demo data as of `today` (default: now): every period and consent moved by the
    days since `DEMO_DAY`, so the demo stays as current as the day it was written."""
    days = ((today or dt.datetime.now(dt.UTC).date()) - DEMO_DAY).days
    batch = read_paths([seed_dir()])
    for name in ("offers", "needs"):
        for record in batch.records[name]:
            _move(record.data, days)
    return batch


def _move(listing: dict[str, Any], days: int) -> None:
    """Move a listing's period and consent (seed-file records) `days` later."""
    shift = dt.timedelta(days=days)
    period = listing.get("period") or {}
    for bound in ("start", "end"):
        if period.get(bound):
            period[bound] = (dt.date.fromisoformat(period[bound]) + shift).isoformat()
    consent = listing.get("consent") or {}
    if consent.get("givenAt"):
        given = dt.datetime.fromisoformat(consent["givenAt"].replace("Z", "+00:00"))
        consent["givenAt"] = (given + shift).isoformat()


async def seed_demo_if_empty(
    store: Store, matching: MatchingQueue | None = None
) -> ImportReport | None:
    """Seed the demo data when the store holds no cluster yet; None when it was not empty."""
    if await store.find_one("clusters", {}) is not None:
        return None
    report = await Importer(store, matching=matching).run(demo_batch())
    for rejection in report.rejections:
        log.warning("demo data: %s", rejection)
    inserted = sum(s.inserted for s in report.summaries.values())
    log.info("demo data seeded: %d documents", inserted)
    return report


DEMO_KEYS = (
    ("HUB_KEY", ApiKeySpec(role=Role.HUB_ADMIN, label="demo")),
    (
        "CLUSTER_ADMIN_KEY",
        ApiKeySpec(role=Role.CLUSTER_ADMIN, cluster="hamburg-aviation", label="demo"),
    ),
    (
        "MEMBER_KEY",
        ApiKeySpec(role=Role.MEMBER, organisation="elbkai-kontraktlogistik", label="demo"),
    ),
    (
        "VIEWER_KEY",
        ApiKeySpec(role=Role.VIEWER, cluster="logistik-initiative-hamburg", label="demo"),
    ),
)


def _save_private(path: Path, text: str) -> Path:
    """Write `text` readable by the owner only: it holds keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(text)
    return path


async def create_demo_keys(store: Store, data_dir: Path) -> Path:
    """One key per role for the demo data, printed and saved as `demo-keys.env` (0600)."""
    lines = []
    for name, spec in DEMO_KEYS:
        key, _ = await create_key(store, spec)
        scope = spec.cluster or spec.organisation or "all clusters"
        lines.append(f"# {spec.role} ({scope})\nexport {name}={key}")
    path = _save_private(data_dir / "demo-keys.env", "\n".join(lines) + "\n")
    print("Demo API keys (saved to", path, "- `source` it to use them):", flush=True)
    print("\n".join(lines), flush=True)
    return path
