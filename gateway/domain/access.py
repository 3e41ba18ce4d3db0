"""Who may see and change what: the sharing policy and write rules, in one place.

Every read of offers, needs and matches is narrowed by the caller's visible
clusters: the clusters whose members' listings it may see. A listing is visible
when any cluster of its organisation is in that set. Filters are combined with
that condition, so they can narrow what a role sees but never widen it.

Writes follow ownership, the same for API mutations and imports: a listing belongs to
its organisation (`writes_for`, `listing_refusal`), an organisation to the clusters it
is a member of (`organisation_refusal`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.domain.conditions import AnyOf, Filter
from gateway.domain.documents import BOOKKEEPING
from gateway.errors import Forbidden, NotPermitted, Problem, Unauthenticated
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
    expires_at: dt.datetime | None = None
    """When the key stops working (None: when revoked)."""


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
        self._seen_from: dict[tuple[str, ...], frozenset[str]] = {}
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
        own = tuple(viewer.get("clusters", ()))
        visible = self._seen_from.get(own)
        if visible is None:  # asked for every pair the matcher scores: remembered
            visible = self._seen_from[own] = frozenset(self.visible_from(own))
        return not visible.isdisjoint(listing.get("clusters", ()))

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


def writes_for(principal: Principal, organisation: Mapping[str, Any]) -> bool:
    """Whose offers, needs and referrals a caller changes: HUB_ADMINs any organisation's,
    CLUSTER_ADMINs those of their cluster's members, MEMBERs their own organisation's.

    The one ownership rule of listings, for API mutations and imports alike.
    """
    if principal.role is Role.HUB_ADMIN:
        return True
    if principal.role is Role.MEMBER:
        return principal.organisation == organisation["_id"]
    return principal.role is Role.CLUSTER_ADMIN and principal.cluster in organisation.get(
        "clusters", []
    )


def may_write_for(principal: Principal | None, organisation: Mapping[str, Any]) -> None:
    """`Forbidden` unless the caller writes for `organisation` (see `writes_for`)."""
    if not writes_for(require_principal(principal), organisation):
        raise Forbidden(f"you may not write for organisation {organisation['_id']!r}")


def no_organisation(organisation_id: str) -> Problem:
    """The answer for an organisation the caller may not write for, absent or not: the
    same for both, so that ids of organisations it may not see cannot be probed."""
    return Problem(
        "organisation", f"no organisation {organisation_id!r} you may write for", "NOT_FOUND"
    )


def listing_refusal(
    principal: Principal,
    organisation_id: str,
    owner: Mapping[str, Any] | None,
    previous_owner: Mapping[str, Any] | None = None,
) -> Problem | None:
    """Why `principal` may not write a listing for organisation `organisation_id` (`owner`,
    None when absent) over a stored one of `previous_owner` (None: a new listing); None
    when it may.

    The caller must write for both organisations, and a listing stays with the
    organisation it belongs to: moving an offer, need or TALENT referral would hand it,
    and a candidate's personal data, to another organisation. HUB_ADMINs may move them.
    """
    if previous_owner is not None and not writes_for(principal, previous_owner):
        message = "taken by a listing of an organisation you may not write for"
        return Problem("id", message, "FORBIDDEN")
    if owner is None or not writes_for(principal, owner):
        return no_organisation(organisation_id)
    if (
        previous_owner is not None
        and previous_owner["_id"] != owner["_id"]
        and principal.role is not Role.HUB_ADMIN
    ):
        message = f"belongs to {previous_owner['_id']!r}: a listing keeps its organisation"
        return Problem("organisation", message, "FORBIDDEN")
    return None


_NOT_COMPARED = (*BOOKKEEPING, "memberships", "clusters")
"""What a CLUSTER_ADMIN may change of an organisation it shares: its own membership."""


def organisation_refusal(
    principal: Principal, new: Mapping[str, Any], stored: Mapping[str, Any] | None
) -> Problem | None:
    """Why `principal` may not write organisation document `new` over `stored` (None: a new
    organisation); None when it may.

    HUB_ADMINs change any organisation. A CLUSTER_ADMIN of cluster C owns what only C
    holds, and shares what C holds with other clusters:
    - a new organisation must be a member of C alone;
    - an existing one must already be a member of C, and stay one;
    - one that is a member of other clusters too may change only its membership of C
      (e.g. `binding`): its name, place and other memberships are theirs as well.
    Other roles change no organisation.
    """
    if principal.role is Role.HUB_ADMIN:
        return None
    own = principal.cluster
    if principal.role is not Role.CLUSTER_ADMIN or own is None:
        return Problem("id", "only admins import organisations", "FORBIDDEN")
    if stored is not None and own not in stored.get("clusters", []):
        message = f"{new['_id']!r} is not a member of {own!r}: only its clusters' admins change it"
        return Problem("id", message, "FORBIDDEN")
    others = _other_memberships(stored or {}, own)
    if own not in new["clusters"] or _other_memberships(new, own) != others:
        if not others:
            return Problem(
                "memberships", f"a CLUSTER_ADMIN adds members to {own!r} only", "FORBIDDEN"
            )
        return _shared(others, "memberships", own)
    if not others:
        return None
    before = stored or {}
    changed = [k for k in new if k not in _NOT_COMPARED and new[k] != before.get(k)]
    return _shared(others, changed[0], own) if changed else None


def _other_memberships(organisation: Mapping[str, Any], own: str) -> list[dict[str, Any]]:
    memberships = organisation.get("memberships", [])
    return sorted((dict(m) for m in memberships if m["cluster"] != own), key=lambda m: m["cluster"])


def _shared(others: list[dict[str, Any]], field: str, own: str) -> Problem:
    clusters = [m["cluster"] for m in others]
    message = f"also a member of {clusters}: you may change only its membership of {own!r}"
    return Problem(field, message, "FORBIDDEN")


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
