"""Roles and API keys."""

from __future__ import annotations

import datetime as dt
import enum

from pydantic import AwareDatetime, field_validator, model_validator

from schemas.common import Document, Name, Slug, utcnow


class Role(enum.StrEnum):
    HUB_ADMIN = "HUB_ADMIN"
    """Everything, across all clusters: imports, keys."""
    CLUSTER_ADMIN = "CLUSTER_ADMIN"
    """Manages one cluster's organisations and imports its data."""
    MEMBER = "MEMBER"
    """Writes one organisation's offers and needs and answers its matches."""
    VIEWER = "VIEWER"
    """Reads what one cluster may see."""


class ApiKeySpec(Document):
    """What a new API key may do; the scope a role needs is required, others forbidden."""

    role: Role
    cluster: Slug | None = None
    organisation: Slug | None = None
    label: Name | None = None
    expires_at: AwareDatetime | None = None
    """When the key stops working; open sockets on it close then. None: until revoked."""

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value <= utcnow():
            raise ValueError("must lie in the future")
        return value

    @model_validator(mode="after")
    def _scope_fits_role(self) -> ApiKeySpec:
        needs_cluster = self.role in (Role.CLUSTER_ADMIN, Role.VIEWER)
        needs_organisation = self.role is Role.MEMBER
        if needs_cluster != (self.cluster is not None):
            raise ValueError(f"role {self.role} {'needs' if needs_cluster else 'takes no'} cluster")
        if needs_organisation != (self.organisation is not None):
            raise ValueError(
                f"role {self.role} {'needs' if needs_organisation else 'takes no'} organisation"
            )
        return self


class ReadGrounds(enum.StrEnum):
    """Why a reader of a candidate's personal data was entitled to it."""

    REFERRER = "REFERRER"
    """Its organisation referred the candidate."""
    CONTACT_CONSENT = "CONTACT_CONSENT"
    """The candidate agreed to be contacted by its organisation."""
