"""The caller as the API sees it."""

from __future__ import annotations

from typing import Self

import strawberry

from gateway.domain.access import Principal
from schemas.access import Role

strawberry.enum(Role)


@strawberry.type
class Viewer:
    role: Role
    cluster_id: str | None = None
    organisation_id: str | None = None
    cluster_ids: list[str] = strawberry.field(
        default_factory=list, description="The clusters whose view the caller shares."
    )

    @classmethod
    def from_principal(cls, principal: Principal) -> Self:
        return cls(
            role=principal.role,
            cluster_id=principal.cluster,
            organisation_id=principal.organisation,
            cluster_ids=list(principal.clusters),
        )
