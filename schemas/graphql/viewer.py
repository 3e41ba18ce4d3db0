"""The caller as the API sees it."""

from __future__ import annotations

import enum

import strawberry


@strawberry.enum
class Role(enum.StrEnum):
    HUB_ADMIN = "HUB_ADMIN"
    CLUSTER_ADMIN = "CLUSTER_ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


@strawberry.type
class Viewer:
    role: Role
    cluster_id: str | None = None
    organisation_id: str | None = None
