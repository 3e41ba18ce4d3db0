"""Turning Strawberry inputs into the plain values `gateway` works with."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry

from gateway import listings, matches
from gateway.store import Store
from schemas.graphql.cluster import Cluster
from schemas.graphql.listing import NeedFilter, OfferFilter
from schemas.graphql.match import MatchFilter, PartyFilter
from schemas.graphql.organisation import Organisation


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
        if dataclasses.is_dataclass(item):
            record[name] = as_record(item)
        else:
            record[name] = item
    return record


async def listing_filter(
    store: Store, value: OfferFilter | NeedFilter | None
) -> listings.ListingFilter:
    given = given_fields(value)
    skills = given_fields(given.get("skills"))
    available = given_fields(given.get("available"))
    near = given.get("near")
    return listings.ListingFilter(
        cluster_ids=[Cluster.node_key(c) for c in given.get("cluster_ids", [])],
        organisation_ids=[Organisation.node_key(o) for o in given.get("organisation_ids", [])],
        kinds=given.get("kinds", []),
        statuses=given.get("statuses", []),
        skills_any=skills.get("any_of", []),
        skills_all=skills.get("all_of", []),
        text=given.get("text"),
        available_from=available.get("start"),
        available_to=available.get("end"),
        near=await listings.near(store, **given_fields(near)) if near else None,
    )


def match_filter(value: MatchFilter | None) -> matches.MatchFilter:
    given = given_fields(value)
    return matches.MatchFilter(
        cluster_ids=[Cluster.node_key(c) for c in given.get("cluster_ids", [])],
        organisation_ids=[Organisation.node_key(o) for o in given.get("organisation_ids", [])],
        kinds=given.get("kinds", []),
        statuses=given.get("statuses", []),
        min_score=given.get("min_score"),
        include_retracted=given.get("include_retracted", False),
    )


def party_query(value: PartyFilter) -> dict[str, Any]:
    """Offers or needs of the given clusters and organisations."""
    given = given_fields(value)
    query: dict[str, Any] = {}
    if given.get("cluster_ids"):
        query["clusters"] = {"$in": [Cluster.node_key(c) for c in given["cluster_ids"]]}
    if given.get("organisation_ids"):
        query["organisation"] = {
            "$in": [Organisation.node_key(o) for o in given["organisation_ids"]]
        }
    return query
