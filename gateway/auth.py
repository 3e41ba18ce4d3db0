"""API keys: created once, stored only as a hash, presented as `Authorization: Bearer`."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from gateway import audit
from gateway.errors import ClusterHubError
from gateway.store import Store
from schemas.access import ApiKeySpec, Role
from schemas.common import utcnow

KEY_PREFIX = "chk_"


class InvalidApiKey(ClusterHubError):
    """The presented key is unknown or revoked."""


class UnknownScope(ClusterHubError):
    """The cluster or organisation a new key is scoped to does not exist."""


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    key_id: str
    role: Role
    cluster: str | None = None
    organisation: str | None = None
    clusters: tuple[str, ...] = ()
    """The clusters the caller belongs to: its cluster, or its organisation's clusters."""


def hash_key(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is enough to make a leak useless."""
    return hashlib.sha256(key.encode()).hexdigest()


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def create_key(
    store: Store, spec: ApiKeySpec, by: Principal | None = None
) -> tuple[str, dict[str, Any]]:
    """A new key and its stored record; the key itself is returned once and never stored.

    `by` is who asked (None: the command line), for the audit log.
    """
    if spec.cluster and not await store.existing_ids("clusters", [spec.cluster]):
        raise UnknownScope(f"cluster: no cluster {spec.cluster!r}")
    if spec.organisation and not await store.existing_ids("organisations", [spec.organisation]):
        raise UnknownScope(f"organisation: no organisation {spec.organisation!r}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = {
        "_id": hash_key(key)[:16],
        "hash": hash_key(key),
        "role": str(spec.role),
        "cluster": spec.cluster,
        "organisation": spec.organisation,
        "label": spec.label,
        "created_at": utcnow(),
        "revoked_at": None,
    }
    await store.insert("api_keys", record)
    await audit.record(store, by, "create api key", record["_id"], role=str(spec.role))
    return key, record


async def authenticate(store: Store, key: str) -> Principal:
    record = await store.find_one("api_keys", {"hash": hash_key(key), "revoked_at": None})
    if record is None:
        raise InvalidApiKey("the API key is unknown or revoked")
    clusters: tuple[str, ...] = ()
    if record.get("cluster"):
        clusters = (record["cluster"],)
    elif record.get("organisation"):
        org = await store.find_one("organisations", {"_id": record["organisation"]})
        clusters = tuple(org.get("clusters", [])) if org else ()
    return Principal(
        key_id=record["_id"],
        role=Role(record["role"]),
        cluster=record.get("cluster"),
        organisation=record.get("organisation"),
        clusters=clusters,
    )


async def revoke_key(store: Store, key_id: str, by: Principal | None = None) -> bool:
    revoked = await store.update_one(
        "api_keys", {"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": utcnow()}}
    )
    if revoked:
        await audit.record(store, by, "revoke api key", key_id)
    return revoked


async def list_keys(store: Store) -> list[dict[str, Any]]:
    return await store.find("api_keys", {}, projection={"hash": 0}, sort="created_at", limit=1000)
