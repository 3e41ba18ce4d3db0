"""API keys: created once, stored only as a hash, presented as `Authorization: Bearer`."""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import ValidationError

from gateway.domain.access import Principal, require_role
from gateway.errors import InputError
from gateway.services import audit
from gateway.services.keyring import KEYS, hash_key
from gateway.services.session import Session
from gateway.store.database import Store
from schemas.access import ApiKeySpec, Role
from schemas.common import utcnow

KEY_PREFIX = "chk_"
MAX_KEYS_LISTED = 1000


def bearer_token(header: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def key_spec(record: dict[str, Any]) -> ApiKeySpec:
    """A key request as validated input; `InputError` naming the field otherwise."""
    try:
        return ApiKeySpec.model_validate(record)
    except ValidationError as error:
        raise InputError.from_validation(error) from None


async def create_key(
    store: Store, spec: ApiKeySpec, by: Principal | None = None
) -> tuple[str, dict[str, Any]]:
    """A new key and its stored record; the key itself is returned once and never stored.

    `by` is who asked (None: the command line): recorded with the key as `created_by`
    (key id and role), so a key an admin mints for an organisation stays attributable.
    """
    for field, collection, value in (
        ("cluster", "clusters", spec.cluster),
        ("organisation", "organisations", spec.organisation),
    ):
        if value and not await store.existing_ids(collection, [value]):
            raise InputError.one(field, f"no {field} {value!r}", "NOT_FOUND")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = {
        "_id": hash_key(key)[:16],
        "hash": hash_key(key),
        "role": str(spec.role),
        "cluster": spec.cluster,
        "organisation": spec.organisation,
        "label": spec.label,
        "created_at": utcnow(),
        "created_by": {"key_id": by.key_id, "role": str(by.role)} if by else None,
        "expires_at": spec.expires_at,
        "revoked_at": None,
    }
    await store.insert(KEYS, record)
    await audit.record(store, by, "create api key", record["_id"], role=str(spec.role))
    return key, record


async def create(session: Session, record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """`createApiKey`: HUB_ADMINs mint keys."""
    by = require_role(session.principal, Role.HUB_ADMIN, action="creating API keys")
    return await create_key(session.store, key_spec(record), by=by)


async def revoke_key(store: Store, key_id: str, by: Principal | None = None) -> bool:
    """Revoke a key; False when there was no active key of that id."""
    revoked = await store.update_one(
        KEYS, {"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": utcnow()}}
    )
    if revoked:
        await audit.record(store, by, "revoke api key", key_id)
    return revoked


async def revoke(session: Session, key_id: str) -> bool:
    """`revokeApiKey`: HUB_ADMINs revoke keys."""
    by = require_role(session.principal, Role.HUB_ADMIN, action="revoking API keys")
    revoked = await revoke_key(session.store, key_id, by=by)
    if revoked:  # at once here; other processes hear of it from the change stream
        session.hub.keys.revoked(key_id)
    return revoked


async def list_keys(store: Store) -> list[dict[str, Any]]:
    """Every key's record, never the hash."""
    return await store.find(
        KEYS, {}, projection={"hash": 0}, sort="created_at", limit=MAX_KEYS_LISTED
    )
