"""The seed file format: one JSON file per cluster, plus the skills taxonomy.

A cluster file carries the cluster and the organisations, offers and needs it
brings. An organisation that belongs to several clusters is written once, in any
one file, with all its memberships. Records are validated one by one (see
`gateway.seeding`), so this model only fixes the outer shape.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

MAX_RECORDS = 100_000


class ClusterFile(BaseModel):
    """Outer shape of a cluster seed file; records stay raw until validated one by one."""

    model_config = ConfigDict(extra="forbid")

    cluster: dict[str, Any]
    organisations: Annotated[list[dict[str, Any]], Field(max_length=MAX_RECORDS)] = []
    offers: Annotated[list[dict[str, Any]], Field(max_length=MAX_RECORDS)] = []
    needs: Annotated[list[dict[str, Any]], Field(max_length=MAX_RECORDS)] = []


class TaxonomyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skills: Annotated[list[dict[str, Any]], Field(max_length=MAX_RECORDS)]


def cluster_file_json_schema() -> dict[str, Any]:
    """JSON Schema of a cluster seed file, generated from the record models."""
    from pydantic import create_model

    from schemas.cluster import Cluster
    from schemas.listing import Need, Offer
    from schemas.organisation import Organisation

    model = create_model(
        "ClusterFile",
        __doc__="One cluster with the organisations, offers and needs it brings.",
        cluster=(Cluster, ...),
        organisations=(list[Organisation], []),
        offers=(list[Offer], []),
        needs=(list[Need], []),
    )
    return model.model_json_schema(by_alias=True)


def taxonomy_file_json_schema() -> dict[str, Any]:
    """JSON Schema of the skills taxonomy file."""
    from pydantic import create_model

    from schemas.skill import Skill

    return create_model("TaxonomyFile", skills=(list[Skill], ...)).model_json_schema(by_alias=True)
