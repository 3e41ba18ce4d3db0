"""Input and result types of the admin import (`importClusters`)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON


@strawberry.input(
    description="One cluster with its organisations, offers and needs, in the seed file "
    "format (camelCase records; see seeds/README.md and its JSON Schema)."
)
class ClusterImportInput:
    cluster: JSON
    organisations: list[JSON] = strawberry.field(default_factory=list)
    offers: list[JSON] = strawberry.field(default_factory=list)
    needs: list[JSON] = strawberry.field(default_factory=list)


@strawberry.type
class CollectionSummary:
    collection: str
    inserted: int
    updated: int
    unchanged: int
    rejected: int


@strawberry.type
class Rejection:
    source: str = strawberry.field(description="`input[i]`: which input object.")
    record: str = strawberry.field(description="The record, e.g. `offers[3] (hh-o-1)`.")
    field: str = strawberry.field(description="The field path within the record.")
    message: str


@strawberry.type
class ImportReport:
    ok: bool
    written: bool = strawberry.field(description="False when a strict import wrote nothing.")
    collections: list[CollectionSummary]
    rejections: list[Rejection]
