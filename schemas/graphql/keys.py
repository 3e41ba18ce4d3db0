"""API key management and referral erasure payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schemas.access import Role
from schemas.graphql.common import UserError


@strawberry.input
class ApiKeyInput:
    role: Role
    cluster: str | None = strawberry.field(default=None, description="CLUSTER_ADMIN, VIEWER.")
    organisation: str | None = strawberry.field(default=None, description="MEMBER.")
    label: str | None = None
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="When the key stops working (with a time zone); open sockets on it close then.",
    )


@strawberry.type
class ApiKeyPayload:
    key: str | None = strawberry.field(description="Shown once; only its hash is kept.")
    key_id: str | None
    user_errors: list[UserError]


@strawberry.type
class ErasurePayload:
    erased: bool
    matches_removed: int
    user_errors: list[UserError]
