"""The demo data shipped in `seeds/`, and seeding it into an empty store."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from gateway.seeding import Importer, ImportReport, read_paths
from gateway.store import Store

log = logging.getLogger("clusterhub")


def seed_dir() -> Path:
    """The `seeds/` folder: one file per cluster under `clusters/`, and `taxonomy.json`."""
    return Path(str(resources.files("seeds")))


async def seed_demo_if_empty(store: Store) -> ImportReport | None:
    """Seed the demo data when the store holds no cluster yet; None when it was not empty."""
    if await store.find_one("clusters", {}) is not None:
        return None
    report = await Importer(store).run(read_paths([seed_dir()]))
    for rejection in report.rejections:
        log.warning("demo data: %s", rejection)
    inserted = sum(s.inserted for s in report.summaries.values())
    log.info("demo data seeded: %d documents", inserted)
    return report
