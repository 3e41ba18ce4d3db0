"""Turning Strawberry inputs into the domain values the use cases take."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.types.nodes import SelectedField

from gateway.domain import filters
from gateway.domain.cursors import decode_cursor
from gateway.domain.paging import PageRequest
from schemas.graphql.access_log import PersonalDataAccessFilter
from schemas.graphql.cluster import Cluster, ClusterFilter
from schemas.graphql.listing import NeedFilter, Offer, OfferFilter
from schemas.graphql.match import MatchFilter, PartyFilter
from schemas.graphql.organisation import Organisation, OrganisationFilter


def given_fields(value: Any) -> dict[str, Any]:
    """The fields of an input object that the caller actually set."""
    if value is None:
        return {}
    return {
        f.name: getattr(value, f.name)
        for f in dataclasses.fields(value)
        if getattr(value, f.name) is not strawberry.UNSET and getattr(value, f.name) is not None
    }


def as_record(value: Any) -> dict[str, Any]:
    """An input object as a plain dict (nested inputs too), leaving out what was not set."""
    record = {}
    for name, item in given_fields(value).items():
        record[name] = as_record(item) if dataclasses.is_dataclass(item) else item
    return record


def listing_record(value: Any) -> dict[str, Any]:
    """A create input as a domain record: `organisationId` names the `organisation`."""
    record = as_record(value)
    record["organisation"] = Organisation.node_key(record.pop("organisation_id"))
    return record


def page_request(
    first: int | None, after: str | None, info: strawberry.Info | None = None
) -> PageRequest:
    """A page request; with `info`, counts only when `totalCount` is selected."""
    count = info is None or _selects(info.selected_fields, "totalCount", top=True)
    return PageRequest(first, decode_cursor(after) if after is not None else None, count=count)


def _selects(selections: list[Any], name: str, *, top: bool = False) -> bool:
    """Whether `name` is selected directly below these fields (through fragments too)."""
    for selection in selections:
        is_field = isinstance(selection, SelectedField)
        if not top and is_field and selection.name == name:
            return True
        if (top or not is_field) and _selects(selection.selections, name):
            return True
    return False


def _clusters(ids: list[str] | None) -> tuple[str, ...]:
    return tuple(Cluster.node_key(c) for c in ids or ())


def _organisations(ids: list[str] | None) -> tuple[str, ...]:
    return tuple(Organisation.node_key(o) for o in ids or ())


def listing_filter(value: OfferFilter | NeedFilter | None) -> filters.ListingFilter:
    given = given_fields(value)
    skills = given_fields(given.get("skills"))
    available = given_fields(given.get("available"))
    near = given_fields(given.get("near"))
    return filters.ListingFilter(
        cluster_ids=_clusters(given.get("cluster_ids")),
        organisation_ids=_organisations(given.get("organisation_ids")),
        kinds=tuple(given.get("kinds", ())),
        statuses=tuple(given.get("statuses", ())),
        skills_any=tuple(skills.get("any_of", ())),
        skills_all=tuple(skills.get("all_of", ())),
        text=given.get("text"),
        available_from=available.get("start"),
        available_to=available.get("end"),
        near=filters.Near(**near) if near else None,
    )


def match_filter(value: MatchFilter | None) -> filters.MatchFilter:
    given = given_fields(value)
    return filters.MatchFilter(
        cluster_ids=_clusters(given.get("cluster_ids")),
        organisation_ids=_organisations(given.get("organisation_ids")),
        kinds=tuple(given.get("kinds", ())),
        statuses=tuple(given.get("statuses", ())),
        min_score=given.get("min_score"),
        include_retracted=given.get("include_retracted", False),
    )


def cluster_filter(value: ClusterFilter | None) -> filters.ClusterFilter:
    given = given_fields(value)
    return filters.ClusterFilter(
        search=given.get("search"),
        kinds=tuple(given.get("kinds", ())),
        federal_states=tuple(given.get("federal_states", ())),
        fields_of_action=tuple(given.get("fields_of_action", ())),
        region=given.get("region"),
        qualifies_as_network=given.get("qualifies_as_network"),
    )


def organisation_filter(value: OrganisationFilter | None) -> filters.OrganisationFilter:
    given = given_fields(value)
    return filters.OrganisationFilter(
        search=given.get("search"),
        cluster_ids=_clusters(given.get("cluster_ids")),
        kinds=tuple(given.get("kinds", ())),
    )


def party_filter(value: PartyFilter) -> filters.PartyFilter:
    given = given_fields(value)
    return filters.PartyFilter(
        cluster_ids=_clusters(given.get("cluster_ids")),
        organisation_ids=_organisations(given.get("organisation_ids")),
    )


def access_filter(value: PersonalDataAccessFilter | None) -> dict[str, Any]:
    """The access log's filter as the keyword arguments of `personal_data.access_log`."""
    given = given_fields(value)
    return {
        "offer": Offer.node_key(given["offer_id"]) if "offer_id" in given else None,
        "key_id": given.get("key_id"),
        "organisation": (
            Organisation.node_key(given["organisation_id"]) if "organisation_id" in given else None
        ),
        "since": given.get("since"),
    }
