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


class Sharing:
    """The clusters' sharing policies: which clusters' listings members of others may see."""

    def __init__(self, clusters: Iterable[dict[str, Any]]) -> None:
        self._hub: set[str] = set()
        self._partners: dict[str, set[str]] = {}
        for c in clusters:
            policy = (c.get("sharing") or {}).get("policy", "CLUSTER")
            if policy == "HUB":
                self._hub.add(c["_id"])
            elif policy == "PARTNERS":
                self._partners[c["_id"]] = set(c["sharing"].get("partners", []))

    @classmethod
    async def load(cls, store: Store) -> Sharing:
        """All clusters' policies: a few hundred small documents."""
        return cls(await store.find("clusters", {}, projection={"sharing": 1}, limit=100_000))

    def visible_from(self, own: Iterable[str]) -> set[str]:
        """Clusters whose members' listings members of the `own` clusters may see."""
        own = set(own)
        return own | self._hub | {c for c, partners in self._partners.items() if partners & own}

    def sees(self, viewer: dict[str, Any], listing: dict[str, Any]) -> bool:
        """Whether `viewer`'s organisation (its clusters) may see `listing`."""
        return may_see(listing.get("clusters", []), self.visible_from(viewer.get("clusters", [])))

    def mutual(self, a: dict[str, Any], b: dict[str, Any]) -> bool:
        return self.sees(a, b) and self.sees(b, a)


async def visible_clusters(store: Store, principal: Principal | None) -> set[str] | None:
    """Clusters whose listings `principal` may see; None means all (HUB_ADMIN)."""
    principal = require_principal(principal)
    if principal.role is Role.HUB_ADMIN:
        return None
    return (await Sharing.load(store)).visible_from(principal.clusters)


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
