"""The hub's error hierarchy: every error a caller may handle is one of these."""

from __future__ import annotations


class ClusterHubError(Exception):
    """Base of all errors raised on purpose by the hub."""


class EmbeddedStoreError(ClusterHubError):
    """The embedded SecantusDB could not be started or reached."""


class DataDirInUse(EmbeddedStoreError):
    """Another hub already serves this data directory."""


class StoreUnavailable(ClusterHubError):
    """The database does not answer."""
