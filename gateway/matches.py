"""Reading matches and moving them through their life cycle."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from gateway import access, audit
from gateway.auth import Principal
from gateway.errors import InputError, NotFound
from gateway.store import Store
from schemas.access import Role
from schemas.common import utcnow


class MatchStatus(enum.StrEnum):
    PROPOSED = "PROPOSED"
    CONTACTED = "CONTACTED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    PLACED = "PLACED"


TRANSITIONS: dict[MatchStatus, set[MatchStatus]] = {
    MatchStatus.PROPOSED: {MatchStatus.CONTACTED, MatchStatus.DECLINED},
    MatchStatus.CONTACTED: {MatchStatus.ACCEPTED, MatchStatus.DECLINED},
    MatchStatus.ACCEPTED: {MatchStatus.PLACED, MatchStatus.DECLINED},
    MatchStatus.DECLINED: set(),
    MatchStatus.PLACED: set(),
}


@dataclass
class MatchFilter:
    cluster_ids: list[str] = field(default_factory=list)
    organisation_ids: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    min_score: float | None = None
    include_retracted: bool = False


def visible_query(visible: set[str] | None) -> dict[str, Any]:
    """Matches whose both sides the caller may see."""
    if visible is None:
        return {}
    scope = sorted(visible)
    return {"offer_clusters": {"$in": scope}, "need_clusters": {"$in": scope}}


def match_query(f: MatchFilter) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if not f.include_retracted:
        query["active"] = True
    if f.cluster_ids:
        query["clusters"] = {"$in": [str(c) for c in f.cluster_ids]}
    if f.organisation_ids:
        query["parties"] = {"$in": [str(o) for o in f.organisation_ids]}
    if f.kinds:
        query["kind"] = {"$in": [str(k) for k in f.kinds]}
    if f.statuses:
        query["status"] = {"$in": [str(s) for s in f.statuses]}
    if f.min_score is not None:
        query["score"] = {"$gte": float(f.min_score)}
    return query


def matches(doc: dict[str, Any], f: MatchFilter, visible: set[str] | None) -> bool:
    """`match_query` and visibility evaluated in memory, for live events."""
    return all(
        [
            f.include_retracted or doc.get("active", False),
            access.may_see(doc.get("offer_clusters", []), visible),
            access.may_see(doc.get("need_clusters", []), visible),
            not f.cluster_ids or not set(f.cluster_ids).isdisjoint(doc.get("clusters", [])),
            not f.organisation_ids
            or not set(f.organisation_ids).isdisjoint(doc.get("parties", [])),
            not f.kinds or doc.get("kind") in {str(k) for k in f.kinds},
            not f.statuses or doc.get("status") in {str(s) for s in f.statuses},
            f.min_score is None or doc.get("score", 0) >= f.min_score,
        ]
    )


def _may_answer(principal: Principal | None, match: dict[str, Any]) -> None:
    """The parties' members (and admins over them) move a match along."""
    principal = access.require_principal(principal)
    if principal.role is Role.HUB_ADMIN:
        return
    if principal.role is Role.MEMBER and principal.organisation in match["parties"]:
        return
    if principal.role is Role.CLUSTER_ADMIN and principal.cluster in match["clusters"]:
        return
    raise access.Forbidden("only the organisations of a match may change its status")


async def set_status(
    store: Store, principal: Principal | None, match_id: str, status: MatchStatus
) -> dict[str, Any]:
    match = await store.find_one("matches", {"_id": str(match_id)})
    visible = await access.visible_clusters(store, principal)
    if match is None or not matches(match, MatchFilter(include_retracted=True), visible):
        raise NotFound(f"no match {match_id!r}")
    _may_answer(principal, match)
    current = MatchStatus(match["status"])
    if status == current:
        return match
    if status not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise InputError(
            [
                (
                    "status",
                    f"{current} cannot become {status} (allowed: {allowed})",
                    "INVALID_TRANSITION",
                )
            ]
        )
    updated = await store.find_one_and_set(
        "matches",
        {"_id": match["_id"], "status": str(current)},
        {"status": str(status), "updated_at": utcnow(), f"history.{status.lower()}": utcnow()},
    )
    if updated is None:
        raise InputError([("status", "the match changed meanwhile; read it again", "CONFLICT")])
    await audit.record(store, principal, "set match status", updated["_id"], status=str(status))
    return updated


async def placements(store: Store, cluster_ids: list[str]) -> dict[str, int]:
    """PLACED matches per cluster (counted on the side of the need)."""
    return await store.count_by("matches", "need_clusters", cluster_ids, {"status": "PLACED"})
