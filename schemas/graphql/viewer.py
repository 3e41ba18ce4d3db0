"""The caller as the API sees it."""

from __future__ import annotations

import strawberry

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
