"""The skills taxonomy as callers search it."""

from __future__ import annotations

from typing import Any

from gateway.services.session import Session

MAX_SKILL_RESULTS = 50


async def search(session: Session, text: str | None) -> list[dict[str, Any]]:
    """`skills`: those whose id, labels or synonyms contain `text`; all without one."""
    taxonomy = await session.taxonomy()
    if text:
        return taxonomy.search(text, MAX_SKILL_RESULTS)
    return sorted(taxonomy.skills.values(), key=lambda s: s["_id"])
