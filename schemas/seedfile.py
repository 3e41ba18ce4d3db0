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
