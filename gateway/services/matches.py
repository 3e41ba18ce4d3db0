"""Reading matches and moving them through their life cycle."""

from __future__ import annotations

from typing import Any

from gateway.domain.access import may_answer, visible_matches
from gateway.domain.conditions import Filter
from gateway.domain.filters import MatchFilter
from gateway.domain.matches import MatchStatus, check_transition
from gateway.domain.paging import Page, PageRequest
from gateway.errors import NotFound, VersionConflict
from gateway.services import audit
from gateway.services.session import Session
from gateway.store import matches as store_matches
from gateway.store.versioned import compare_and_set
from schemas.common import utcnow

ORDER = "seq"
"""Matches are listed in cursor order."""

Doc = dict[str, Any]


async def compile_filter(session: Session, f: MatchFilter) -> Filter:
    """`f` as conditions, narrowed to matches whose both sides the caller may see."""
    return f.compile() & visible_matches(await session.visible())


async def newest_sequence(session: Session) -> int | None:
    """The newest cursor's number, for a caller with a key: a dashboard that subscribes
    after it misses nothing from now on, across any reconnect (None when anonymous)."""
    if session.principal is None:
        return None
    return await store_matches.newest_sequence(session.store)


async def search(session: Session, f: MatchFilter, page: PageRequest) -> Page:
    """`matches`: a page in cursor order."""
    query = (await compile_filter(session, f)).query()
    return await session.store.page("matches", query, page, order=ORDER)


async def set_status(session: Session, match_id: str, status: MatchStatus) -> Doc:
    """`setMatchStatus`: the parties move a match along its life cycle."""
    store = session.store
    match = await store.find_one("matches", {"_id": str(match_id)})
    if match is None or not visible_matches(await session.visible()).test(match):
        raise NotFound(f"no match {match_id!r}")
    may_answer(session.principal, match)
    current = MatchStatus(match["status"])
    check_transition(current, status)
    if status == current:
        return match
    now = utcnow()
    updated = await compare_and_set(
        store,
        "matches",
        {"_id": match["_id"], "status": current},
        {"status": status, "updated_at": now, f"history.{status.lower()}": now},
    )
    if updated is None:
        raise VersionConflict()
    await audit.record(store, session.principal, "set match status", updated["_id"], status=status)
    return updated
