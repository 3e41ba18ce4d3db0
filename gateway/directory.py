"""Directory searches: the MongoDB filters for clusters and organisations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway.query import search_query


def cluster_query(
    *,
    search: str | None = None,
    kinds: Iterable[str] | None = None,
    federal_states: Iterable[str] | None = None,
    fields_of_action: Iterable[str] | None = None,
    region: str | None = None,
    qualifies_as_network: bool | None = None,
) -> dict[str, Any]:
    """The MongoDB filter for a directory search; values are only ever compared, never parsed."""
    query: dict[str, Any] = {}
    if search:
        query.update(search_query(search))
    if kinds:
        query["kind"] = {"$in": [str(k) for k in kinds]}
    if federal_states:
        query["federal_states"] = {"$in": [str(s) for s in federal_states]}
    if fields_of_action:
        query["fields_of_action"] = {"$all": [str(f) for f in fields_of_action]}
    if region:
        query["region"] = str(region)
    if qualifies_as_network is not None:
        query["binding_member_count"] = {"$gte": 3} if qualifies_as_network else {"$lt": 3}
    return query


def organisation_query(
    *,
    search: str | None = None,
    cluster_ids: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if search:
        query.update(search_query(search))
    if cluster_ids:
        query["clusters"] = {"$in": [str(c) for c in cluster_ids]}
    if kinds:
        query["kind"] = {"$in": [str(k) for k in kinds]}
    return query
