"""The domain enums, registered with Strawberry under their own names."""

from __future__ import annotations

import strawberry

from schemas.cluster import ClusterKind, FieldOfAction, SharingPolicy
from schemas.common import FederalState, Status
from schemas.listing import (
    Employment,
    NeedKind,
    OfferKind,
    StaffArrangement,
    TalentSource,
)
from schemas.organisation import OrganisationKind, OrganisationSize
from schemas.skill import SkillCategory

for _enum in (
    ClusterKind,
    FieldOfAction,
    SharingPolicy,
    FederalState,
    Status,
    Employment,
    NeedKind,
    OfferKind,
    StaffArrangement,
    TalentSource,
    OrganisationKind,
    OrganisationSize,
    SkillCategory,
):
    strawberry.enum(_enum)

__all__ = [
    "ClusterKind",
    "Employment",
    "FederalState",
    "FieldOfAction",
    "NeedKind",
    "OfferKind",
    "OrganisationKind",
    "OrganisationSize",
    "SharingPolicy",
    "SkillCategory",
    "StaffArrangement",
    "Status",
    "TalentSource",
]
