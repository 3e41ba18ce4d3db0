"""Organisations: the companies and institutions that are members of clusters."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import Field, model_validator

from schemas.common import MAX_LIST, Document, Location, Name, Slug, Text


class OrganisationKind(enum.StrEnum):
    COMPANY = "COMPANY"
    CHAMBER = "CHAMBER"
    JOB_CENTRE = "JOB_CENTRE"
    EMPLOYMENT_AGENCY = "EMPLOYMENT_AGENCY"
    TRAINING_PROVIDER = "TRAINING_PROVIDER"
    UNION = "UNION"
    PUBLIC_ADMINISTRATION = "PUBLIC_ADMINISTRATION"
    BUSINESS_DEVELOPMENT = "BUSINESS_DEVELOPMENT"
    OTHER = "OTHER"


class OrganisationSize(enum.StrEnum):
    """Head-count bands of the EU SME definition, plus LARGE."""

    MICRO = "MICRO"  # < 10
    SMALL = "SMALL"  # < 50
    MEDIUM = "MEDIUM"  # < 250
    LARGE = "LARGE"


class Membership(Document):
    """Membership of one cluster; `binding` counts towards `qualifiesAsNetwork`."""

    cluster: Slug
    binding: bool = True


class Organisation(Document):
    id: Slug
    name: Name
    kind: OrganisationKind
    sector: Name
    size: OrganisationSize
    description: Text = ""
    location: Location
    memberships: Annotated[list[Membership], Field(min_length=1, max_length=MAX_LIST)]

    @model_validator(mode="after")
    def _distinct_clusters(self) -> Organisation:
        clusters = [m.cluster for m in self.memberships]
        if len(set(clusters)) != len(clusters):
            raise ValueError("an organisation is a member of each cluster at most once")
        return self

    @property
    def cluster_ids(self) -> list[str]:
        return [m.cluster for m in self.memberships]
