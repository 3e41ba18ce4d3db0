"""What callers may filter by, each filter compiled once into `conditions.Filter`.

A filter here holds plain values as a caller gives them (skill texts, dates, a
circle); `compile` turns it into conditions that serve both the list queries and
the live subscriptions. Every field narrows, none widens: visibility is added on
top by `gateway.domain.access`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.domain.conditions import (
    AllOf,
    Compare,
    Equals,
    Filter,
    WithinCircle,
    all_of,
    any_of,
)
from gateway.domain.documents import day_start
from gateway.domain.geo import Circle, cells_within
from gateway.domain.taxonomy import Taxonomy
from gateway.domain.text import query_words

NETWORK_MIN_BINDING_MEMBERS = 3
"""A cluster qualifies as a network with at least this many binding memberships."""


def _words(field: str, text: str | None) -> AllOf | None:
    words = query_words(text) if text else []
    return AllOf(field, tuple(words)) if words else None


def near_conditions(circle: Circle) -> Filter:
    """Inside `circle`: the indexed grid cells first, then the exact distance."""
    cells = cells_within(circle.lat, circle.lon, circle.radius_km)
    return all_of(any_of("cell", cells), WithinCircle("geo", circle))


@dataclass(frozen=True)
class Near:
    """A search circle as a caller asks for it: around a postcode, or coordinates."""

    radius_km: float
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class ListingFilter:
    """Offers or needs a portal asks for."""

    cluster_ids: tuple[str, ...] = ()
    organisation_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    skills_any: tuple[str, ...] = ()
    """Skill ids, labels or synonyms; any of them."""
    skills_all: tuple[str, ...] = ()
    text: str | None = None
    """Whole words of title or description, all of them."""
    available_from: dt.date | None = None
    available_to: dt.date | None = None
    near: Near | None = None

    def compile(self, taxonomy: Taxonomy, circle: Circle | None = None) -> Filter:
        """The conditions; `circle` is `near` resolved (a postcode looked up).

        Raises `UnknownSkill` (at `skills.any_of` or `skills.all_of`) for skill texts
        the taxonomy does not know.
        """
        skills_all = taxonomy.normalise_field(self.skills_all, "skills.all_of")
        return all_of(
            any_of("clusters", self.cluster_ids),
            any_of("organisation", self.organisation_ids),
            any_of("kind", self.kinds),
            any_of("status", self.statuses),
            any_of("skill_set", taxonomy.normalise_field(self.skills_any, "skills.any_of")),
            AllOf("skill_set", tuple(skills_all)) if skills_all else None,
            _words("terms", self.text),
            Compare("period.start", "$lte", day_start(self.available_to))
            if self.available_to
            else None,
            Compare("period.end", "$gte", day_start(self.available_from))
            if self.available_from
            else None,
        ) & (near_conditions(circle) if circle else Filter())


@dataclass(frozen=True)
class MatchFilter:
    """Matches a dashboard or portal asks for."""

    cluster_ids: tuple[str, ...] = ()
    """Matches with a side in any of these clusters."""
    organisation_ids: tuple[str, ...] = ()
    """Matches any of these organisations is a party to."""
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    min_score: float | None = None
    include_retracted: bool = False

    def compile(self) -> Filter:
        return all_of(
            any_of("parties", self.organisation_ids),
            any_of("clusters", self.cluster_ids),
            any_of("kind", self.kinds),
            any_of("status", self.statuses),
            None if self.include_retracted else Equals("active", True),
            Compare("score", "$gte", float(self.min_score)) if self.min_score is not None else None,
        )


@dataclass(frozen=True)
class ClusterFilter:
    """The public network directory's search."""

    search: str | None = None
    kinds: tuple[str, ...] = ()
    federal_states: tuple[str, ...] = ()
    fields_of_action: tuple[str, ...] = ()
    """All of them."""
    region: str | None = None
    qualifies_as_network: bool | None = None

    def compile(self) -> Filter:
        network = None
        if self.qualifies_as_network is not None:
            op = "$gte" if self.qualifies_as_network else "$lt"
            network = Compare("binding_member_count", op, NETWORK_MIN_BINDING_MEMBERS)
        return all_of(
            _words("terms", self.search),
            any_of("kind", self.kinds),
            any_of("federal_states", self.federal_states),
            AllOf("fields_of_action", self.fields_of_action) if self.fields_of_action else None,
            Equals("region", self.region) if self.region else None,
            network,
        )


@dataclass(frozen=True)
class OrganisationFilter:
    search: str | None = None
    cluster_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def compile(self) -> Filter:
        return all_of(
            _words("terms", self.search),
            any_of("clusters", self.cluster_ids),
            any_of("kind", self.kinds),
        )


@dataclass(frozen=True)
class PartyFilter:
    """Which offers or needs take part in a coverage calculation."""

    cluster_ids: tuple[str, ...] = ()
    organisation_ids: tuple[str, ...] = ()

    def compile(self) -> Filter:
        return all_of(
            any_of("organisation", self.organisation_ids), any_of("clusters", self.cluster_ids)
        )
