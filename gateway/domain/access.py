"""Who may see and change what: the sharing policy and write rules, in one place.

Every read of offers, needs and matches is narrowed by the caller's visible
clusters: the clusters whose members' listings it may see. A listing is visible
when any cluster of its organisation is in that set. Filters are combined with
that condition, so they can narrow what a role sees but never widen it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gateway.domain.conditions import AnyOf, Filter
from gateway.errors import Forbidden, NotPermitted, Unauthenticated
from schemas.access import Role
from schemas.cluster import SharingPolicy

Visible = set[str] | None
"""Clusters whose listings a caller may see; None means all (HUB_ADMIN)."""


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    key_id: str
    role: Role
    cluster: str | None = None
    organisation: str | None = None
    clusters: tuple[str, ...] = ()
    """The clusters the caller belongs to: its cluster, or its organisation's clusters."""


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated("this needs an API key (Authorization: Bearer ...)")
    return principal


def require_role(principal: Principal | None, *roles: Role, action: str) -> Principal:
    """The caller, if it holds one of `roles`; `NotPermitted` naming `action` otherwise."""
    if principal is None or principal.role not in roles:
        needed = " or ".join(str(r) for r in roles)
        raise NotPermitted(f"{action} needs a {needed} key")
    return principal


def sees_everything(principal: Principal | None) -> bool:
    """HUB_ADMINs see every cluster's listings; anonymous callers none at all."""
    return require_principal(principal).role is Role.HUB_ADMIN


class Sharing:
    """The clusters' sharing policies: which clusters' listings members of others may see."""

    def __init__(self, clusters: Iterable[dict[str, Any]]) -> None:
        self._hub: set[str] = set()
        self._partners: dict[str, set[str]] = {}
        for c in clusters:
            policy = (c.get("sharing") or {}).get("policy", SharingPolicy.CLUSTER)
            if policy == SharingPolicy.HUB:
                self._hub.add(c["_id"])
            elif policy == SharingPolicy.PARTNERS:
                self._partners[c["_id"]] = set(c["sharing"].get("partners", []))

    def visible_from(self, own: Iterable[str]) -> set[str]:
        """Clusters whose members' listings members of the `own` clusters may see."""
        own = set(own)
        return own | self._hub | {c for c, partners in self._partners.items() if partners & own}

    def sees(self, viewer: dict[str, Any], listing: dict[str, Any]) -> bool:
        """Whether `viewer`'s organisation (its clusters) may see `listing`."""
        return may_see(listing.get("clusters", []), self.visible_from(viewer.get("clusters", [])))

    def mutual(self, a: dict[str, Any], b: dict[str, Any]) -> bool:
        return self.sees(a, b) and self.sees(b, a)


def may_see(clusters: Iterable[str], visible: Visible) -> bool:
    return visible is None or not visible.isdisjoint(clusters)


def _within(fields: tuple[str, ...], visible: Visible) -> Filter:
    if visible is None:
        return Filter()
    scope = tuple(sorted(visible))
    return Filter(tuple(AnyOf(f, scope) for f in fields))


def visible_listings(visible: Visible) -> Filter:
    """Offers, needs and organisations of `visible` clusters."""
    return _within(("clusters",), visible)


def visible_matches(visible: Visible) -> Filter:
    """Matches whose both sides the caller may see."""
    return _within(("offer_clusters", "need_clusters"), visible)


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


def may_answer(principal: Principal | None, match: dict[str, Any]) -> None:
    """The parties' members (and admins over them) move a match along."""
    principal = require_principal(principal)
    if principal.role is Role.HUB_ADMIN:
        return
    if principal.role is Role.MEMBER and principal.organisation in match["parties"]:
        return
    if principal.role is Role.CLUSTER_ADMIN and principal.cluster in match["clusters"]:
        return
    raise Forbidden("only the organisations of a match may change its status")


def may_see_candidate(principal: Principal | None, offer: dict[str, Any]) -> bool:
    """A TALENT candidate's personal data: the referring organisation, or one the
    candidate consented to be contacted by."""
    if principal is None or principal.organisation is None:
        return False
    if principal.organisation == offer["organisation"]:
        return True
    return principal.organisation in offer.get("contact_consents", [])
