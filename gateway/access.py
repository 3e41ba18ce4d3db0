"""Who may see and change what: the sharing policy and write rules, in one place.

Every read of offers, needs and matches is narrowed by `visible_clusters`: the
clusters whose members' listings the caller may see. A listing is visible when any
cluster of its organisation is in that set. Filters are intersected with it, so
they can narrow what a role sees but never widen it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway.auth import Principal
from gateway.errors import ClusterHubError
from gateway.query import combine
from gateway.store import Store
from schemas.access import Role


class Forbidden(ClusterHubError):
    """The caller is not entitled to this."""


class Unauthenticated(Forbidden):
    """Anonymous callers see only the public cluster directory."""


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated("this needs an API key (Authorization: Bearer ...)")
    return principal


async def visible_clusters(store: Store, principal: Principal | None) -> set[str] | None:
    """Clusters whose listings `principal` may see; None means all (HUB_ADMIN)."""
    principal = require_principal(principal)
    if principal.role is Role.HUB_ADMIN:
        return None
    own = list(principal.clusters)
    query = {
        "$or": [
            {"_id": {"$in": own}},
            {"sharing.policy": "HUB"},
            {"sharing.policy": "PARTNERS", "sharing.partners": {"$in": own}},
        ]
    }
    return {d["_id"] for d in await store.find("clusters", query, limit=100_000)}


def narrow(query: dict[str, Any], visible: set[str] | None) -> dict[str, Any]:
    """`query` restricted to listings of `visible` clusters."""
    if visible is None:
        return query
    return combine({"clusters": {"$in": sorted(visible)}}, query)


def may_see(clusters: Iterable[str], visible: set[str] | None) -> bool:
    return visible is None or not visible.isdisjoint(clusters)


def may_write_for(principal: Principal | None, organisation: dict[str, Any]) -> None:
    """MEMBERs write for their own organisation, CLUSTER_ADMINs for their cluster's members."""
    principal = require_principal(principal)
    if principal.role is Role.HUB_ADMIN:
        return
    if principal.role is Role.MEMBER and principal.organisation == organisation["_id"]:
        return
    if principal.role is Role.CLUSTER_ADMIN and principal.cluster in organisation.get(
        "clusters", []
    ):
        return
    raise Forbidden(f"you may not write for organisation {organisation['_id']!r}")


def may_see_candidate(principal: Principal | None, offer: dict[str, Any]) -> bool:
    """A TALENT candidate's personal data: the referring organisation, or one the
    candidate consented to be contacted by."""
    if principal is None or principal.organisation is None:
        return False
    if principal.organisation == offer["organisation"]:
        return True
    return principal.organisation in offer.get("contact_consents", [])
