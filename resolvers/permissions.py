"""Permission classes: who may call a field at all (finer checks live in `gateway`)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from resolvers.context import Info
from schemas.access import Role


class _HasRole(BasePermission):
    roles: frozenset[Role] = frozenset()
    message = "not allowed"
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012 - read by Strawberry

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.role in self.roles


class CanImport(_HasRole):
    """HUB_ADMINs import anything; CLUSTER_ADMINs their own cluster."""

    roles = frozenset({Role.HUB_ADMIN, Role.CLUSTER_ADMIN})
    message = "importClusters needs a HUB_ADMIN or CLUSTER_ADMIN key"


class IsHubAdmin(_HasRole):
    roles = frozenset({Role.HUB_ADMIN})
    message = "this needs a HUB_ADMIN key"
