"""Clusters: organisation networks and who outside them may see their members' data."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import Field, HttpUrl, model_validator

from schemas.common import MAX_LIST, Document, FederalState, Name, Slug, Text


class ClusterKind(enum.StrEnum):
    INDUSTRY_CLUSTER = "INDUSTRY_CLUSTER"
    REGIONAL_NETWORK = "REGIONAL_NETWORK"
    ALLIANCE = "ALLIANCE"
    TALENT_POOL = "TALENT_POOL"


class FieldOfAction(enum.StrEnum):
    """Fields of action named by the national criteria for skilled-labour networks."""

    VOCATIONAL_TRAINING = "VOCATIONAL_TRAINING"
    CONTINUING_EDUCATION = "CONTINUING_EDUCATION"
    OLDER_WORKERS = "OLDER_WORKERS"
    WORK_FAMILY_BALANCE = "WORK_FAMILY_BALANCE"
    INTEGRATION_MIGRATION = "INTEGRATION_MIGRATION"
    STAFF_PARTNERSHIP = "STAFF_PARTNERSHIP"
    TALENT_RETENTION = "TALENT_RETENTION"
    JOB_TRANSFER = "JOB_TRANSFER"


class SharingPolicy(enum.StrEnum):
    """Who outside a cluster may see its members' offers and needs."""

    CLUSTER = "CLUSTER"
    PARTNERS = "PARTNERS"
    HUB = "HUB"


class Sharing(Document):
    policy: SharingPolicy = SharingPolicy.CLUSTER
    partners: Annotated[list[Slug], Field(max_length=MAX_LIST)] = []

    @model_validator(mode="after")
    def _partners_need_policy(self) -> Sharing:
        if self.partners and self.policy is not SharingPolicy.PARTNERS:
            raise ValueError("partners are only meaningful with policy PARTNERS")
        return self


class Cluster(Document):
    id: Slug
    name: Name
    kind: ClusterKind
    region: Name
    federal_states: Annotated[list[FederalState], Field(min_length=1, max_length=16)]
    description: Text = ""
    website: HttpUrl | None = None
    fields_of_action: Annotated[list[FieldOfAction], Field(max_length=MAX_LIST)] = []
    sharing: Sharing = Sharing()
